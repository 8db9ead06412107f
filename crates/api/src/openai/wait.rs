//! An OpenAI request answers with the transcript, so its HTTP call waits for its batch job,
//! up to [`crate::ApiConfig::openai_wait`]; past it, the job goes on and the error names it.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use blob::Bucket;
use futures::TryStreamExt;
use jobs::{Job, JobStatus};
use serde_json::Value;

use super::error::OpenAiError;
use crate::AppState;

/// How often the job's record is read while waiting: short next to any transcription, and one
/// cheap indexed read each time.
const POLL: Duration = Duration::from_millis(200);

/// The job once DONE, with its json-v2 transcript.
pub async fn finished(
    state: &AppState,
    org: &str,
    job_id: &str,
) -> Result<(Job, Value), OpenAiError> {
    finished_watching(state, org, job_id, async |_: &Job| {}).await
}

/// [`finished`], calling `working` with the job's record at each look while it works.
pub async fn finished_watching(
    state: &AppState,
    org: &str,
    job_id: &str,
    mut working: impl AsyncFnMut(&Job),
) -> Result<(Job, Value), OpenAiError> {
    let limit = state.config.openai_wait;
    let since = Instant::now();
    loop {
        let job = state
            .jobs
            .get(org, job_id)
            .await
            .map_err(crate::ApiError::from)?
            .ok_or_else(|| failed(job_id, "it was deleted"))?;
        match job.status {
            JobStatus::Done => {
                let transcript = transcript(state, job_id).await?;
                return Ok((job, transcript));
            }
            JobStatus::Failed => {
                let why = job.error_message.as_deref().unwrap_or("no reason given");
                return Err(failed(job_id, why));
            }
            JobStatus::Deleted => return Err(failed(job_id, "it was deleted")),
            _ if since.elapsed() >= limit => return Err(still_running(job_id, limit)),
            _ => {
                working(&job).await;
                tokio::time::sleep(POLL.min(limit.saturating_sub(since.elapsed()))).await
            }
        }
    }
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
