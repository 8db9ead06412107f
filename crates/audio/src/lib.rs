//! Probe and decode every audio format of the contract to 16 kHz f32 samples, mixed down to
//! mono or split per channel.

use std::path::Path;

/// Sample rate of decoded audio: what the recognition engines take.
pub const TARGET_SAMPLE_RATE: u32 = 16_000;

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
}

pub fn probe(_path: &Path) -> Result<Probe, AudioError> {
    todo!("audio::probe")
}

pub fn decode(_path: &Path, _mode: ChannelMode) -> Result<Decoded, AudioError> {
    todo!("audio::decode")
}
