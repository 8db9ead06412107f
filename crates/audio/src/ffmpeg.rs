//! `ffprobe` and `ffmpeg` as child processes, for the formats symphonia cannot read.
//!
//! Where the programs are comes with each call ([`crate::Tools`]): their names on `PATH` by
//! default, or paths the caller was configured with.

use std::ffi::OsString;
use std::io::Read;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::source::{sanitize, Block, PcmSource};
use crate::{AudioError, Tools};

/// Bytes read from ffmpeg's output per block: 64 KiB is a few thousand frames.
const READ_SIZE: usize = 64 * 1024;
/// Most of ffmpeg's error output kept for a message.
const STDERR_LIMIT: u64 = 16 * 1024;

/// Address space a decoder child may use: far more than decoding any contract format needs,
/// far less than a hostile file could make it reserve (the server's memory is everyone's).
const CHILD_MEMORY_BYTES: u64 = 4 << 30;

/// A command for `program` whose process cannot grow past [`CHILD_MEMORY_BYTES`].
fn command(program: &Path) -> Command {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(program);
    // SAFETY: setrlimit is async-signal-safe, as a pre_exec hook must be.
    unsafe {
        command.pre_exec(|| {
            let mut limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::getrlimit(libc::RLIMIT_AS, &mut limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // Never above a hard limit set from outside (raising it would fail).
            limit.rlim_max = limit.rlim_max.min(CHILD_MEMORY_BYTES);
            limit.rlim_cur = limit.rlim_max;
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command
}

fn spawn_error(tool: &'static str, e: std::io::Error) -> AudioError {
    AudioError::MissingTool {
        tool: tool.to_string(),
        reason: if e.kind() == std::io::ErrorKind::NotFound {
            "it is not installed or not on PATH (it comes with ffmpeg)".into()
        } else {
            e.to_string()
        },
    }
}

/// `file:` keeps ffmpeg from reading a path like `http:x` or `a|b` as a protocol.
fn input_arg(path: &Path) -> OsString {
    let mut arg = OsString::from("file:");
    arg.push(path.as_os_str());
    arg
}

/// The last meaningful line of ffmpeg's error output: the one that says what went wrong.
fn summarise(stderr: &str) -> String {
    stderr
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .map(|l| {
            // ffmpeg prefixes lines with the input URL; the user knows which file it is.
            l.split_once(": ")
                .filter(|(head, _)| head.starts_with("file:"))
                .map_or(l, |(_, tail)| tail)
        })
        .unwrap_or("ffmpeg could not read the file")
        .to_string()
}

/// What ffprobe says about a file.
pub(crate) struct FfprobeInfo {
    /// ffprobe's demuxer name(s), e.g. `mov,mp4,m4a,3gp,3g2,mj2`.
    pub format_name: String,
    /// `None` when the file has no audio stream.
    pub audio: Option<AudioStreamInfo>,
    pub duration_seconds: Option<f64>,
}

pub(crate) struct AudioStreamInfo {
    /// ffmpeg's codec name, e.g. `mp3`, `mp2`, `opus`.
    pub codec_name: String,
    pub channels: u16,
    pub sample_rate: u32,
    pub duration_seconds: Option<f64>,
}

/// Every demuxer ffprobe and ffmpeg may use: one per format of the contract. Demuxers whose
/// files name other files or URLs (hls, concat, dash, playlists, image sequences…) are not
/// among them, so a file can never make ffmpeg read anything but itself.
pub(crate) const ALLOWED_DEMUXERS: [&str; 11] = [
    "wav", "mp3", "flac", "aac", "ogg", "mov", "amr", "amrnb", "amrwb", "mpeg", "mpegts",
];

/// The input options every ffprobe and ffmpeg run gets: only the `file` protocol (the input is
/// always a local `file:` path), and the one demuxer of the sniffed format or, when the content
/// was not recognised, the allowed ones.
fn input_options(demuxer: Option<&str>) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["-protocol_whitelist".into(), "file".into()];
    match demuxer {
        Some(d) => args.extend(["-f".into(), d.into()]),
        None => args.extend([
            "-format_whitelist".into(),
            ALLOWED_DEMUXERS.join(",").into(),
        ]),
    }
    args
}

/// Runs ffprobe with the demuxer of the format the magic bytes showed (`known`: the contract's
/// format name and ffmpeg's demuxer), or with the allowed demuxers when nothing was recognised.
/// Either way the demuxer ffprobe used must be the expected one, or the file is refused.
/// ffprobe's own words go to the log, never into the message.
pub(crate) fn ffprobe(
    path: &Path,
    known: Option<(&str, &str)>,
    tools: &Tools,
    timeout: Duration,
) -> Result<FfprobeInfo, AudioError> {
    let mut command = command(&tools.ffprobe);
    command
        .args(["-v", "error"])
        .args(input_options(known.map(|(_, demuxer)| demuxer)))
        .args(["-print_format", "json", "-show_format", "-show_streams"])
        .arg(input_arg(path));
    let output = output_within(command, timeout).map_err(|e| spawn_error("ffprobe", e))?;
    let output = output.ok_or(AudioError::TimedOut { timeout })?;
    let refused = |why: &str| {
        tracing::warn!(ffprobe = %why, "ffprobe refused the audio");
        match known {
            Some((format, _)) => AudioError::Corrupt(format!("this {format} file cannot be read")),
            None => AudioError::Unsupported("the content is not a known audio format".into()),
        }
    };
    if !output.status.success() {
        return Err(refused(&summarise(&String::from_utf8_lossy(
            &output.stderr,
        ))));
    }
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| AudioError::Unsupported(format!("ffprobe gave unreadable output: {e}")))?;
    // ffprobe writes numbers as strings ("44100", "3.000000").
    let number = |v: &serde_json::Value| -> Option<f64> {
        v.as_str()
            .and_then(|s| s.parse().ok())
            .or_else(|| v.as_f64())
    };
    let format = &json["format"];
    let audio = json["streams"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["codec_type"] == "audio")
        .and_then(|s| {
            Some(AudioStreamInfo {
                codec_name: s["codec_name"].as_str().unwrap_or_default().to_string(),
                channels: s["channels"].as_u64().filter(|c| *c > 0)? as u16,
                sample_rate: number(&s["sample_rate"]).filter(|r| *r > 0.0)? as u32,
                duration_seconds: number(&s["duration"]).filter(|d| d.is_finite() && *d > 0.0),
            })
        });
    let format_name = format["format_name"]
        .as_str()
        .unwrap_or("unknown")
        .to_string();
    let used = format_name.split(',').next().unwrap_or_default();
    let expected = match known {
        Some((_, demuxer)) => used == demuxer,
        None => ALLOWED_DEMUXERS.contains(&used),
    };
    if !expected {
        return Err(refused(&format!(
            "demuxer {format_name} is not the expected one"
        )));
    }
    Ok(FfprobeInfo {
        format_name,
        audio,
        duration_seconds: number(&format["duration"]).filter(|d| d.is_finite() && *d > 0.0),
    })
}

/// Runs `command` to its end, or kills it once `timeout` has passed (`Ok(None)`). Output is
/// read on threads so a full pipe never stalls the child.
fn output_within(mut command: Command, timeout: Duration) -> std::io::Result<Option<Output>> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let watchdog = Watchdog::start(&child, timeout);
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout is piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr is piped")));
    let (stdout, stderr) = (
        stdout.join().unwrap_or_default(),
        stderr.join().unwrap_or_default(),
    );
    let fired = watchdog.disarm();
    let status = child.wait()?;
    Ok((!fired).then_some(Output {
        status,
        stdout,
        stderr,
    }))
}

/// Kills a child that outlives its time. std has no wait-with-timeout, and a child blocked on
/// a damaged file would otherwise hold its worker thread forever. The kill goes by pid, which
/// stays the child's until it is waited for (disarm comes first).
struct Watchdog {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<bool>,
}

impl Watchdog {
    fn start(child: &Child, timeout: Duration) -> Watchdog {
        let pid = child.id();
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || match stopped.recv_timeout(timeout) {
            Err(mpsc::RecvTimeoutError::Timeout) => {
                tracing::warn!(
                    pid,
                    timeout_s = timeout.as_secs_f64(),
                    "killing an audio decoder that ran past its time"
                );
                // SAFETY: kill(2) with a pid we own (not yet reaped) and a constant signal.
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
                true
            }
            _ => false,
        });
        Watchdog { stop, thread }
    }

    /// Stops the watchdog; true when it had already killed the child.
    fn disarm(self) -> bool {
        let _ = self.stop.send(());
        self.thread.join().unwrap_or(false)
    }
}

/// ffmpeg decoding the first audio stream to interleaved f32 on its stdout, read a block at a
/// time and split into planes.
pub(crate) struct FfmpegSource {
    child: Child,
    stdout: ChildStdout,
    stderr: Option<JoinHandle<String>>,
    watchdog: Option<Watchdog>,
    timeout: Duration,
    channels: usize,
    sample_rate: u32,
    /// Bytes read but not yet a whole frame.
    bytes: Vec<u8>,
    planes: Vec<Vec<f32>>,
    spent: bool,
}

impl FfmpegSource {
    /// Starts ffmpeg. It keeps the native rate and channel count (stated explicitly so a
    /// mid-stream change cannot break the de-interleaving): the resampling is ours, the same
    /// band-limited one for every format.
    /// `demuxer` is the one ffprobe used (one of [`ALLOWED_DEMUXERS`]).
    pub(crate) fn spawn(
        path: &Path,
        demuxer: &str,
        channels: u16,
        sample_rate: u32,
        tools: &Tools,
        timeout: Duration,
    ) -> Result<Self, AudioError> {
        let mut child = command(&tools.ffmpeg)
            .args(["-nostdin", "-hide_banner", "-v", "error"])
            .args(input_options(Some(demuxer)))
            .arg("-i")
            .arg(input_arg(path))
            .args([
                "-map",
                "0:a:0",
                "-vn",
                "-sn",
                "-dn",
                "-f",
                "f32le",
                "-c:a",
                "pcm_f32le",
            ])
            .args([
                "-ac",
                &channels.to_string(),
                "-ar",
                &sample_rate.to_string(),
                "pipe:1",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| spawn_error("ffmpeg", e))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut stderr = child.stderr.take().expect("stderr is piped");
        // Drained on a thread so a chatty ffmpeg never blocks on a full stderr pipe.
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = (&mut stderr).take(STDERR_LIMIT).read_to_string(&mut text);
            let _ = std::io::copy(&mut stderr, &mut std::io::sink());
            text
        });
        let watchdog = Some(Watchdog::start(&child, timeout));
        Ok(FfmpegSource {
            child,
            stdout,
            stderr: Some(stderr),
            watchdog,
            timeout,
            channels: channels as usize,
            sample_rate,
            bytes: Vec::with_capacity(READ_SIZE),
            planes: vec![Vec::new(); channels as usize],
            spent: false,
        })
    }

    /// Disarms the watchdog (before any wait, see [`Watchdog`]); true when it had fired.
    fn disarm(&mut self) -> bool {
        self.watchdog.take().is_some_and(Watchdog::disarm)
    }

    fn finish(&mut self) -> Result<(), AudioError> {
        if self.disarm() {
            let _ = self.child.wait();
            return Err(AudioError::TimedOut {
                timeout: self.timeout,
            });
        }
        let status = self.child.wait()?;
        let stderr = self
            .stderr
            .take()
            .map(|t| t.join().unwrap_or_default())
            .unwrap_or_default();
        if status.success() {
            Ok(())
        } else if stderr.contains("matches no streams") {
            Err(AudioError::NoAudioTrack)
        } else {
            tracing::warn!(ffmpeg = %summarise(&stderr), "ffmpeg could not decode the audio");
            Err(AudioError::Corrupt("ffmpeg could not decode it".into()))
        }
    }
}

impl PcmSource for FfmpegSource {
    fn next_block(&mut self) -> Result<Option<Block<'_>>, AudioError> {
        if self.spent {
            return Ok(None);
        }
        let frame_bytes = 4 * self.channels;
        loop {
            let kept = self.bytes.len();
            self.bytes.resize(kept + READ_SIZE, 0);
            let n = loop {
                match self.stdout.read(&mut self.bytes[kept..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        self.spent = true;
                        return Err(e.into());
                    }
                }
            };
            self.bytes.truncate(kept + n);
            if n == 0 {
                self.spent = true;
                self.finish()?;
                return Ok(None);
            }
            let whole = self.bytes.len() / frame_bytes * frame_bytes;
            if whole == 0 {
                continue;
            }
            for plane in &mut self.planes {
                plane.clear();
            }
            for frame in self.bytes[..whole].chunks_exact(frame_bytes) {
                for (plane, sample) in self.planes.iter_mut().zip(frame.chunks_exact(4)) {
                    plane.push(sanitize(f32::from_le_bytes(sample.try_into().unwrap())));
                }
            }
            self.bytes.drain(..whole);
            return Ok(Some(Block {
                sample_rate: self.sample_rate,
                planes: &self.planes,
            }));
        }
    }
}

impl Drop for FfmpegSource {
    fn drop(&mut self) {
        // A caller that stops early must not leave ffmpeg running (or a zombie behind).
        // (Both are harmless on a child already waited for.)
        self.disarm();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
