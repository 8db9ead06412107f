//! Runs queued jobs: claims one from the [`jobs::JobStore`], moves it through the pipeline
//! stages (IN_PROGRESS: fetch, probe, decode → DECODING: recognition → POST_PROCESSING: render
//! and store json, txt, srt, vtt → DONE), and settles what went wrong.
//!
//! - [`WorkerPool`] runs N workers in the server process (or in a worker-only process later).
//! - [`run_job`] is the pipeline for one held job; while it recognises, it reports the job's
//!   progress (`progress`) at most once a second.
//! - Failures are sorted by [`JobError`]: the audio's fault → FAILED with a readable message;
//!   our side's fault → handed back with exponential back-off, FAILED after
//!   [`WorkerConfig::max_attempts`]; a lost lease → the job is left to its new holder.
//! - Models are loaded once per process ([`Engines`], [`SpeakerModel`] for speaker
//!   diarization) and shared by all workers.

mod config;
mod deadline;
mod engines;
mod error;
mod lease;
mod pipeline;
mod pool;
mod progress;
mod recognition;
mod request;
pub mod retention;
mod speakers;

pub use config::{
    WorkerConfig, DEFAULT_MAX_AUDIO_SECONDS, DEFAULT_MAX_INPUT_BYTES, DEFAULT_MODEL_CODE,
    ENHANCED_COMPUTE_TYPE, MAX_RENEW_EVERY,
};
pub use deadline::{Deadline, TIME_LIMIT_MESSAGE};
pub use engines::{Engines, Loader};
pub use error::JobError;
pub use lease::LeaseKeeper;
pub use pipeline::{output_key, run_job, Context};
pub use pool::WorkerPool;
pub use recognition::{
    needs_multilingual_fallback, post_process, recognise_channels, AudioInput, Recognised,
};
pub use request::{model_for, ModelChoice, OperatingPoint, Request};
pub use speakers::{load_speaker_model, SpeakerModel, SpeakerModelError, INSTALL_COMMAND};
