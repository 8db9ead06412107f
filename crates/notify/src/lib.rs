//! Webhook delivery (issue 14, docs/extensions.md). A finished job's deliveries are rows of the
//! job store, made by the statement that ended the job; any process running a [`Deliverer`]
//! claims them one attempt at a time (a lease, as workers claim jobs), sends each signed as a
//! Standard Webhook in Speechmatics' shape, and records the answer. So a delivery survives a
//! restart or a `kill -9`, and every attempt is made by exactly one process.

mod attempt;
mod body;
mod schedule;
pub mod sign;

use std::sync::Arc;
use std::time::Duration;

use blob::fetch::FetchPolicy;
use blob::BlobStore;
use jobs::{AttemptResult, Delivery, JobStore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use schedule::GIVE_UP_AFTER;

/// How long a rotated-out secret keeps signing.
pub const SECRET_OVERLAP: Duration = Duration::from_secs(24 * 60 * 60);

#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// Which addresses a webhook URL may reach: the rules of URL input (`VERBATIM_URL_ALLOW_HOSTS`,
    /// `VERBATIM_URL_CA_CERT`, `VERBATIM_URL_PROXY`).
    pub policy: FetchPolicy,
    /// How often an idle deliverer looks for due deliveries.
    pub poll: Duration,
    /// Attempts in flight at once in this process.
    pub concurrency: usize,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            policy: FetchPolicy::default(),
            poll: Duration::from_secs(1),
            concurrency: 8,
        }
    }
}

/// A claim outlives the longest attempt (its timeout, plus reading the outputs and the
/// database round trips) by a margin, so a live attempt never loses its delivery.
const CLAIM_FOR: Duration = Duration::from_secs(60);

/// The background task delivering webhooks; stops when [`Deliverer::shutdown`] is called or
/// it is dropped.
pub struct Deliverer {
    stop: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Deliverer {
    /// Starts delivering. A bad TLS setting of the policy (an unreadable CA file) does not stop
    /// the server: it is logged, and every attempt fails, to be retried, until it is fixed.
    pub fn start(
        store: Arc<dyn JobStore>,
        blobs: Arc<dyn BlobStore>,
        config: NotifyConfig,
    ) -> Deliverer {
        let client = blob::fetch::checked_client(&config.policy).map_err(|e| {
            tracing::error!(error = %e, "webhook delivery is not configured correctly");
        });
        let stop = CancellationToken::new();
        let task = tokio::spawn(run(
            Context {
                store,
                blobs,
                client,
                config,
            }
            .into(),
            stop.clone(),
        ));
        Deliverer {
            stop,
            task: Some(task),
        }
    }

    /// Stops claiming and waits for the attempts in flight (at most their timeout), so none is
    /// cut off unrecorded.
    pub async fn shutdown(mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Deliverer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

struct Context {
    store: Arc<dyn JobStore>,
    blobs: Arc<dyn BlobStore>,
    /// `Err` when the policy's TLS settings are bad (logged once, at start).
    client: Result<reqwest::Client, ()>,
    config: NotifyConfig,
}

async fn run(ctx: Arc<Context>, stop: CancellationToken) {
    let mut in_flight = JoinSet::new();
    let concurrency = ctx.config.concurrency.max(1);
    loop {
        while in_flight.try_join_next().is_some() {}
        let claimed = if in_flight.len() < concurrency && !stop.is_cancelled() {
            match ctx.store.claim_delivery(CLAIM_FOR).await {
                Ok(claimed) => claimed,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot claim a webhook delivery");
                    None
                }
            }
        } else {
            None
        };
        match claimed {
            Some(delivery) => {
                let ctx = ctx.clone();
                in_flight.spawn(async move { deliver(&ctx, delivery).await });
            }
            None => {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tokio::time::sleep(ctx.config.poll) => {}
                    Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
                }
            }
        }
    }
    while in_flight.join_next().await.is_some() {}
}

/// Makes one attempt of `delivery` and records it.
async fn deliver(ctx: &Context, delivery: Delivery) {
    let result = attempt(ctx, &delivery).await;
    let job_id = &delivery.job.job_id;
    match &result {
        AttemptResult::Delivered { status } => {
            tracing::info!(job_id = %job_id, webhook_id = %delivery.id, attempt = delivery.attempt, status, "webhook delivered")
        }
        AttemptResult::Retry { after, error, .. } => {
            tracing::info!(job_id = %job_id, webhook_id = %delivery.id, attempt = delivery.attempt, %error, retry_in_s = after.as_secs_f64(), "webhook attempt failed")
        }
        AttemptResult::GaveUp { error, .. } => {
            tracing::warn!(job_id = %job_id, webhook_id = %delivery.id, attempt = delivery.attempt, %error, "webhook given up")
        }
    }
    match ctx.store.finish_delivery(&delivery, &result).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(job_id = %job_id, webhook_id = %delivery.id, "webhook claim lost before the attempt was recorded")
        }
        Err(e) => {
            tracing::warn!(job_id = %job_id, webhook_id = %delivery.id, error = %e, "cannot record a webhook attempt")
        }
    }
}

async fn attempt(ctx: &Context, delivery: &Delivery) -> AttemptResult {
    let target = delivery
        .job
        .job_config
        .notification_config
        .as_ref()
        .and_then(|c| c.targets().get(delivery.target));
    let Some(target) = target else {
        return AttemptResult::GaveUp {
            status: None,
            error: "the job's notification_config has no such entry".into(),
        };
    };
    // A failure of our own storage or database is retried like a network error: the receiver is
    // not at fault.
    let ours = |error: String| {
        attempt::result(
            delivery,
            attempt::Answer::Transient {
                status: None,
                error,
                retry_after: None,
            },
        )
    };
    let body = match body::build(target.contents.as_deref(), &delivery.job, &*ctx.blobs).await {
        Ok(body) => body,
        Err(e) => return ours(format!("cannot read the job's outputs: {e}")),
    };
    let secrets = match ctx
        .store
        .webhook_secrets(&delivery.job.organisation_id)
        .await
    {
        Ok(secrets) => secrets,
        Err(e) => return ours(format!("cannot read the signing secret: {e}")),
    };
    let Ok(client) = &ctx.client else {
        return ours("webhook delivery is not configured correctly on the server".into());
    };
    let mut keys = vec![secrets.secret.as_str()];
    if let Some((previous, _)) = &secrets.previous {
        keys.push(previous.as_str());
    }
    let answer = attempt::send(client, &ctx.config.policy, delivery, target, &body, &keys).await;
    attempt::result(delivery, answer)
}
