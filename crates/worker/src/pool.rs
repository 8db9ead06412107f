//! The workers of a process: each one claims a job, runs it while keeping its lease, settles
//! the outcome (done, failed, handed back or abandoned), and claims the next.

use std::sync::Arc;
use std::time::Duration;

use blob::BlobStore;
use jobs::{JobStore, Lease};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::WorkerConfig;
use crate::deadline::{Deadline, TIME_LIMIT_MESSAGE};
use crate::error::JobError;
use crate::lease::LeaseKeeper;
use crate::pipeline::{run_job, Context};

pub struct WorkerPool {
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl WorkerPool {
    /// Starts `config.workers` workers with Whisper models from `config.models_dir`. Must be
    /// called inside a tokio runtime.
    pub fn start(
        jobs: Arc<dyn JobStore>,
        blobs: Arc<dyn BlobStore>,
        config: WorkerConfig,
    ) -> WorkerPool {
        WorkerPool::start_with(Context::new(jobs, blobs, config))
    }

    /// Starts `ctx.config.workers` workers sharing `ctx` (its engines among them).
    pub fn start_with(ctx: Context) -> WorkerPool {
        let stop = CancellationToken::new();
        // Unique enough to tell processes apart in logs and in the store; correctness does not
        // depend on it (every claim carries its own fencing token).
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let tasks = (0..ctx.config.workers.max(1))
            .map(|i| {
                let worker_id = format!("worker-{}-{nonce:08x}-{i}", std::process::id());
                tokio::spawn(worker_loop(ctx.clone(), worker_id, stop.clone()))
            })
            .collect();
        WorkerPool { stop, tasks }
    }

    /// Stops claiming jobs. A running job may finish within `shutdown_grace`; past that it is
    /// handed back (QUEUED, claimable at once) for another worker or the next start. Returns
    /// when every worker has ended.
    ///
    /// A recognition already running on a blocking thread cannot be interrupted: it goes on
    /// after this returns (its result is discarded), so the process should exit without
    /// waiting for blocking threads (e.g. `Runtime::shutdown_timeout` or `std::process::exit`).
    pub async fn shutdown(self) {
        self.stop.cancel();
        for task in self.tasks {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "a worker task ended abnormally");
            }
        }
    }
}

async fn worker_loop(ctx: Context, worker_id: String, stop: CancellationToken) {
    let notify = ctx.jobs.notifier();
    while !stop.is_cancelled() {
        // Registered before claiming, so a job created between an empty claim and the wait
        // still wakes this worker.
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        match ctx.jobs.claim(&worker_id, ctx.config.lease).await {
            Ok(Some(lease)) => handle(&ctx, lease, &stop).await,
            Ok(None) => {
                tokio::select! {
                    _ = notified => {}
                    _ = tokio::time::sleep(ctx.config.idle_poll) => {}
                    _ = stop.cancelled() => {}
                }
            }
            Err(e) => {
                tracing::warn!(worker = %worker_id, error = %e, "claiming a job failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(ctx.config.idle_poll.max(Duration::from_secs(1))) => {}
                    _ = stop.cancelled() => {}
                }
            }
        }
    }
}

/// Runs one claimed job and settles it. Every path ends with the job DONE, FAILED, back in the
/// queue, or left alone because another worker holds it now.
async fn handle(ctx: &Context, lease: Lease, stop: &CancellationToken) {
    let job_id = lease.job.job_id.clone();
    let attempts = lease.job.attempts;
    if stop.is_cancelled() {
        settle_release(ctx, &lease, Duration::ZERO, "shutting down").await;
        return;
    }
    if attempts > ctx.config.max_claims {
        let message = format!("transcription failed after {attempts} attempts: the worker stopped while processing it");
        settle_fail(ctx, &lease, &message).await;
        return;
    }
    tracing::info!(job_id = %job_id, attempt = attempts, "job started");
    let keeper = LeaseKeeper::start(
        ctx.jobs.clone(),
        lease.clone(),
        ctx.config.lease,
        ctx.config.renew_every,
    );
    let grace_over = async {
        stop.cancelled().await;
        tokio::time::sleep(ctx.config.shutdown_grace).await;
    };
    // The audio's duration is not known yet: until the probe says, the budget is the floor.
    let deadline = Deadline::new(ctx.config.job_budget(0.0));
    let outcome = tokio::select! {
        biased;
        r = run_job(ctx, &lease, &deadline) => r,
        _ = keeper.lost() => Err(JobError::LeaseLost),
        _ = deadline.passed() => {
            tracing::warn!(job_id = %job_id, "job ran past its time limit");
            Err(JobError::Input(TIME_LIMIT_MESSAGE.into()))
        }
        _ = grace_over => {
            settle_release(ctx, &lease, Duration::ZERO, "shutdown grace period over").await;
            return;
        }
    };
    match outcome {
        Ok(()) => tracing::info!(job_id = %job_id, "job done"),
        Err(JobError::LeaseLost) => {
            tracing::warn!(job_id = %job_id, "job abandoned: another worker holds it now")
        }
        Err(JobError::Input(message)) => {
            tracing::info!(job_id = %job_id, reason = %message, "job failed");
            settle_fail(ctx, &lease, &message).await;
        }
        Err(JobError::Transient { reason, detail }) if attempts >= ctx.config.max_attempts => {
            tracing::error!(job_id = %job_id, %reason, %detail, "job failed after its last attempt");
            settle_fail(
                ctx,
                &lease,
                &format!("transcription failed after {attempts} attempts: {reason}"),
            )
            .await;
        }
        Err(JobError::Transient { reason, detail }) => {
            let after = ctx.config.retry_after(attempts);
            tracing::warn!(job_id = %job_id, %reason, %detail, retry_in_s = after.as_secs_f64(), "job handed back to retry");
            settle_release(ctx, &lease, after, &reason).await;
        }
    }
    drop(keeper);
}

/// A store error here leaves the job leased; it returns to the queue when the lease expires.
async fn settle_fail(ctx: &Context, lease: &Lease, message: &str) {
    if let Err(e) = ctx.jobs.fail(lease, message).await {
        tracing::warn!(job_id = %lease.job.job_id, error = %e, "could not mark the job failed");
    }
}

async fn settle_release(ctx: &Context, lease: &Lease, after: Duration, why: &str) {
    match ctx.jobs.release(lease, after).await {
        Ok(()) => tracing::info!(job_id = %lease.job.job_id, reason = why, "job handed back"),
        Err(e) => {
            tracing::warn!(job_id = %lease.job.job_id, error = %e, "could not hand the job back")
        }
    }
}
