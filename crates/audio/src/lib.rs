//! Probe and decode every audio format of the contract to 16 kHz f32 samples, mixed down to
//! mono or split per channel.
//!
//! The format is told from the file's content, never its name. symphonia decodes what it can
//! (wav, mp3, mpeg layer I/II, flac, aac, ogg vorbis, m4a/mp4 aac); an `ffmpeg` child process
//! decodes the rest (ogg opus, amr, mpeg program streams, codecs symphonia refuses). Either way
//! the native-rate samples are resampled to 16 kHz chunk by chunk, so the whole file's native
//! PCM is never held in memory.

use std::path::{Path, PathBuf};

pub mod extensions;
mod ffmpeg;
mod mpeg_frames;
mod probe;
mod resample;
mod riff;
mod sniff;
mod source;
mod stream;
mod symphonia_source;

pub use stream::AudioStream;

/// Sample rate of decoded audio: what the recognition engines take.
pub const TARGET_SAMPLE_RATE: u32 = 16_000;

/// How one file is read: the ffmpeg programs for the formats symphonia cannot read, and bounds
/// on what the file may cost (a small file can hold hours of audio: a FLAC of silence
/// compresses a thousandfold; and a damaged one can make a decoder program hang).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Where `ffprobe` and `ffmpeg` are.
    pub tools: Tools,
    /// The longest audio accepted: refused at probe time when the headers say more, and
    /// decoding stops with [`AudioError::TooLong`] once this much has come out.
    pub max_seconds: Option<f64>,
    /// How long an `ffprobe` or `ffmpeg` child may run before it is killed.
    pub tool_timeout: std::time::Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            tools: Tools::default(),
            max_seconds: None,
            tool_timeout: std::time::Duration::from_secs(3600),
        }
    }
}

/// The two ffmpeg programs. By default their bare names, looked up on `PATH`; deployments with
/// ffmpeg elsewhere give paths (the `verbatim` binary: `VERBATIM_FFPROBE`, `VERBATIM_FFMPEG`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tools {
    pub ffprobe: PathBuf,
    pub ffmpeg: PathBuf,
}

impl Default for Tools {
    fn default() -> Self {
        Tools {
            ffprobe: PathBuf::from("ffprobe"),
            ffmpeg: PathBuf::from("ffmpeg"),
        }
    }
}

impl Settings {
    pub(crate) fn check_seconds(&self, seconds: f64) -> Result<(), AudioError> {
        match self.max_seconds {
            Some(limit) if seconds > limit => Err(AudioError::TooLong {
                limit_seconds: limit,
            }),
            _ => Ok(()),
        }
    }
}

/// What a file is, read from its headers (and, where the container has no duration, from a
/// decode pass).
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// Short container name, one of the contract's: `wav`, `mp3`, `flac`, `aac`, `ogg`,
    /// `m4a`, `mp4`, `amr`, `mpeg`.
    pub format: String,
    /// `audio/wav`, `audio/mpeg`…
    pub mime_type: String,
    pub duration_seconds: f64,
    pub channels: u16,
    pub sample_rate: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelMode {
    /// Average all channels into one.
    Mix,
    /// One output per input channel.
    Split,
}

/// Decoded audio at [`TARGET_SAMPLE_RATE`]: one entry when mixed, one per channel when split.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The file's probe; `duration_seconds` is the length actually decoded.
    pub probe: Probe,
    pub channels: Vec<Vec<f32>>,
}

/// Why a file could not be read. Messages are safe to show a user.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("the file is empty")]
    Empty,
    #[error("unsupported or unrecognised audio format: {0}")]
    Unsupported(String),
    #[error("the audio data is corrupt or truncated: {0}")]
    Corrupt(String),
    #[error("the file contains no audio track")]
    NoAudioTrack,
    #[error("could not read the file: {0}")]
    Io(#[from] std::io::Error),
    /// An external program this format needs (`ffmpeg`, `ffprobe`) could not be started.
    #[error("reading this file needs the `{tool}` program, which could not be run: {reason}")]
    MissingTool { tool: String, reason: String },
    /// The audio lasts longer than [`Settings::max_seconds`].
    #[error("the audio is longer than this server's limit of {}", describe_seconds(*limit_seconds))]
    TooLong { limit_seconds: f64 },
    /// `ffprobe` or `ffmpeg` ran past [`Settings::tool_timeout`] and was killed.
    #[error("reading the audio took longer than {} and was stopped", describe_seconds(timeout.as_secs_f64()))]
    TimedOut { timeout: std::time::Duration },
}

/// "6 h", "90 min", "45 s": a limit as a person reads it.
pub fn describe_seconds(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        s if s >= 3600 && s % 3600 == 0 => format!("{} h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// Reads what a file is: format, MIME type, duration, channels and native sample rate (with
/// the default [`Settings`]: ffmpeg from `PATH`, no length limit).
pub fn probe(path: &Path) -> Result<Probe, AudioError> {
    probe::probe(path, &Settings::default())
}

/// [`probe`] with `settings`: its programs, refusing audio longer than `settings.max_seconds`.
pub fn probe_with(path: &Path, settings: &Settings) -> Result<Probe, AudioError> {
    probe::probe(path, settings)
}

/// Decodes the whole file to [`TARGET_SAMPLE_RATE`]. Only the 16 kHz output is held in memory;
/// use [`decode_stream`] or [`AudioStream`] to process it window by window instead.
pub fn decode(path: &Path, mode: ChannelMode) -> Result<Decoded, AudioError> {
    stream::decode(path, mode, &Settings::default())
}

/// [`decode`] with `settings` (its programs, within its bounds).
pub fn decode_with(
    path: &Path,
    mode: ChannelMode,
    settings: &Settings,
) -> Result<Decoded, AudioError> {
    stream::decode(path, mode, settings)
}

/// Decodes the file and hands the 16 kHz audio to `on_chunk` in chunks of `chunk_seconds`
/// (the last may be shorter): one `Vec` when mixed, one per channel when split. Returning
/// [`std::ops::ControlFlow::Break`] stops decoding early. Returns the file's probe.
pub fn decode_stream<F>(
    path: &Path,
    mode: ChannelMode,
    chunk_seconds: f64,
    on_chunk: F,
) -> Result<Probe, AudioError>
where
    F: FnMut(&[Vec<f32>]) -> std::ops::ControlFlow<()>,
{
    decode_stream_with(path, mode, chunk_seconds, &Settings::default(), on_chunk)
}

/// [`decode_stream`] with `settings` (its programs, within its bounds).
pub fn decode_stream_with<F>(
    path: &Path,
    mode: ChannelMode,
    chunk_seconds: f64,
    settings: &Settings,
    mut on_chunk: F,
) -> Result<Probe, AudioError>
where
    F: FnMut(&[Vec<f32>]) -> std::ops::ControlFlow<()>,
{
    let mut stream = AudioStream::open_with(path, mode, chunk_seconds, settings)?;
    for chunk in stream.by_ref() {
        if on_chunk(&chunk?).is_break() {
            break;
        }
    }
    Ok(stream.probe().clone())
}
