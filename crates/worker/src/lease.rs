//! Keeping a claimed job: renews the lease in the background while the job runs, and says when
//! the lease is lost (another worker took the job, or it was cancelled) so the job is abandoned
//! instead of finished twice.

use std::sync::Arc;
use std::time::Duration;

use jobs::{JobStore, Lease};
use tokio_util::sync::{CancellationToken, DropGuard};

pub struct LeaseKeeper {
    lost: CancellationToken,
    _stop: DropGuard,
}

impl LeaseKeeper {
    /// Starts renewing `lease` for `lease_for` every `every`. Renewal stops when the keeper is
    /// dropped.
    pub fn start(
        store: Arc<dyn JobStore>,
        lease: Lease,
        lease_for: Duration,
        every: Duration,
    ) -> LeaseKeeper {
        let lost = CancellationToken::new();
        let stop = CancellationToken::new();
        tokio::spawn(renew_loop(
            store,
            lease,
            lease_for,
            every.max(Duration::from_millis(10)),
            lost.clone(),
            stop.clone(),
        ));
        LeaseKeeper {
            lost,
            _stop: stop.drop_guard(),
        }
    }

    /// Resolves when the lease is known lost.
    pub async fn lost(&self) {
        self.lost.cancelled().await
    }
}

async fn renew_loop(
    store: Arc<dyn JobStore>,
    lease: Lease,
    lease_for: Duration,
    every: Duration,
    lost: CancellationToken,
    stop: CancellationToken,
) {
    let job_id = lease.job.job_id.clone();
    // Until a renewal succeeds, the lease is good until the expiry the claim gave.
    let mut held_until = tokio::time::Instant::now() + remaining(&lease);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        let asked_at = tokio::time::Instant::now();
        match store.renew(&lease, lease_for).await {
            Ok(true) => held_until = asked_at + lease_for,
            Ok(false) | Err(jobs::JobsError::LeaseLost) => {
                tracing::warn!(job_id = %job_id, "lease lost: the job was cancelled or another worker has it; abandoning it");
                lost.cancel();
                return;
            }
            Err(e) => {
                // The store is unreachable for now. Our lease may still be valid; once it has
                // certainly run out, another worker may already be running the job.
                if tokio::time::Instant::now() >= held_until {
                    tracing::warn!(job_id = %job_id, error = %e, "lease ran out while the store was unreachable; abandoning the job");
                    lost.cancel();
                    return;
                }
                tracing::warn!(job_id = %job_id, error = %e, "lease renewal failed; will retry");
            }
        }
    }
}

fn remaining(lease: &Lease) -> Duration {
    (lease.expires_at - chrono::Utc::now())
        .to_std()
        .unwrap_or_default()
}
