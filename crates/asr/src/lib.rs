//! Speech recognition behind the [`Engine`] trait. Audio in (16 kHz mono f32), words with
//! times and confidence plus the detected language out.
//!
//! The backend is Whisper on CTranslate2 ([`WhisperEngine`]), a port of faster-whisper's
//! decoding loop (timestamp-driven seeking, temperature fallback, cross-attention word
//! alignment) with Silero VAD (`vad` crate) in front of the model.

mod engine;
pub mod models;
pub mod whisper;

pub use engine::{
    AsrError, AudioChunks, Engine, Options, Progress, Recognition, SettledWords, SAMPLE_RATE,
};
pub use whisper::{WhisperConfig, WhisperEngine};
