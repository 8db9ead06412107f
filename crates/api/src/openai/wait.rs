//! An OpenAI request answers with the transcript, so its HTTP call waits for its batch job,
//! up to [`crate::ApiConfig::openai_wait`]; past it, the job goes on and the error names it.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use blob::Bucket;
use futures::TryStreamExt;
use jobs::{Job, JobStatus};
use serde_json::Value;
use transcript::DecodedSegment;

use super::error::OpenAiError;
use crate::AppState;

/// How often the job's record is read while waiting: short next to any transcription, and one
/// cheap indexed read each time.
const POLL: Duration = Duration::from_millis(200);

/// A DONE job and what its answer is rendered from.
pub struct Finished {
    pub job: Job,
    /// Its json-v2 transcript.
    pub doc: Value,
    /// The decoder's segments, from the outputs' source (none for a job finished before the
    /// worker kept them).
    pub segments: Vec<DecodedSegment>,
}

/// The job once DONE.
pub async fn finished(state: &AppState, org: &str, job_id: &str) -> Result<Finished, OpenAiError> {
    let since = Instant::now();
    loop {
        match look(state, org, job_id, since).await? {
            Look::Done(finished) => return Ok(finished),
            Look::Working(_) => pause(state, since).await,
        }
    }
}

/// What one look at the job found.
pub enum Look {
    Done(Finished),
    /// Still queued or at work: look again after [`pause`].
    Working(Job),
}

/// One look at the job of a request that has waited since `since`: DONE (with its transcript),
/// still working, or the error to answer (failed, deleted, or past the wait).
pub async fn look(
    state: &AppState,
    org: &str,
    job_id: &str,
    since: Instant,
) -> Result<Look, OpenAiError> {
    let limit = state.config.openai_wait;
    let job = state
        .jobs
        .get(org, job_id)
        .await
        .map_err(crate::ApiError::from)?
        .ok_or_else(|| failed(job_id, "it was deleted"))?;
    match job.status {
        JobStatus::Done => {
            let doc = transcript(state, job_id).await?;
            let segments = crate::corrections::stored_source(state, job_id)
                .await?
                .map(|source| source.segments)
                .unwrap_or_default();
            Ok(Look::Done(Finished { job, doc, segments }))
        }
        JobStatus::Failed => {
            let why = job.error_message.as_deref().unwrap_or("no reason given");
            Err(failed(job_id, why))
        }
        JobStatus::Deleted => Err(failed(job_id, "it was deleted")),
        _ if since.elapsed() >= limit => Err(still_running(job_id, limit)),
        _ => Ok(Look::Working(job)),
    }
}

/// The time between two looks (never past the wait's end).
pub async fn pause(state: &AppState, since: Instant) {
    let left = state.config.openai_wait.saturating_sub(since.elapsed());
    tokio::time::sleep(POLL.min(left)).await
}

/// The answer when the job outlives the wait: it goes on, and the message says how to follow it.
pub(super) fn still_running(job_id: &str, limit: Duration) -> OpenAiError {
    OpenAiError {
        status: StatusCode::GATEWAY_TIMEOUT,
        message: format!(
            "The transcription did not finish within {} s; it goes on as batch job {job_id}: poll GET /v1/batch/jobs/{job_id} and fetch its transcript when DONE",
            limit.as_secs()
        ),
        kind: "timeout",
        param: None,
        code: Some("job_still_running"),
    }
}

pub(super) fn failed(job_id: &str, why: &str) -> OpenAiError {
    OpenAiError {
        status: StatusCode::BAD_REQUEST,
        message: format!("The transcription failed (batch job {job_id}): {why}"),
        kind: "invalid_request_error",
        param: Some("file"),
        code: Some("transcription_failed"),
    }
}

/// `outputs/<job_id>.json`, parsed.
pub(super) async fn transcript(state: &AppState, job_id: &str) -> Result<Value, OpenAiError> {
    let key = blob::output_key(job_id, "json");
    let (_, stream) = state
        .blobs
        .get_stream(Bucket::Output, &key)
        .await
        .map_err(crate::ApiError::from)?;
    let bytes: Vec<u8> = stream
        .map_ok(|b| b.to_vec())
        .try_concat()
        .await
        .map_err(crate::ApiError::internal)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| crate::ApiError::internal(format!("{key}: {e}")).into())
}
