//! Subcommands, one module each.

mod keys;
mod limits;
mod models;
mod serve;
mod transcribe;
mod worker;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "verbatim",
    version,
    about = "Self-hosted batch speech-to-text (SLNG Batch API)"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the SLNG Batch API (with in-process workers unless --workers 0).
    Serve(serve::Args),
    /// Run workers only (no API), against the same database and buckets as the API replicas.
    Worker(worker::Args),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(keys::Command),
    /// Transcribe one audio file and print the transcript.
    Transcribe(transcribe::Args),
    /// Manage speech recognition models.
    #[command(subcommand)]
    Models(models::Command),
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Worker(args) => worker::run(args),
        Command::Keys(command) => keys::run(command),
        Command::Transcribe(args) => transcribe::run(args),
        Command::Models(command) => models::run(command),
    }
}
