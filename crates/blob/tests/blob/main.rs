//! The blob crate's integration tests, one binary (one link) made of modules: the local store,
//! the S3 store against a real S3-compatible server, opening either, and streaming memory.

mod common;
mod local_store;
mod memory;
mod open;
mod s3_store;
