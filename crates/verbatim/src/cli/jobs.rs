//! `verbatim jobs list|get|files|delete|cancel`: the organisation's jobs on a server of the
//! SLNG Batch API, as text for a person or, with --json, as the server's JSON.

use std::process::ExitCode;

use serde_json::Value;

use super::remote::{self, Remote};
use super::watch::describe;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the jobs of the key's organisation, newest first.
    List {
        /// Only jobs in these statuses (comma list: QUEUED, IN_PROGRESS, DECODING,
        /// POST_PROCESSING, DONE, FAILED, DELETED).
        #[arg(long, value_delimiter = ',')]
        status: Vec<String>,
        /// The page to show (from 1).
        #[arg(long)]
        page: Option<u32>,
        /// Jobs per page (1 to 100; the server's default is 20).
        #[arg(long)]
        page_size: Option<u32>,
        #[command(flatten)]
        remote: Remote,
    },
    /// Show a job: its status, progress, times and, when it failed, why.
    Get {
        id: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// List a job's input and outputs with their download URLs.
    Files {
        id: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// Delete a DONE or FAILED job's files (the record stays, as DELETED).
    Delete {
        id: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// Stop a queued or running job: it ends FAILED, "Cancelled" (a Verbatim extension).
    Cancel {
        id: String,
        #[command(flatten)]
        remote: Remote,
    },
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    let remote = match &command {
        Command::List { remote, .. }
        | Command::Get { remote, .. }
        | Command::Files { remote, .. }
        | Command::Delete { remote, .. }
        | Command::Cancel { remote, .. } => remote.clone(),
    };
    let client = match remote.client() {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let json = remote.json;
    let done = super::one_thread_runtime()?.block_on(async {
        match &command {
            Command::List {
                status,
                page,
                page_size,
                ..
            } => {
                let query = client::ListQuery {
                    page: *page,
                    page_size: *page_size,
                    status: status.clone(),
                    sort_order: None,
                };
                let list = client.list(&query).await?;
                if json {
                    println!("{}", list.raw);
                } else {
                    print_list(&list)?;
                }
            }
            Command::Get { id, .. } => {
                let job = client.job(id).await?;
                if json {
                    println!("{}", job.raw);
                } else {
                    print_job(&job);
                }
            }
            Command::Files { id, .. } => {
                let files = client.files(id).await?;
                if json {
                    println!("{}", files.raw);
                } else {
                    for input in &files.inputs {
                        println!("input\t{}\t{}", input.key, input.download_url);
                    }
                    for output in &files.outputs {
                        let format = output.format.as_deref().unwrap_or("output");
                        println!("{format}\t{}\t{}", output.key, output.download_url);
                    }
                }
            }
            Command::Delete { id, .. } => {
                let answer = client.delete(id).await?;
                if json {
                    println!("{}", answer.raw);
                } else {
                    println!("{} {}", answer.job_id, answer.status);
                }
            }
            Command::Cancel { id, .. } => {
                let job = client.cancel(id).await?;
                if json {
                    println!("{}", job.raw);
                } else {
                    let why = job.error().map(|m| format!(" ({m})")).unwrap_or_default();
                    println!("{} {}{why}", job.job_id, job.status);
                }
            }
        }
        Ok::<_, client::Error>(())
    });
    Ok(match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => remote::fail(e),
    })
}

fn print_list(list: &client::JobList) -> Result<(), client::Error> {
    println!(
        "{:<36} {:<16} {:<25} {:>9}  ERROR",
        "JOB_ID", "STATUS", "SUBMITTED", "AUDIO_S"
    );
    for job in list.jobs()? {
        println!(
            "{:<36} {:<16} {:<25} {:>9}  {}",
            job.job_id,
            job.status,
            job.submitted_at.as_deref().unwrap_or("-"),
            duration(&job),
            job.error().unwrap_or("")
        );
    }
    let m = &list.meta;
    eprintln!("page {} of {} ({} jobs)", m.page, m.pages.max(1), m.total);
    Ok(())
}

fn print_job(job: &client::Job) {
    println!("job_id:    {}", job.job_id);
    println!("status:    {}", describe(job));
    for field in [
        "submitted_at",
        "started_at",
        "completed_at",
        "deleted_at",
        "expired_at",
    ] {
        if let Some(Value::String(t)) = job.raw.get(field) {
            println!("{:<10} {t}", format!("{}:", field.trim_end_matches("_at")));
        }
    }
    println!("audio_s:   {}", duration(job));
    if let Some(message) = job.error() {
        println!("error:     {message}");
    }
}

fn duration(job: &client::Job) -> String {
    job.input_metadata
        .as_ref()
        .and_then(|m| m.duration_seconds)
        .map(|d| format!("{d:.1}"))
        .unwrap_or_else(|| "-".into())
}
