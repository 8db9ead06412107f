//! Speech recognition behind the [`Engine`] trait. Audio in (16 kHz mono f32), words with
//! times and confidence plus the detected language out.

mod engine;

pub use engine::{AsrError, Engine, Options, Progress, Recognition};
