//! The settings of every subcommand, read once at start from the command line and the
//! environment (each option's variable is named in `--help`), and the subcommands, one module
//! each. The library crates never read the environment: they are given these values.

mod jobs;
mod keys;
mod limits;
mod models;
mod pool;
mod remote;
mod serve;
mod storage;
mod submit;
mod transcribe;
mod watch;
mod webhooks;
mod worker;

pub use pool::{BatchSize, Lanes, ModelsDir};

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

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
    /// Webhook signing secrets.
    #[command(subcommand)]
    Webhooks(webhooks::Command),
    /// Submit audio files to a server of the SLNG Batch API, follow the jobs, print or write
    /// their transcripts.
    Submit(submit::Args),
    /// List, show, cancel and delete the jobs on a server of the SLNG Batch API.
    #[command(subcommand)]
    Jobs(jobs::Command),
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Worker(args) => worker::run(args),
        Command::Keys(command) => keys::run(command),
        Command::Transcribe(args) => transcribe::run(args),
        Command::Models(command) => models::run(command),
        Command::Webhooks(command) => webhooks::run(command),
        Command::Submit(args) => submit::run(args),
        Command::Jobs(command) => jobs::run(command),
    }
}

/// The runtime of the commands that are not servers (keys, webhooks, the remote commands): one
/// thread, as they wait on a database or the network, not on the CPU.
fn one_thread_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// The command line and the environment, parsed. A value that does not parse stops the program
/// with clap's message; when the value came from an environment variable, the message names it.
pub fn parse() -> Cli {
    Cli::try_parse().unwrap_or_else(|err| {
        let Some(variable) = variable_of(&err, std::env::args_os()) else {
            err.exit()
        };
        let text = err.render().to_string();
        let text = text.strip_prefix("error: ").unwrap_or(&text);
        eprint!("error: {variable}: {text}");
        std::process::exit(err.exit_code())
    })
}

/// The environment variable a bad value came from: the variable of the option clap complains
/// about, when it is set to that value and the option is not on the command line.
fn variable_of(
    err: &clap::Error,
    args: impl Iterator<Item = std::ffi::OsString>,
) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    let ContextValue::String(option) = err.get(ContextKind::InvalidArg)? else {
        return None;
    };
    let invalid_value = match err.get(ContextKind::InvalidValue) {
        Some(ContextValue::String(v)) => Some(v.clone()),
        _ => None,
    };
    let mut cli = Cli::command();
    cli.build();
    let mut commands = vec![cli];
    let mut arg = None;
    while let Some(command) = commands.pop() {
        arg = command
            .get_arguments()
            .find(|a| a.get_env().is_some() && a.to_string() == *option)
            .cloned();
        if arg.is_some() {
            break;
        }
        commands.extend(command.get_subcommands().cloned());
    }
    let arg = arg?;
    let variable = arg.get_env()?.to_str()?.to_string();
    let value = std::env::var_os(&variable)?;
    if invalid_value.is_some_and(|v| value.to_str() != Some(v.as_str())) {
        return None;
    }
    let long = format!("--{}", arg.get_long()?);
    let on_command_line = args
        .filter_map(|a| a.into_string().ok())
        .any(|a| a == long || a.starts_with(&format!("{long}=")));
    (!on_command_line).then_some(variable)
}
