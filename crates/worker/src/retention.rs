//! Retention: a job's input and outputs are purged from the blob store some time after the job
//! ended (`VERBATIM_RETENTION`, or the job's shorter `retention_seconds`); its record stays, with
//! `expired_at` saying when. Any number of processes may sweep at once: purging an object twice
//! is harmless and `expired_at` is set once.

use std::sync::Arc;
use std::time::Duration;

use blob::BlobStore;
use jobs::JobStore;

/// Jobs handled per store query.
const BATCH: u32 = 100;

/// Purges the files of every job past its retention and marks it expired; how many.
pub async fn expire_jobs(
    jobs: &dyn JobStore,
    blobs: &dyn BlobStore,
    retention: Option<Duration>,
) -> Result<usize, String> {
    let mut expired = 0;
    loop {
        let batch = jobs
            .expirable(retention, BATCH)
            .await
            .map_err(|e| e.to_string())?;
        let full = batch.len() == BATCH as usize;
        for job in batch {
            // Files first, then the mark: a sweep that dies in between purges again next time,
            // while a mark without the purge would hide files forever.
            let exts = transcript::STORED_EXTENSIONS;
            blob::purge_job_files(blobs, &job.job_id, job.input_key.as_deref(), &exts)
                .await
                .map_err(|e| format!("purging the files of {}: {e}", job.job_id))?;
            if jobs
                .mark_expired(&job.job_id)
                .await
                .map_err(|e| e.to_string())?
            {
                tracing::info!(job_id = %job.job_id, "job files expired");
                expired += 1;
            }
        }
        if !full {
            return Ok(expired);
        }
    }
}

/// Sweeps now and then for as long as the task lives: every quarter of `retention`, at most
/// every 30 s (a job's own retention may be shorter than the server's) and at least every
/// second. Also forgets the Idempotency-Keys older than `idempotency_lifetime`.
pub async fn sweep_forever(
    jobs: Arc<dyn JobStore>,
    blobs: Arc<dyn BlobStore>,
    retention: Option<Duration>,
    idempotency_lifetime: Duration,
) {
    let every = retention
        .map_or(Duration::from_secs(30), |r| r / 4)
        .clamp(Duration::from_secs(1), Duration::from_secs(30));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = expire_jobs(jobs.as_ref(), blobs.as_ref(), retention).await {
            tracing::warn!(error = %e, "expiring job files failed; will retry");
        }
        match jobs.purge_idempotency_keys(idempotency_lifetime).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(forgotten = n, "old Idempotency-Keys forgotten"),
            Err(e) => tracing::warn!(error = %e, "forgetting old Idempotency-Keys failed"),
        }
    }
}
