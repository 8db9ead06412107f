//! `verbatim worker`: workers only, no API. Points at the same database and buckets as the API
//! replicas (`VERBATIM_DATABASE_URL`, `VERBATIM_S3_*` and the bucket variables), so any number of these processes, on any
//! machines, drain one queue. SIGTERM/SIGINT stop claiming and hand back what is held.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data folder (SQLite database, local buckets, signing key; only the embedded default
    /// uses it), the database URL and the buckets (S3, or folders in the data folder).
    #[command(flatten)]
    backends: super::storage::Backends,
    /// Workers in this process (each recognises one job at a time).
    #[arg(long, env = "VERBATIM_WORKERS", default_value_t = 1)]
    workers: usize,
    /// The workers' models, programs, leases and job limits.
    #[command(flatten)]
    worker: super::pool::WorkerSettings,
    #[command(flatten)]
    retention: super::limits::Retention,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.workers == 0 {
        anyhow::bail!("--workers must be at least 1");
    }
    super::serve::init_tracing();
    super::serve::run_until_shutdown(work(args))
}

async fn work(args: Args) -> anyhow::Result<()> {
    let data_dir = &args.backends.data.data_dir;
    let jobs = super::keys::open_store(&args.backends.data).await?;
    if !data_dir.exists() {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create {}", data_dir.display()))?;
    }
    let config = args.worker.config(args.workers)?;
    // Workers never sign URLs for clients; the base URL only matters to the local store's API.
    let (blobs, _local) = args
        .backends
        .storage
        .open(data_dir, "http://127.0.0.1")
        .await?;
    tracing::info!(workers = args.workers, models_dir = %config.models_dir.display(), "worker started");
    let blobs = blobs as Arc<dyn blob::BlobStore>;
    let retention = args.retention.start_sweeper(jobs.clone(), blobs.clone());
    let deliverer =
        super::webhooks::start_deliverer(jobs.clone(), blobs.clone(), &config.fetch_policy);
    let pool = worker::WorkerPool::start(jobs, blobs, config);
    super::serve::shutdown_signal().await;
    retention.abort();
    tracing::info!("stopping: finishing or handing back the jobs held");
    pool.shutdown().await;
    deliverer.shutdown().await;
    tracing::info!("shut down");
    Ok(())
}
