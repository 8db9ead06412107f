//! The asr crate's integration tests, one binary (one link) made of modules: the real Whisper
//! models on real speech.

mod common;
mod engine_en;
mod engine_multilingual;
mod models;
