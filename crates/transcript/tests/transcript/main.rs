//! The transcript crate's integration tests, one binary (one link) made of modules: the json,
//! txt, srt and vtt renderings of generated transcripts.

mod common;
mod cues;
mod json;
mod render;
mod txt;
