//! The job record, its status state machine, list queries, API keys and leases.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The lifecycle of a job (contract section 5 and 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    Queued,
    InProgress,
    Decoding,
    PostProcessing,
    Done,
    Failed,
    Deleted,
}

impl JobStatus {
    pub const ALL: [JobStatus; 7] = [
        JobStatus::Queued,
        JobStatus::InProgress,
        JobStatus::Decoding,
        JobStatus::PostProcessing,
        JobStatus::Done,
        JobStatus::Failed,
        JobStatus::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "QUEUED",
            JobStatus::InProgress => "IN_PROGRESS",
            JobStatus::Decoding => "DECODING",
            JobStatus::PostProcessing => "POST_PROCESSING",
            JobStatus::Done => "DONE",
            JobStatus::Failed => "FAILED",
            JobStatus::Deleted => "DELETED",
        }
    }

    /// Queued or being worked on: the states a worker may hold a lease in.
    pub fn is_working(self) -> bool {
        matches!(
            self,
            JobStatus::Queued
                | JobStatus::InProgress
                | JobStatus::Decoding
                | JobStatus::PostProcessing
        )
    }

    /// DONE or FAILED: the only states DELETE accepts.
    pub fn is_deletable(self) -> bool {
        matches!(self, JobStatus::Done | JobStatus::Failed)
    }

    /// The state machine. Forward one stage at a time
    /// (QUEUED → IN_PROGRESS → DECODING → POST_PROCESSING → DONE); FAILED from any working
    /// state; DELETED from DONE or FAILED. Staying in the same working state is allowed, and
    /// so is going back to IN_PROGRESS from any working state: a job re-claimed after its
    /// worker died starts its pipeline again. Terminal states never move except to DELETED.
    pub fn can_advance_to(self, to: JobStatus) -> bool {
        use JobStatus::*;
        match (self, to) {
            (from, Failed) => from.is_working(),
            (from, Deleted) => from.is_deletable(),
            (from, InProgress) => from.is_working(),
            (Queued, Queued) => true,
            (InProgress, Decoding) | (Decoding, Decoding) => true,
            (Decoding, PostProcessing) | (PostProcessing, PostProcessing) => true,
            (PostProcessing, Done) => true,
            _ => false,
        }
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobStatus {
    type Err = String;
    /// Exact upper-case names only (`"QUEUED"`, ...); the error is the offending text.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| s.to_string())
    }
}

/// A job: the contract's `BatchJob` plus internal fields (input location, attempts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub job_id: String,
    pub status: JobStatus,
    pub api_key_id: String,
    pub organisation_id: String,
    pub model_code: String,
    /// `{"type":"transcription","transcription_config":{..},"tracking"?:{..},"output_config"?:{..}}`
    pub job_config: crate::JobConfig,
    /// The client's `metadata` object, stored as sent.
    pub metadata: Option<Value>,
    pub input_metadata: crate::InputMetadata,
    /// `{}` until DONE.
    pub output_metadata: crate::OutputMetadata,
    /// The plain message; the api renders it as `{"message": "..."}`.
    pub error_message: Option<String>,
    /// Key of the input object in the input bucket; `None` while a URL input is not fetched yet.
    pub input_key: Option<String>,
    pub input_url: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub expired_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// How many times a worker has claimed this job.
    pub attempts: u32,
    /// How far the work has got (docs/extensions.md, "Progress and heartbeat"): reported by the
    /// worker holding the job while it recognises, the final state once DONE; `None` before.
    pub progress: Option<Progress>,
    /// The latest sign of life of the worker holding the job: its claim, each lease renewal,
    /// each progress report and stage move. `None` while no worker holds a QUEUED job.
    pub heartbeat_at: Option<DateTime<Utc>>,
    /// Whether the request streams the job's text while it is recognised (the worker then
    /// records it, see [`crate::JobStore::append_partial_text`]).
    pub streams_text: bool,
}

/// What a job's worker is going through, for [`Progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Speech recognition: seconds of the recording recognised.
    Transcribing,
    /// Speaker diarization, after recognition: seconds of the recording the speaker model read.
    Diarizing,
    /// The job is DONE: all of the recording.
    Done,
}

/// A job's transcript corrections as the store keeps them: the api's document (`None` until
/// the first change) and how many changes it has had.
#[derive(Debug, Clone, PartialEq)]
pub struct Corrections {
    pub document: Option<serde_json::Value>,
    pub revision: u64,
}

/// How far a job has got, as `GET /v1/batch/jobs/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub stage: Stage,
    /// `audio_seconds_done` over the recording's duration: 0 to 1.
    pub fraction: f64,
    /// Seconds of the recording the stage has been through.
    pub audio_seconds_done: f64,
    /// Seconds the stage still needs at the rate seen so far in it; `None` until some audio is
    /// done.
    pub eta_seconds: Option<f64>,
}

impl Progress {
    /// A DONE job's: all of its `duration_seconds`, nothing left.
    pub fn done(duration_seconds: f64) -> Progress {
        Progress {
            stage: Stage::Done,
            fraction: 1.0,
            audio_seconds_done: duration_seconds,
            eta_seconds: Some(0.0),
        }
    }
}

/// What the api hands to [`crate::JobStore::create`]; the job starts QUEUED.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub job_id: String,
    pub api_key_id: String,
    pub organisation_id: String,
    pub model_code: String,
    pub job_config: crate::JobConfig,
    pub metadata: Option<Value>,
    pub input_metadata: crate::InputMetadata,
    pub input_key: Option<String>,
    pub input_url: Option<String>,
    /// Not claimable for this long unless [`crate::JobStore::release_hold`] comes first: the api
    /// creates an uploaded job this way, so the job id is won (atomically, in the store) before
    /// the upload moves to the job's key, and no worker looks for it before it is there.
    pub held_for: Option<std::time::Duration>,
    /// The request streams the job's text while it is recognised.
    pub streams_text: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    #[default]
    SubmittedAt,
    /// By the status name, alphabetically (what the contract's server does with a text column).
    Status,
    ModelCode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    Asc,
    #[default]
    Desc,
}

/// A list request (contract section 6), already validated by the api. Ties are broken by
/// `submitted_at` then `job_id`, in the same direction, so pages never overlap.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    /// 1-based.
    pub page: u32,
    pub page_size: u32,
    /// Empty = every status.
    pub statuses: Vec<JobStatus>,
    pub model_code: Option<String>,
    /// Exclusive bounds on `submitted_at`.
    pub submitted_after: Option<DateTime<Utc>>,
    pub submitted_before: Option<DateTime<Utc>>,
    pub sort_by: SortBy,
    pub sort_order: SortOrder,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            page: 1,
            page_size: 20,
            statuses: Vec::new(),
            model_code: None,
            submitted_after: None,
            submitted_before: None,
            sort_by: SortBy::default(),
            sort_order: SortOrder::default(),
        }
    }
}

/// An API key as stored (the secret itself is never stored, only its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Where an `Idempotency-Key` stands, from [`crate::JobStore::claim_idempotency_key`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Idempotency {
    /// The key is this request's: handle it, then `record_idempotent_response` (or
    /// `release_idempotency_key` when it failed).
    Claimed,
    /// Another request with the key is being handled.
    InFlight,
    /// A request with the key was answered.
    Answered(IdempotentResponse),
}

/// What the first request with an `Idempotency-Key` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentResponse {
    /// Of that request (its hash), to tell a repeat from another request.
    pub fingerprint: String,
    pub status: u16,
    pub body: String,
}

/// A worker's hold on a job, from [`crate::JobStore::claim`]. `job` is the record as claimed.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    pub job: Job,
    pub worker_id: String,
    pub expires_at: DateTime<Utc>,
    /// Fencing token minted by each claim; the store checks it on every lease call.
    pub token: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use JobStatus::*;

    #[test]
    fn names_round_trip() {
        for s in JobStatus::ALL {
            assert_eq!(s.to_string().parse::<JobStatus>(), Ok(s));
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                Value::String(s.to_string())
            );
        }
        assert_eq!("POST_PROCESSING".parse::<JobStatus>(), Ok(PostProcessing));
        assert_eq!("queued".parse::<JobStatus>(), Err("queued".to_string()));
    }

    #[test]
    fn state_machine() {
        let allowed = [
            (Queued, InProgress),
            (InProgress, Decoding),
            (Decoding, PostProcessing),
            (PostProcessing, Done),
            (Queued, Failed),
            (InProgress, Failed),
            (Decoding, Failed),
            (PostProcessing, Failed),
            (Done, Deleted),
            (Failed, Deleted),
            (Decoding, InProgress),
            (PostProcessing, InProgress),
            (InProgress, InProgress),
        ];
        for (a, b) in allowed {
            assert!(a.can_advance_to(b), "{a} -> {b}");
        }
        let refused = [
            (Queued, Decoding),
            (Queued, Done),
            (InProgress, PostProcessing),
            (Decoding, Done),
            (Done, Failed),
            (Done, InProgress),
            (Failed, Done),
            (Deleted, Deleted),
            (Deleted, Queued),
            (Queued, Deleted),
            (Decoding, Deleted),
            (Done, Done),
            (PostProcessing, Decoding),
        ];
        for (a, b) in refused {
            assert!(!a.can_advance_to(b), "{a} -> {b}");
        }
    }
}
