//! Voice activity detection: where in a 16 kHz mono recording someone speaks.
//!
//! [`SileroVad`] runs Silero VAD v6 (the model faster-whisper ships) on ONNX Runtime and gives
//! one speech probability per 32 ms frame, streamed: [`VadStream`] takes audio in pieces of any
//! size and keeps the model's recurrent state between them, so the whole signal is never
//! needed at once. [`speech_regions`] turns the probabilities into padded, merged speech
//! regions by faster-whisper's rules.

mod error;
mod regions;
mod runtime;
mod silero;

pub use error::VadError;
pub use regions::{speech_regions, RegionOptions};
pub use runtime::{onnx_environment, DEFAULT_LIBRARY};
pub use silero::{SileroVad, VadStream, MODEL_FILE};

/// The sample rate the model takes.
pub const SAMPLE_RATE: usize = 16_000;
/// Samples per probability: each frame is 32 ms.
pub const FRAME_SAMPLES: usize = 512;
/// A frame at or above this probability is speech (faster-whisper's default `threshold`)…
pub const SPEECH_THRESHOLD: f32 = 0.5;
/// …and once in speech, one under this is a pause (its default `neg_threshold`, 0.15 less).
pub const PAUSE_THRESHOLD: f32 = SPEECH_THRESHOLD - 0.15;
