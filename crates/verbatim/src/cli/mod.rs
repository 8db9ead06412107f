//! Subcommands, one module each.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "verbatim", version, about = "Self-hosted batch speech-to-text (SLNG Batch API)")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {}
}
