//! What the remote commands (`submit`, `jobs`) share: the server and key they talk to, their
//! exit codes, and how a failure is told to the person at the terminal.
//!
//! They speak only the SLNG Batch API (through the `client` crate), so they work against any
//! server of that API, not only `verbatim serve`.

use std::process::ExitCode;

/// The exit codes of the remote commands (documented in README.md and docs/cli.md).
pub mod exit {
    /// A job ended FAILED (cancelled included) or was deleted while it was waited for.
    pub const JOB_FAILED: u8 = 1;
    /// A bad command line, as clap's own errors: a flag, a value, a FILE that cannot be read.
    pub const USAGE: u8 = 2;
    /// The server: unreachable, the key refused, a request refused, an answer not understood.
    pub const SERVER: u8 = 3;
    /// An output could not be written here.
    pub const LOCAL: u8 = 4;
}

#[derive(Debug, Clone, clap::Args)]
pub struct Remote {
    /// The server of the SLNG Batch API: `verbatim serve`, or any other server of that API.
    #[arg(long, env = "VERBATIM_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// The API key (on Verbatim, from `verbatim keys create`).
    #[arg(long, env = "VERBATIM_API_KEY", hide_env_values = true)]
    pub api_key: String,
    /// Print JSON on stdout, one object per line, for scripts.
    #[arg(long)]
    pub json: bool,
}

impl Remote {
    pub fn client(&self) -> Result<client::Client, ExitCode> {
        client::Client::new(&self.server, &self.api_key).map_err(fail)
    }
}

/// Tells `err` on stderr, with where to look, and gives its exit code.
pub fn fail(err: client::Error) -> ExitCode {
    eprintln!("error: {err}{}", hint(&err));
    ExitCode::from(code_of(&err))
}

pub fn code_of(err: &client::Error) -> u8 {
    use client::Error::*;
    match err {
        BadServerUrl { .. } => exit::USAGE,
        File { .. } => exit::LOCAL,
        Unreachable { .. }
        | KeyRefused { .. }
        | Refused { .. }
        | Transfer { .. }
        | Connection(_)
        | Protocol(_) => exit::SERVER,
    }
}

fn hint(err: &client::Error) -> &'static str {
    match err {
        client::Error::KeyRefused { .. } => " (check --api-key or VERBATIM_API_KEY)",
        client::Error::Unreachable { .. } => {
            " (is the server running? check --server or VERBATIM_SERVER)"
        }
        _ => "",
    }
}
