//! One job: `GET`, `DELETE` and `GET .../files` on `/v1/batch/jobs/{jobId}`, and Verbatim's
//! `POST .../cancel` (docs/extensions.md).

use std::time::Duration;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use blob::{Access, Bucket};
use jobs::{ApiKey, Job, JobStatus};
use serde_json::{json, Value};
use transcript::Format;

use crate::error::{MSG_CANCELLED, MSG_FILES_EXPIRED, MSG_NOT_DELETABLE};
use crate::formats;
use crate::openapi::batch;
use crate::{ApiError, AppState};

/// Download URLs live an hour (contract section 8).
pub const DOWNLOAD_EXPIRY: Duration = Duration::from_secs(3600);
async fn find(state: &AppState, key: &ApiKey, job_id: &str) -> Result<Job, ApiError> {
    if !jobs::valid_job_id(job_id) {
        return Err(ApiError::bad_job_id());
    }
    state
        .jobs
        .get(&key.organisation_id, job_id)
        .await?
        .ok_or_else(ApiError::job_not_found)
}

/// The job the path names, among the requesting key's organisation's jobs (the rejections are
/// [`find`]'s, after the extractors' own).
pub struct OwnJob {
    pub(crate) key: ApiKey,
    pub(crate) job: Job,
}

impl FromRequestParts<AppState> for OwnJob {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Extension(key) = Extension::<ApiKey>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Path(job_id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let job = find(state, &key, &job_id)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(OwnJob { key, job })
    }
}

/// The job's record, with the state of its webhooks when it asked for some.
#[utoipa::path(
    get,
    path = "/v1/batch/jobs/{job_id}",
    tag = "batch",
    operation_id = "get_job",
    summary = "A job's record",
    params(("job_id" = String, Path, pattern = "^[a-zA-Z0-9]+$", description = "The job's id")),
    responses(
        (status = 200, description = "The job", body = batch::BatchJob),
        (status = 400, description = "The job id is not alphanumeric", body = batch::Error,
            example = json!({"error": crate::error::MSG_BAD_JOB_ID})),
        (status = 403, description = "No valid API key", body = batch::Error,
            example = json!({"error": crate::error::MSG_NO_KEY})),
        (status = 404, description = "No such job in the key's organisation", body = batch::Error,
            example = json!({"error": crate::error::MSG_JOB_NOT_FOUND})),
        (status = 500, description = "Our fault", body = batch::Error,
            example = json!({"error": crate::error::MSG_INTERNAL})),
    ),
    security(("api_key" = [])),
)]
pub async fn get_job(
    State(state): State<AppState>,
    OwnJob { job, .. }: OwnJob,
) -> Result<Json<Value>, ApiError> {
    let mut record = jobs::batch_job(&job);
    if let Some(config) = &job.job_config.notification_config {
        let deliveries = state.jobs.deliveries(&job.job_id).await?;
        record["notifications"] = jobs::notification_states(config, &deliveries);
    }
    Ok(Json(record))
}

/// Purges the input and every output object first, then marks the record: a record marked
/// DELETED with files left behind would be a lie, while files gone from a DONE record is only a
/// retry away from consistent (a second DELETE purges again and marks).
#[utoipa::path(
    delete,
    path = "/v1/batch/jobs/{job_id}",
    tag = "batch",
    operation_id = "delete_job",
    summary = "Delete a DONE or FAILED job's files",
    description = "Removes the input and every output; the record stays, status DELETED.",
    params(("job_id" = String, Path, pattern = "^[a-zA-Z0-9]+$", description = "The job's id")),
    responses(
        (status = 202, description = "Deleted", body = batch::JobAccepted,
            example = json!({"job_id": "myjob123", "status": "DELETED"})),
        (status = 400, description = "The job id is not alphanumeric", body = batch::Error,
            example = json!({"error": crate::error::MSG_BAD_JOB_ID})),
        (status = 403, description = "No valid API key", body = batch::Error,
            example = json!({"error": crate::error::MSG_NO_KEY})),
        (status = 404, description = "No such job in the key's organisation", body = batch::Error,
            example = json!({"error": crate::error::MSG_JOB_NOT_FOUND})),
        (status = 500, description = "Our fault", body = batch::Error,
            example = json!({"error": crate::error::MSG_INTERNAL})),
        (status = 409, description = "The job is still queued or working", body = batch::Error,
            example = json!({"error": MSG_NOT_DELETABLE})),
    ),
    security(("api_key" = [])),
)]
pub async fn delete_job(
    State(state): State<AppState>,
    OwnJob { key, job }: OwnJob,
) -> Result<Response, ApiError> {
    if !job.status.is_deletable() {
        return Err(ApiError::new(StatusCode::CONFLICT, MSG_NOT_DELETABLE));
    }
    let exts = transcript::STORED_EXTENSIONS;
    blob::purge_job_files(&*state.blobs, &job.job_id, job.input_key.as_deref(), &exts).await?;
    let job = state
        .jobs
        .mark_deleted(&key.organisation_id, &job.job_id)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"job_id": job.job_id, "status": JobStatus::Deleted.as_str()})),
    )
        .into_response())
}

/// Ends a QUEUED or working job as FAILED "Cancelled" and answers its record. The record moves
/// at once; a worker running it finds its lease gone at its next renewal and stops.
#[utoipa::path(
    post,
    path = "/v1/batch/jobs/{job_id}/cancel",
    tag = "batch",
    operation_id = "cancel_job",
    summary = "Cancel a queued or working job (Verbatim's)",
    description = "The job ends FAILED with `error_message` `Cancelled`; a worker running it stops.",
    params(("job_id" = String, Path, pattern = "^[a-zA-Z0-9]+$", description = "The job's id")),
    responses(
        (status = 200, description = "The cancelled job's record", body = batch::BatchJob),
        (status = 400, description = "The job id is not alphanumeric", body = batch::Error,
            example = json!({"error": crate::error::MSG_BAD_JOB_ID})),
        (status = 403, description = "No valid API key", body = batch::Error,
            example = json!({"error": crate::error::MSG_NO_KEY})),
        (status = 404, description = "No such job in the key's organisation", body = batch::Error,
            example = json!({"error": crate::error::MSG_JOB_NOT_FOUND})),
        (status = 500, description = "Our fault", body = batch::Error,
            example = json!({"error": crate::error::MSG_INTERNAL})),
        (status = 409, description = "The job has already ended", body = batch::Error,
            example = json!({"error": crate::error::MSG_NOT_CANCELLABLE})),
        (status = 429, description = "Over the key's POSTs per minute", body = batch::Error,
            headers(("Retry-After" = u64, description = "Seconds")),
            example = json!({"error": "Too many requests: slow down and retry later"})),
    ),
    security(("api_key" = [])),
)]
pub async fn cancel_job(
    State(state): State<AppState>,
    OwnJob { key, job }: OwnJob,
) -> Result<Json<Value>, ApiError> {
    let job = state
        .jobs
        .cancel(&key.organisation_id, &job.job_id, MSG_CANCELLED)
        .await?;
    tracing::info!(job_id = %job.job_id, org = %job.organisation_id, "job cancelled");
    Ok(Json(jobs::batch_job(&job)))
}

#[utoipa::path(
    get,
    path = "/v1/batch/jobs/{job_id}/files",
    tag = "batch",
    operation_id = "job_files",
    summary = "A job's input and outputs, with signed download URLs",
    params(("job_id" = String, Path, pattern = "^[a-zA-Z0-9]+$", description = "The job's id")),
    responses(
        (status = 200, description = "The files (outputs once DONE; empty lists once DELETED)", body = batch::JobFiles),
        (status = 400, description = "The job id is not alphanumeric", body = batch::Error,
            example = json!({"error": crate::error::MSG_BAD_JOB_ID})),
        (status = 403, description = "No valid API key", body = batch::Error,
            example = json!({"error": crate::error::MSG_NO_KEY})),
        (status = 404, description = "No such job in the key's organisation", body = batch::Error,
            example = json!({"error": crate::error::MSG_JOB_NOT_FOUND})),
        (status = 500, description = "Our fault", body = batch::Error,
            example = json!({"error": crate::error::MSG_INTERNAL})),
        (status = 410, description = "The retention sweep purged the job's files", body = batch::Error,
            example = json!({"error": MSG_FILES_EXPIRED})),
    ),
    security(("api_key" = [])),
)]
pub async fn job_files(
    State(state): State<AppState>,
    OwnJob { job, .. }: OwnJob,
) -> Result<Json<Value>, ApiError> {
    if job.expired_at.is_some() {
        return Err(ApiError::new(StatusCode::GONE, MSG_FILES_EXPIRED));
    }
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    if job.status != JobStatus::Deleted {
        if let Some(input_key) = &job.input_key {
            if state.blobs.head(Bucket::Input, input_key).await?.is_some() {
                inputs.push(json!({
                    "key": input_key,
                    "s3_uri": state.blobs.s3_uri(Bucket::Input, input_key),
                    "download_url": state.blobs.presign(Access::Get,Bucket::Input, input_key, formats::mime_for_key(input_key), DOWNLOAD_EXPIRY).await?,
                }));
            }
        }
        // Outputs are listed only once the job says DONE: before that they may be half written.
        if job.status == JobStatus::Done {
            for format in Format::ALL {
                let key = blob::output_key(&job.job_id, format.extension());
                if state.blobs.head(Bucket::Output, &key).await?.is_some() {
                    outputs.push(json!({
                        "format": format.as_str(),
                        "key": key,
                        "s3_uri": state.blobs.s3_uri(Bucket::Output, &key),
                        "download_url": state.blobs.presign(Access::Get,Bucket::Output, &key, formats::mime_for_key(&key), DOWNLOAD_EXPIRY).await?,
                    }));
                }
            }
        }
    }
    Ok(Json(
        json!({"job_id": job.job_id, "inputs": inputs, "outputs": outputs}),
    ))
}
