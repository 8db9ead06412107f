//! `verbatim transcribe FILE`: recognise one file and print it in the chosen format.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("transcribe is not implemented yet")
}
