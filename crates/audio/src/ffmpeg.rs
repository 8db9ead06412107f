//! `ffprobe` and `ffmpeg` as child processes, for the formats symphonia cannot read.
//!
//! The programs are looked up on `PATH`, or taken from `VERBATIM_FFMPEG` / `VERBATIM_FFPROBE`
//! when set (deployments with ffmpeg outside `PATH`).

use std::ffi::OsString;
use std::io::Read;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

use crate::source::{sanitize, Block, PcmSource};
use crate::AudioError;

/// Bytes read from ffmpeg's output per block: 64 KiB is a few thousand frames.
const READ_SIZE: usize = 64 * 1024;
/// Most of ffmpeg's error output kept for a message.
const STDERR_LIMIT: u64 = 16 * 1024;

fn program(tool: &'static str) -> OsString {
    let var = match tool {
        "ffmpeg" => "VERBATIM_FFMPEG",
        _ => "VERBATIM_FFPROBE",
    };
    std::env::var_os(var).unwrap_or_else(|| tool.into())
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

/// Runs ffprobe. `known_format` is the format the magic bytes showed, if any: ffprobe
/// rejecting such a file means it is damaged rather than of an unknown kind.
pub(crate) fn ffprobe(path: &Path, known_format: Option<&str>) -> Result<FfprobeInfo, AudioError> {
    let output = Command::new(program("ffprobe"))
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(input_arg(path))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| spawn_error("ffprobe", e))?;
    if !output.status.success() {
        let why = summarise(&String::from_utf8_lossy(&output.stderr));
        return Err(match known_format {
            Some(format) => {
                AudioError::Corrupt(format!("this {format} file cannot be read ({why})"))
            }
            None => {
                AudioError::Unsupported(format!("the content is not a known audio format ({why})"))
            }
        });
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
    Ok(FfprobeInfo {
        format_name: format["format_name"]
            .as_str()
            .unwrap_or("unknown")
            .to_string(),
        audio,
        duration_seconds: number(&format["duration"]).filter(|d| d.is_finite() && *d > 0.0),
    })
}

/// ffmpeg decoding the first audio stream to interleaved f32 on its stdout, read a block at a
/// time and split into planes.
pub(crate) struct FfmpegSource {
    child: Child,
    stdout: ChildStdout,
    stderr: Option<JoinHandle<String>>,
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
    pub(crate) fn spawn(path: &Path, channels: u16, sample_rate: u32) -> Result<Self, AudioError> {
        let mut child = Command::new(program("ffmpeg"))
            .args(["-nostdin", "-hide_banner", "-v", "error", "-i"])
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
        Ok(FfmpegSource {
            child,
            stdout,
            stderr: Some(stderr),
            channels: channels as usize,
            sample_rate,
            bytes: Vec::with_capacity(READ_SIZE),
            planes: vec![Vec::new(); channels as usize],
            spent: false,
        })
    }

    fn finish(&mut self) -> Result<(), AudioError> {
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
            Err(AudioError::Corrupt(summarise(&stderr)))
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
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
