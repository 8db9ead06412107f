//! The worker crate's integration tests, one binary (one link) made of modules: jobs run
//! through the real pipeline (SQLite, the local store, the real models), leases and URL input.

mod common;
mod leases;
mod pipeline;
mod progress;
mod url_input;
