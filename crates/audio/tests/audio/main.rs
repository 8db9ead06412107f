//! The audio crate's integration tests, one binary (one link) made of modules: every format,
//! its variants and broken files, decoded from fixtures made with ffmpeg, and the fuzz corpus.

mod bad_input;
mod common;
mod formats;
mod fuzz_corpus;
mod missing_ffmpeg;
mod resampling;
mod variants;
