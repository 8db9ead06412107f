//! The verbatim binary's integration tests, one test binary (one link) made of modules: the
//! command line (transcribe, options, settings) and the server over real HTTP on both
//! deployments (embedded, and a fleet on PostgreSQL and S3).

mod api_contract;
mod api_docs;
mod api_hardening;
mod api_large;
mod api_metrics;
mod api_restart;
mod api_speech;
mod common;
mod corrections;
mod dashboard;
mod fleet;
mod lifecycle;
mod openai_compat;
mod options_cli;
mod progress;
mod remote_cli;
mod schema_fuzz;
mod server;
mod settings;
mod transcribe_cli;
mod webhooks;
