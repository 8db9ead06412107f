//! The transcript model and its renderers. Knows nothing of audio decoding or of the engine
//! that produced the words, so any recognition backend can feed it.

pub mod model;

pub use model::{Transcript, Word};
