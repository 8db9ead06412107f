//! The storage trait every backend implements (SQLite now, PostgreSQL next).

use std::sync::Arc;
use std::time::Duration;

use crate::{
    ApiKey, AttemptResult, Corrections, Delivery, DeliveryState, Idempotency, InputMetadata, Job,
    JobStatus, JobsError, Lease, ListQuery, NewJob, OutputMetadata, WebhookSecrets,
};

#[async_trait::async_trait]
pub trait JobStore: Send + Sync {
    // ---- api side: everything is scoped by organisation ----

    /// Creates a QUEUED job and wakes idle workers. [`JobsError::AlreadyExists`] if the job id
    /// exists in any organisation (ids are also storage keys), or is reserved by a live
    /// presigned upload of another organisation. Consumes this organisation's reservation of the id.
    async fn create(&self, job: NewJob) -> Result<Job, JobsError>;
    async fn get(&self, org: &str, job_id: &str) -> Result<Option<Job>, JobsError>;
    /// One page and the total number of matching jobs.
    async fn list(&self, org: &str, q: &ListQuery) -> Result<(Vec<Job>, u64), JobsError>;
    /// DONE/FAILED → DELETED (sets `deleted_at`). NotFound | NotDeletable.
    async fn mark_deleted(&self, org: &str, job_id: &str) -> Result<Job, JobsError>;
    /// QUEUED or working → FAILED with `message` as `error_message`, `completed_at` set and the
    /// lease cleared: the worker holding it learns at its next renewal (`renew` answers
    /// `false`) and stops. NotFound | NotCancellable (the job already ended).
    async fn cancel(&self, org: &str, job_id: &str, message: &str) -> Result<Job, JobsError>;
    /// Up to `limit` DONE or FAILED jobs, not yet expired, that ended longer ago than the
    /// shorter of `retention` (`None`: forever) and their own `retention_seconds`; the ones
    /// that ended first first. Of every organisation (the retention sweeper's).
    async fn expirable(
        &self,
        retention: Option<Duration>,
        limit: u32,
    ) -> Result<Vec<Job>, JobsError>;
    /// Sets `expired_at` (the job's files were purged); `false` when it was already set.
    async fn mark_expired(&self, job_id: &str) -> Result<bool, JobsError>;
    /// Makes a job created with [`crate::NewJob::held_for`] claimable now. Nothing happens to
    /// a job that is not held (or not this organisation's).
    async fn release_hold(&self, org: &str, job_id: &str) -> Result<(), JobsError>;
    /// Presign step 1: holds `job_id` for `org` until `expires_at`. AlreadyExists if a job has
    /// the id, or another organisation holds a live reservation. The same organisation may
    /// reserve again (the newer key and expiry win).
    async fn reserve_upload(
        &self,
        org: &str,
        job_id: &str,
        key: &str,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), JobsError>;
    /// Whether `key` is the upload key of a live reservation (not expired, not yet a job): the
    /// local store's presigned PUT is accepted only then, so the URL is single-use.
    async fn upload_pending(&self, key: &str) -> Result<bool, JobsError>;
    /// Presign step 3: the key reserved by `org` for `job_id`, if any (also after the upload
    /// URL expired, as long as nobody else took the id and it is less than a day past its
    /// expiry). It is removed by `create`.
    async fn take_reservation(&self, org: &str, job_id: &str) -> Result<Option<String>, JobsError>;

    /// Claims `key` for a request of `org`, atomically: exactly one of several concurrent
    /// requests gets [`Idempotency::Claimed`]. A key answered more than `lifetime` ago, or
    /// claimed more than `abandoned_after` ago and never answered (its process died), is
    /// forgotten first and claimed afresh.
    async fn claim_idempotency_key(
        &self,
        org: &str,
        key: &str,
        lifetime: Duration,
        abandoned_after: Duration,
    ) -> Result<Idempotency, JobsError>;
    /// Records the answer to the request that claimed `key`.
    async fn record_idempotent_response(
        &self,
        org: &str,
        key: &str,
        response: &crate::IdempotentResponse,
    ) -> Result<(), JobsError>;
    /// Gives a claimed, unanswered key up (its request failed), so a retry may claim it.
    async fn release_idempotency_key(&self, org: &str, key: &str) -> Result<(), JobsError>;
    /// Forgets every key answered or claimed more than `lifetime` ago; how many.
    async fn purge_idempotency_keys(&self, lifetime: Duration) -> Result<u64, JobsError>;

    /// The streamed text of a job of `org` from its character `from` on (0: all of it); `None`
    /// when there is none (no such job, a job that does not stream, or one that ended).
    async fn partial_text(
        &self,
        org: &str,
        job_id: &str,
        from: usize,
    ) -> Result<Option<String>, JobsError>;
    /// The transcript corrections of a job of `org` (`None`: no such job; a job never corrected
    /// has no document and revision 0).
    async fn corrections(&self, org: &str, job_id: &str) -> Result<Option<Corrections>, JobsError>;
    /// Replaces the corrections of a DONE job of `org` with `document` if their revision is
    /// still `revision`, and returns the new revision; `None` when it changed meanwhile (read
    /// and try again) or the job is not DONE (any more).
    async fn set_corrections(
        &self,
        org: &str,
        job_id: &str,
        revision: u64,
        document: &serde_json::Value,
    ) -> Result<Option<u64>, JobsError>;

    // ---- worker side: the queue ----

    /// Atomically takes a visible QUEUED job, or a working job whose lease expired; sets the
    /// lease, adds one to `attempts`, sets `started_at` on the first claim, sets `heartbeat_at`
    /// and clears the `progress` of an earlier attempt. Organisations take
    /// turns: the one with the fewest jobs in progress first, among equals the one whose latest
    /// claim is the oldest, and within it its oldest job.
    async fn claim(&self, worker_id: &str, lease: Duration) -> Result<Option<Lease>, JobsError>;
    /// Extends the lease to now + `lease_for` and moves `heartbeat_at`; `false` = lost (someone
    /// else claimed it, or it ended).
    async fn renew(&self, lease: &Lease, lease_for: Duration) -> Result<bool, JobsError>;
    /// Records how far the held job has got and moves `heartbeat_at`; the status and
    /// `updated_at` stay. LeaseLost when the job is not held under this lease any more.
    async fn report_progress(
        &self,
        lease: &Lease,
        progress: &crate::Progress,
    ) -> Result<(), JobsError>;
    /// Appends `text` to the streamed text of the held job (nothing for a job that does not
    /// stream it). LeaseLost when the job is not held under this lease any more.
    async fn append_partial_text(&self, lease: &Lease, text: &str) -> Result<(), JobsError>;
    /// Moves a held job to IN_PROGRESS / DECODING / POST_PROCESSING, optionally replacing
    /// `input_metadata`; every move of a held job moves `heartbeat_at` too. LeaseLost |
    /// InvalidTransition.
    async fn advance(
        &self,
        lease: &Lease,
        status: JobStatus,
        input_metadata: Option<InputMetadata>,
    ) -> Result<(), JobsError>;
    /// POST_PROCESSING → DONE with `output_metadata`, `completed_at`, and the final `progress`
    /// ([`crate::Progress::done`] of the output's duration); clears the lease.
    async fn complete(
        &self,
        lease: &Lease,
        output_metadata: OutputMetadata,
    ) -> Result<(), JobsError>;
    /// → FAILED with `error_message`, `completed_at`; clears the lease. `progress` stays: how
    /// far the job got.
    async fn fail(&self, lease: &Lease, message: &str) -> Result<(), JobsError>;
    /// Hands the job back: QUEUED, lease, `progress` and `heartbeat_at` cleared, claimable
    /// again after `retry_after`.
    async fn release(&self, lease: &Lease, retry_after: Duration) -> Result<(), JobsError>;
    /// Records where a fetched URL input now lives in the input bucket.
    async fn set_input(&self, lease: &Lease, input_key: &str) -> Result<(), JobsError>;
    /// Signalled when a job becomes claimable (`create`, `release` with no delay). Workers wait
    /// on it with a timeout and poll `claim` anyway, so a missed signal costs only latency.
    fn notifier(&self) -> Arc<tokio::sync::Notify>;

    // ---- webhooks: deliveries are created by the store when a job ends ----

    /// Takes the delivery due soonest (one not yet delivered or given up, whose next attempt is
    /// due, that no live claim holds) for one attempt of at most `lease`, counting the attempt.
    /// Exactly one of several concurrent claimers gets it.
    async fn claim_delivery(&self, lease: Duration) -> Result<Option<Delivery>, JobsError>;
    /// Records how the attempt went and lets the delivery go; `false` when the claim was lost
    /// (it outlived its lease and another process took the delivery).
    async fn finish_delivery(
        &self,
        delivery: &Delivery,
        result: &AttemptResult,
    ) -> Result<bool, JobsError>;
    /// The deliveries of a job (none until it ends), by target.
    async fn deliveries(&self, job_id: &str) -> Result<Vec<DeliveryState>, JobsError>;
    /// The secrets an organisation's deliveries are signed with, made on first use.
    async fn webhook_secrets(&self, organisation_id: &str) -> Result<WebhookSecrets, JobsError>;
    /// The secrets of the organisation of that name (`None`: no such organisation), after
    /// replacing the secret when `rotate`; the replaced one keeps signing for `overlap`.
    async fn organisation_webhook_secrets(
        &self,
        organisation_name: &str,
        rotate: bool,
        overlap: Duration,
    ) -> Result<Option<WebhookSecrets>, JobsError>;

    // ---- organisations and API keys ----

    /// A new key for the organisation of that name (created on first use with a stable UUID).
    /// Returns the record and the secret, which is shown once and stored only hashed.
    async fn create_key(&self, organisation_name: &str) -> Result<(ApiKey, String), JobsError>;
    /// The key of this secret; `None` if unknown or revoked.
    async fn authenticate(&self, secret: &str) -> Result<Option<ApiKey>, JobsError>;
    async fn list_keys(&self) -> Result<Vec<ApiKey>, JobsError>;
    /// `false` if no such key or already revoked.
    async fn revoke_key(&self, id: &str) -> Result<bool, JobsError>;
    /// Number of jobs per status (statuses with no job are left out).
    async fn status_counts(&self) -> Result<Vec<(JobStatus, u64)>, JobsError>;
}
