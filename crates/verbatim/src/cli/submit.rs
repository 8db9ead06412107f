//! `verbatim submit FILE...`: uploads each file to a server of the SLNG Batch API, follows the
//! jobs while they work, and prints or writes their transcripts.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Map, Value};

use super::remote::{self, exit, Remote};
use super::watch::Display;

/// Files above this size take the presigned upload: the PUT goes to the object store (S3 for
/// SLNG's service and a Verbatim fleet) instead of through the API, and 100 MB is where common
/// reverse proxies stop request bodies (Cloudflare's default limit, for one).
pub const DEFAULT_PRESIGN_ABOVE: u64 = 100_000_000;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Audio files (wav, mp3, flac, aac, ogg, m4a, mp4, amr, mpeg): one job each.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    remote: Remote,
    /// Spoken language, a code of the API (en, de, fr…; Verbatim also takes `auto`). Default:
    /// the server's (en).
    #[arg(long)]
    language: Option<String>,
    /// `standard` or `enhanced` (more accurate, slower). Default: the server's (standard).
    #[arg(long, value_parser = ["standard", "enhanced"])]
    operating_point: Option<String>,
    /// `none`, `speaker` or `channel`. Default: the server's (none).
    #[arg(long, value_parser = ["none", "speaker", "channel"])]
    diarization: Option<String>,
    /// A whole transcription_config, as JSON (any field of the API); --language,
    /// --operating-point and --diarization override its fields.
    #[arg(long, value_name = "JSON")]
    config: Option<String>,
    /// The formats to fetch (comma list of json, txt, srt, vtt). Without --output the first
    /// is printed on stdout.
    #[arg(long, value_delimiter = ',', default_value = "txt", value_parser = ["json", "txt", "srt", "vtt"])]
    format: Vec<String>,
    /// Write `<job_id>.<format>` for each --format into this folder instead of printing.
    #[arg(long, value_name = "DIR")]
    output: Option<PathBuf>,
    /// Submit, print the job ids and return without waiting for the jobs.
    #[arg(long)]
    no_wait: bool,
    /// Files larger than this many bytes go by the presigned upload (the file PUT to a signed
    /// URL, straight to the object store); smaller ones in one multipart request. 0: every
    /// file presigned.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_PRESIGN_ABOVE)]
    presign_above: u64,
    /// How often a job's status is read while it works (e.g. 1s, 500ms).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "1s")]
    poll_interval: Duration,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match prepare(&args) {
        Ok(submission) => super::one_thread_runtime()?.block_on(submit_all(&args, submission)),
        Err(message) => {
            eprintln!("error: {message}");
            Ok(ExitCode::from(exit::USAGE))
        }
    }
}

/// Checks what can be checked before anything is sent: the files are readable, the config is a
/// JSON object, the output folder exists.
fn prepare(args: &Args) -> Result<client::Submission, String> {
    for file in &args.files {
        match std::fs::metadata(file) {
            Ok(m) if m.is_file() => {}
            Ok(_) => return Err(format!("{}: not a file", file.display())),
            Err(e) => return Err(format!("{}: {e}", file.display())),
        }
    }
    let mut config = match &args.config {
        None => Map::new(),
        Some(text) => match serde_json::from_str(text) {
            Ok(Value::Object(o)) => o,
            Ok(_) => return Err("--config must be a JSON object".into()),
            Err(e) => return Err(format!("--config is not JSON: {e}")),
        },
    };
    for (name, value) in [
        ("language", &args.language),
        ("operating_point", &args.operating_point),
        ("diarization", &args.diarization),
    ] {
        if let Some(v) = value {
            config.insert(name.into(), v.as_str().into());
        }
    }
    if let Some(dir) = &args.output {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    Ok(client::Submission {
        transcription_config: config,
        ..Default::default()
    })
}

async fn submit_all(args: &Args, submission: client::Submission) -> anyhow::Result<ExitCode> {
    let client = match args.remote.client() {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    if let Err(e) = client.check().await {
        return Ok(remote::fail(e));
    }
    let display = Display::new();
    let mut submitted = Vec::new();
    for file in &args.files {
        let len = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        let method = if len > args.presign_above {
            client::UploadMethod::Presigned
        } else {
            client::UploadMethod::Multipart
        };
        let upload = display.upload(file, len);
        let accepted = client
            .submit(file, &submission, method, upload.on_bytes())
            .await;
        upload.finish();
        let accepted = match accepted {
            Ok(a) => a,
            Err(e) => return Ok(remote::fail(e)),
        };
        display.note(&format!(
            "submitted {} as job {}",
            file.display(),
            accepted.job_id
        ));
        if args.no_wait {
            if args.remote.json {
                let mut line = accepted.raw.clone();
                line["file"] = file.display().to_string().into();
                println!("{line}");
            } else {
                println!("{}", accepted.job_id);
            }
        }
        submitted.push((file.as_path(), accepted.job_id, accepted.status));
    }
    if args.no_wait {
        return Ok(ExitCode::SUCCESS);
    }

    let waits = submitted.iter().map(|(file, id, status)| {
        let mut view = display.job(id, file, status);
        let client = &client;
        async move {
            let job = client
                .wait(id, args.poll_interval, |job| view.update(job))
                .await;
            view.finish();
            job
        }
    });
    let ended = futures::future::join_all(waits).await;

    // With several files, the exit code is that of the first one that did not succeed.
    let mut code = None;
    for ((file, _, _), job) in submitted.iter().zip(ended) {
        let outcome = match job {
            Ok(job) => deliver(args, &client, file, job).await,
            Err(e) => Err(remote::fail(e)),
        };
        if let Err(c) = outcome {
            code.get_or_insert(c);
        }
    }
    Ok(code.unwrap_or(ExitCode::SUCCESS))
}

/// Prints or writes a finished job's outputs; tells a failed one.
async fn deliver(
    args: &Args,
    client: &client::Client,
    file: &Path,
    job: client::Job,
) -> Result<(), ExitCode> {
    let mut line = job.raw.clone();
    line["file"] = file.display().to_string().into();
    if job.status != "DONE" {
        let why = match (job.status.as_str(), job.error()) {
            ("FAILED", Some(message)) => format!("failed: {message}"),
            ("FAILED", None) => "failed".to_string(),
            (status, _) => format!("ended {status}"),
        };
        eprintln!("error: job {} ({}) {why}", job.job_id, file.display());
        if args.remote.json {
            println!("{line}");
        }
        return Err(ExitCode::from(exit::JOB_FAILED));
    }
    let files = client.files(&job.job_id).await.map_err(remote::fail)?;
    let output_of = |format: &str| {
        files.output(format).ok_or_else(|| {
            remote::fail(client::Error::Protocol(format!(
                "job {} has no {format} output",
                job.job_id
            )))
        })
    };
    match &args.output {
        Some(dir) => {
            let mut written = Map::new();
            for format in &args.format {
                let output = output_of(format)?;
                let path = dir.join(format!("{}.{format}", job.job_id));
                write(client, &output.download_url, &path).await?;
                written.insert(format.clone(), path.display().to_string().into());
            }
            if args.remote.json {
                line["outputs"] = written.into();
                println!("{line}");
            } else {
                eprintln!(
                    "wrote {} into {}",
                    args.format
                        .iter()
                        .map(|f| format!("{}.{f}", job.job_id))
                        .collect::<Vec<_>>()
                        .join(", "),
                    dir.display()
                );
            }
        }
        // With --json, stdout is for the records only.
        None if args.remote.json => println!("{line}"),
        None => {
            let output = output_of(&args.format[0])?;
            let mut stdout = tokio::io::stdout();
            client
                .download(&output.download_url, &mut stdout, Path::new("<stdout>"))
                .await
                .map_err(remote::fail)?;
        }
    }
    Ok(())
}

/// Downloads into `path` through a temporary file beside it, so that an interrupted download
/// never leaves a partial transcript under the final name.
async fn write(client: &client::Client, url: &str, path: &Path) -> Result<(), ExitCode> {
    let partial = PathBuf::from(format!("{}.partial", path.display()));
    let local = |source| {
        remote::fail(client::Error::File {
            path: partial.clone(),
            source,
        })
    };
    let mut out = tokio::fs::File::create(&partial).await.map_err(local)?;
    let downloaded = client.download(url, &mut out, &partial).await;
    drop(out);
    if let Err(e) = downloaded {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(remote::fail(e));
    }
    tokio::fs::rename(&partial, path).await.map_err(local)
}
