//! `verbatim serve`: the API server with its in-process workers.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("serve is not implemented yet")
}
