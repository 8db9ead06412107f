//! Fuzz targets for the audio crate: see `scripts/fuzz.sh`.

pub mod exercise;
pub mod harness;
