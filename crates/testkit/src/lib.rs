//! What the test suites of the workspace share, written once: the repository's paths (models,
//! fixtures), a PostgreSQL database of its own per test, an HTTPS server for URL inputs and one receiving webhooks, a test
//! in a process of its own, one suite run per variant ([`test_each!`]), and the evaluation
//! metrics the suites bound (WER, DER). A dev-dependency only: nothing here ships in the binary.

pub mod der;
pub mod https;
pub mod own_process;
pub mod paths;
pub mod postgres;
mod variants;
pub mod webhook_receiver;
pub mod wer;

pub use paths::{fixture, fixtures_dir, models_dir, repo_root};
