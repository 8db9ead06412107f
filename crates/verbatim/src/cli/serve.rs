//! `verbatim serve`: the API server with its in-process workers. The backends come from the
//! settings: PostgreSQL when `VERBATIM_DATABASE_URL` says so, S3 when `VERBATIM_S3_ENDPOINT`
//! or the bucket variables are set; otherwise the embedded default (SQLite in the data folder,
//! buckets as folders, the server signing its own URLs). `--workers 0` makes an API replica.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on (port 0 picks a free port; the log says which).
    #[arg(long, env = "VERBATIM_ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
    /// The data folder (SQLite database, local buckets, signing key; only the embedded default
    /// uses it), the database URL and the buckets (S3, or folders in the data folder).
    #[command(flatten)]
    backends: super::storage::Backends,
    /// In-process workers (0: none, the api only).
    #[arg(long, env = "VERBATIM_WORKERS", default_value_t = 1)]
    workers: usize,
    /// The base of the signed URLs handed to clients (default: http://<the listening address>).
    #[arg(long, env = "VERBATIM_PUBLIC_URL")]
    public_url: Option<String>,
    #[command(flatten)]
    http_limits: super::limits::HttpLimits,
    #[command(flatten)]
    retention: super::limits::Retention,
    /// The workers' models, programs, leases and job limits (the limits bind the API too).
    #[command(flatten)]
    worker: super::pool::WorkerSettings,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    init_tracing();
    run_until_shutdown(serve(args))
}

/// Runs a server's main task (the API with its workers, or workers alone) on a runtime of its
/// own until it ends.
pub(super) fn run_until_shutdown(
    main: impl std::future::Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(main);
    // A recognition still running on a blocking thread (its job already handed back) must not
    // keep the process alive after a shutdown signal.
    runtime.shutdown_timeout(Duration::from_secs(1));
    result?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

async fn serve(args: Args) -> anyhow::Result<()> {
    let data_dir = &args.backends.data.data_dir;
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let jobs = super::keys::open_store(&args.backends.data).await?;

    let addr: SocketAddr = tokio::net::lookup_host(&args.addr)
        .await
        .with_context(|| format!("bad --addr {}", args.addr))?
        .next()
        .with_context(|| format!("bad --addr {}", args.addr))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    let public_url = args
        .public_url
        .clone()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| format!("http://{local}"))
        .trim_end_matches('/')
        .to_string();

    // Checked before anything is served: a setting that would fail every job stops the start.
    let worker_config = args.worker.config(args.workers)?;
    let (blobs, local_store) = args.backends.storage.open(data_dir, &public_url).await?;

    let models_dir = worker_config.models_dir.clone();
    let mut model_codes = vec![api::DEFAULT_MODEL_CODE.to_string()];
    model_codes.extend(asr::models::list(&models_dir).into_iter().map(|m| m.name));
    let fetch_policy = &worker_config.fetch_policy;
    let config = api::ApiConfig {
        max_upload_bytes: worker_config.max_input_bytes,
        url_input: blob::fetch::FetchPolicy {
            allow_hosts: fetch_policy.allow_hosts.clone(),
            extra_ca_cert: fetch_policy.extra_ca_cert.clone(),
            ..Default::default()
        },
        public_base_url: public_url.clone(),
        model_codes,
        posts_per_minute: args.http_limits.rate_limit_per_minute,
        max_concurrent_uploads: args.http_limits.max_concurrent_uploads,
        min_body_bytes_per_second: args.http_limits.body_min_rate,
        metrics_token: args
            .http_limits
            .metrics_token
            .clone()
            .filter(|t| !t.is_empty()),
        openai_wait: args.http_limits.openai_wait,
    };

    let deliverer =
        super::webhooks::start_deliverer(jobs.clone(), blobs.clone(), &worker_config.fetch_policy);
    let pool = (args.workers > 0)
        .then(|| worker::WorkerPool::start(jobs.clone(), blobs.clone(), worker_config));

    let sweeper = tokio::spawn(sweep_orphans_forever(
        blobs.clone(),
        args.http_limits.orphan_age,
    ));
    let retention = args.retention.start_sweeper(jobs.clone(), blobs.clone());
    let state = api::AppState::new(jobs, blobs, local_store, config);
    let app = api::router(state);
    tracing::info!(
        data_dir = %data_dir.display(),
        models_dir = %models_dir.display(),
        workers = args.workers,
        "listening on http://{local}"
    );
    api::serve(
        listener,
        app,
        args.http_limits.http_header_timeout,
        shutdown_signal(),
    )
    .await;

    sweeper.abort();
    retention.abort();
    tracing::info!("stopped accepting requests; shutting the workers down");
    if let Some(pool) = pool {
        pool.shutdown().await;
    }
    deliverer.shutdown().await;
    tracing::info!("shut down");
    Ok(())
}

/// Removes orphaned uploads (see `blob::sweep_orphans`) older than `age`, at start and then
/// every hour (or every half of `age`, when shorter). Any number of API replicas may run it:
/// deleting an object twice is harmless.
async fn sweep_orphans_forever(blobs: Arc<dyn blob::BlobStore>, age: Duration) {
    let every = (age / 2).clamp(Duration::from_secs(1), Duration::from_secs(3600));
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        match blob::sweep_orphans(blobs.as_ref(), age).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "removed orphaned uploads"),
            Err(e) => tracing::warn!(error = %e, "sweeping orphaned uploads failed"),
        }
    }
}

pub(super) async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("installing a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
        _ = term.recv() => tracing::info!("SIGTERM received"),
    }
}
