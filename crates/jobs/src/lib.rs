//! Job records, their state machine and the queue (leases, retries), behind one storage trait:
//! SQLite embedded, PostgreSQL for a fleet (issue 4), behind the same [`JobStore`]; [`open`]
//! picks one from a database URL. The store's statements are written once (`sql_store.rs`) over
//! a narrow engine interface (`engine.rs`); each backend file holds only what differs.
//!
//! Notes for the api and worker code using this crate:
//! - Every api-side method is scoped by organisation: another organisation's job is `None` /
//!   [`JobsError::NotFound`], exactly as if it did not exist.
//! - `create` wakes idle workers itself (through [`JobStore::notifier`]); calling
//!   `notifier().notify_waiters()` again is harmless.
//! - A [`Lease`] carries a fencing `token` minted by each `claim`: once another worker has
//!   re-claimed an expired job, every call with the old lease answers [`JobsError::LeaseLost`]
//!   (or `false` from `renew`), so a job completes exactly once.
//! - Status moves are checked by [`JobStatus::can_advance_to`]; a bad move is
//!   [`JobsError::InvalidTransition`]. A re-claimed job restarts at `IN_PROGRESS` from any working state.
//! - Times are UTC, stored and returned with millisecond precision.

mod batch_job;
mod delivery;
mod engine;
mod error;
mod ids;
pub mod job_config;
mod metadata;
mod model;
mod open;
mod postgres;
mod sql_corrections;
mod sql_store;
mod sql_webhooks;
mod sqlite;
mod store;
mod time;

pub use batch_job::{batch_job, notification_states};
pub use delivery::{AttemptResult, Delivery, DeliveryState, WebhookSecrets};
pub use error::JobsError;
pub use ids::{hash_secret, new_api_key_secret, new_job_id, valid_job_id, MAX_JOB_ID_LEN};
pub use job_config::{
    Diarization, JobConfig, Language, NotificationConfig, OperatingPoint, Task, TranscriptionConfig,
};
pub use metadata::{InputMetadata, InputSource, OutputMetadata};
pub use model::{
    ApiKey, Corrections, Idempotency, IdempotentResponse, Job, JobStatus, Lease, ListQuery, NewJob,
    Progress, SortBy, SortOrder, Stage,
};
pub use open::open;
pub use postgres::{open_postgres, NOTIFY_CHANNEL};
pub use sqlite::open_sqlite;
pub use store::JobStore;
