//! Webhook deliveries as the job store keeps them: one per entry of a finished job's
//! `notification_config`, created when the job ends and claimed, attempt by attempt, by whichever
//! process runs a deliverer (`notify`), the way workers claim jobs.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::Job;

/// One attempt's hold on a delivery, from [`crate::JobStore::claim_delivery`].
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The Standard Webhooks `webhook-id`: the same for every attempt.
    pub id: String,
    /// The job as it is now.
    pub job: Job,
    /// Its entry in the job's `notification_config`.
    pub target: usize,
    /// `success` (the job is DONE) or `error` (FAILED): the `status` query parameter.
    pub outcome: String,
    /// This attempt's number, from 1.
    pub attempt: u32,
    pub created_at: DateTime<Utc>,
    /// Fencing token of this claim; the store checks it when the attempt is recorded.
    pub token: String,
}

/// How an attempt went, recorded by [`crate::JobStore::finish_delivery`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    /// The receiver answered 2xx.
    Delivered { status: u16 },
    /// Try again after `after`.
    Retry {
        after: Duration,
        status: Option<u16>,
        error: String,
    },
    /// No more attempts.
    GaveUp { status: Option<u16>, error: String },
}

/// A delivery's state, for the job's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryState {
    pub target: usize,
    pub attempts: u32,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub gave_up_at: Option<DateTime<Utc>>,
    pub next_attempt_at: DateTime<Utc>,
}

/// An organisation's signing keys (`whsec_` + base64 of 24 random bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSecrets {
    pub secret: String,
    pub created_at: DateTime<Utc>,
    /// The secret before the latest rotation, while it still signs.
    pub previous: Option<(String, DateTime<Utc>)>,
}

/// A new signing key in Standard Webhooks' form.
pub fn new_webhook_secret() -> String {
    use base64::Engine as _;
    use rand::RngCore;
    let mut key = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut key);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}
