//! Transcript corrections, a Verbatim extension (docs/extensions.md): `GET` and `PATCH
//! /v1/batch/jobs/{jobId}/transcript`, `DELETE .../transcript/corrections`. The user's changes
//! are a document in the job store (the one source of truth, changed by compare-and-set on its
//! revision); the original transcript stays in the output bucket as the outputs' source, and
//! every change renders json, txt, srt and vtt again from it, so `/files` serves the corrected
//! files and dropping the corrections gives the original ones back.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use blob::Bucket;
use futures::{StreamExt, TryStreamExt};
use jobs::{Job, JobStatus};
use serde_json::{json, Map, Value};
use transcript::{round_ms, Corrections, CorrectionsPatch, Source, SOURCE_EXTENSION};

use crate::error::MSG_FILES_EXPIRED;
use crate::job::OwnJob;
use crate::openapi::{batch, corrections as schema};
use crate::{ApiError, AppState};

/// How often a change is tried again when another one lands between reading and writing.
const TRIES: usize = 16;
/// The largest source document read (a transcript of many hours is a few MB).
const MAX_SOURCE_BYTES: u64 = 256 << 20;

/// The transcript as corrected, word by word with indices, and the speakers' names.
#[utoipa::path(
    get,
    path = "/v1/batch/jobs/{job_id}/transcript",
    tag = "batch",
    operation_id = "get_transcript",
    summary = "A DONE job's transcript as corrected (Verbatim's)",
    params(("job_id" = String, Path, pattern = "^[a-zA-Z0-9]+$", description = "The job's id")),
    responses(
        (status = 200, description = "Every word with its index, and the speakers' names", body = schema::TranscriptView),
        (status = 400, description = "The job id is not alphanumeric", body = batch::Error,
            example = json!({"error": crate::error::MSG_BAD_JOB_ID})),
        (status = 403, description = "No valid API key", body = batch::Error,
            example = json!({"error": crate::error::MSG_NO_KEY})),
        (status = 404, description = "No such job in the key's organisation", body = batch::Error,
            example = json!({"error": crate::error::MSG_JOB_NOT_FOUND})),
        (status = 409, description = "The job is not DONE, its transcript predates corrections, or other changes kept coming first", body = batch::Error,
            example = json!({"error": "The transcript can be read and corrected once the job is DONE; it is QUEUED"})),
        (status = 410, description = "The retention sweep purged the job's files", body = batch::Error,
            example = json!({"error": MSG_FILES_EXPIRED})),
        (status = 500, description = "Our fault", body = batch::Error,
            example = json!({"error": crate::error::MSG_INTERNAL})),
    ),
    security(("api_key" = [])),
)]
pub async fn get_transcript(
    State(state): State<AppState>,
    OwnJob { job, .. }: OwnJob,
) -> Result<Json<Value>, ApiError> {
    let source = read_source(&state, &job).await?;
    let (corrections, revision) = stored(&state, &job).await?;
    Ok(Json(view(&job, &source, &corrections, revision)))
}

/// Merges the request's changes into the stored corrections and renders every output again.
#[utoipa::path(
    patch,
    path = "/v1/batch/jobs/{job_id}/transcript",
    tag = "batch",
    operation_id = "correct_transcript",
    summary = "Rename speakers and fix words (Verbatim's)",
    description = "Merges the changes into the stored corrections and renders json, txt, srt and vtt again: `/files` serves the corrected files.",
    params(("job_id" = String, Path, pattern = "^[a-zA-Z0-9]+$", description = "The job's id")),
    request_body(content = schema::CorrectionsPatch, content_type = "application/json"),
    responses(
        (status = 200, description = "The transcript as corrected now", body = schema::TranscriptView),
        (status = 400, description = "The job id is not alphanumeric", body = batch::Error,
            example = json!({"error": crate::error::MSG_BAD_JOB_ID})),
        (status = 403, description = "No valid API key", body = batch::Error,
            example = json!({"error": crate::error::MSG_NO_KEY})),
        (status = 404, description = "No such job in the key's organisation", body = batch::Error,
            example = json!({"error": crate::error::MSG_JOB_NOT_FOUND})),
        (status = 409, description = "The job is not DONE, its transcript predates corrections, or other changes kept coming first", body = batch::Error,
            example = json!({"error": "The transcript can be read and corrected once the job is DONE; it is QUEUED"})),
        (status = 410, description = "The retention sweep purged the job's files", body = batch::Error,
            example = json!({"error": MSG_FILES_EXPIRED})),
        (status = 500, description = "Our fault", body = batch::Error,
            example = json!({"error": crate::error::MSG_INTERNAL})),
    ),
    security(("api_key" = [])),
)]
pub async fn patch_transcript(
    State(state): State<AppState>,
    OwnJob { job, .. }: OwnJob,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let patch: CorrectionsPatch = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(format!(
            "The body must be a JSON object {{\"speakers\": {{label: name}}, \"words\": [{{\"index\", \"text\"}}]}}: {e}"
        ))
    })?;
    let source = read_source(&state, &job).await?;
    change(&state, &job, &source, |current| {
        current
            .merged(&patch, &source.transcript)
            .map_err(ApiError::bad_request)
    })
    .await
}

/// Drops every correction: the outputs are the engine's again.
#[utoipa::path(
    delete,
    path = "/v1/batch/jobs/{job_id}/transcript/corrections",
    tag = "batch",
    operation_id = "reset_corrections",
    summary = "Drop every correction: the engine's transcript again (Verbatim's)",
    params(("job_id" = String, Path, pattern = "^[a-zA-Z0-9]+$", description = "The job's id")),
    responses(
        (status = 200, description = "The original transcript", body = schema::TranscriptView),
        (status = 400, description = "The job id is not alphanumeric", body = batch::Error,
            example = json!({"error": crate::error::MSG_BAD_JOB_ID})),
        (status = 403, description = "No valid API key", body = batch::Error,
            example = json!({"error": crate::error::MSG_NO_KEY})),
        (status = 404, description = "No such job in the key's organisation", body = batch::Error,
            example = json!({"error": crate::error::MSG_JOB_NOT_FOUND})),
        (status = 409, description = "The job is not DONE, its transcript predates corrections, or other changes kept coming first", body = batch::Error,
            example = json!({"error": "The transcript can be read and corrected once the job is DONE; it is QUEUED"})),
        (status = 410, description = "The retention sweep purged the job's files", body = batch::Error,
            example = json!({"error": MSG_FILES_EXPIRED})),
        (status = 500, description = "Our fault", body = batch::Error,
            example = json!({"error": crate::error::MSG_INTERNAL})),
    ),
    security(("api_key" = [])),
)]
pub async fn reset_corrections(
    State(state): State<AppState>,
    OwnJob { job, .. }: OwnJob,
) -> Result<Json<Value>, ApiError> {
    let source = read_source(&state, &job).await?;
    change(&state, &job, &source, |_| Ok(Corrections::default())).await
}

/// Stores `edit(current corrections)` (compare-and-set, retried when another change came
/// first), publishes the outputs, and answers the view.
async fn change(
    state: &AppState,
    job: &Job,
    source: &Source,
    edit: impl Fn(&Corrections) -> Result<Corrections, ApiError>,
) -> Result<Json<Value>, ApiError> {
    for _ in 0..TRIES {
        let (current, revision) = stored(state, job).await?;
        let next = edit(&current)?;
        if next == current {
            publish(state, job, source).await?;
            return Ok(Json(view(job, source, &next, revision)));
        }
        let document = serde_json::to_value(&next).map_err(ApiError::internal)?;
        let written = state
            .jobs
            .set_corrections(&job.organisation_id, &job.job_id, revision, &document)
            .await?;
        if let Some(revision) = written {
            publish(state, job, source).await?;
            return Ok(Json(view(job, source, &next, revision)));
        }
        // Another change came first, or the job is no longer DONE: look again.
        not_done(state, job).await?;
    }
    Err(ApiError::new(
        StatusCode::CONFLICT,
        "The transcript is being changed by other requests; try again",
    ))
}

/// Renders every output from the source and the newest corrections, and writes them over the
/// published ones. Concurrent changes may publish in any order, so each request renders again
/// until the revision it published is still the newest: the last one to finish leaves the
/// outputs of the last change.
async fn publish(state: &AppState, job: &Job, source: &Source) -> Result<(), ApiError> {
    let (mut corrections, mut revision) = stored(state, job).await?;
    loop {
        let outputs = source.render_all(&corrections);
        for (format, text) in outputs {
            let key = blob::output_key(&job.job_id, format.extension());
            let body = futures::stream::once(async move { Ok(Bytes::from(text)) }).boxed();
            state
                .blobs
                .put_stream(Bucket::Output, &key, body, u64::MAX)
                .await?;
        }
        let (now, now_revision) = stored(state, job).await?;
        if now_revision == revision {
            break;
        }
        (corrections, revision) = (now, now_revision);
    }
    // A DELETE that purged the files while these were written must not be undone by them.
    if not_done(state, job).await.is_err() {
        blob::purge_job_files(
            &*state.blobs,
            &job.job_id,
            None,
            &transcript::STORED_EXTENSIONS,
        )
        .await?;
    }
    Ok(())
}

/// 409 (or 410 once the files expired) unless the job, read again, is DONE.
async fn not_done(state: &AppState, job: &Job) -> Result<(), ApiError> {
    let now = state.jobs.get(&job.organisation_id, &job.job_id).await?;
    match now {
        Some(now) => must_be_done(&now),
        None => Err(ApiError::job_not_found()),
    }
}

fn must_be_done(job: &Job) -> Result<(), ApiError> {
    if job.expired_at.is_some() {
        return Err(ApiError::new(StatusCode::GONE, MSG_FILES_EXPIRED));
    }
    if job.status != JobStatus::Done {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "The transcript can be read and corrected once the job is DONE; it is {}",
                job.status.as_str()
            ),
        ));
    }
    Ok(())
}

/// The stored corrections and their revision.
async fn stored(state: &AppState, job: &Job) -> Result<(Corrections, u64), ApiError> {
    let record = state
        .jobs
        .corrections(&job.organisation_id, &job.job_id)
        .await?
        .ok_or_else(ApiError::job_not_found)?;
    let corrections = match record.document {
        None | Some(Value::Null) => Corrections::default(),
        Some(document) => serde_json::from_value(document).map_err(ApiError::internal)?,
    };
    Ok((corrections, record.revision))
}

/// The outputs' source, written by the worker beside them.
async fn read_source(state: &AppState, job: &Job) -> Result<Source, ApiError> {
    must_be_done(job)?;
    stored_source(state, &job.job_id).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "This job's transcript was made before Verbatim kept what corrections need; submit the audio again to correct it",
        )
    })
}

/// The source of a finished job's outputs (`outputs/<job_id>.source.json`); `None` for a job
/// finished before the worker kept it.
pub(crate) async fn stored_source(
    state: &AppState,
    job_id: &str,
) -> Result<Option<Source>, ApiError> {
    let key = blob::output_key(job_id, SOURCE_EXTENSION);
    let (size, body) = match state.blobs.get_stream(Bucket::Output, &key).await {
        Ok(found) => found,
        Err(blob::BlobError::NotFound) => return Ok(None),
        Err(other) => return Err(other.into()),
    };
    if size > MAX_SOURCE_BYTES {
        return Err(ApiError::internal(format!("{key} is {size} bytes")));
    }
    let bytes: Vec<u8> = body
        .map_err(|e| ApiError::internal(format!("reading {key}: {e}")))
        .try_fold(
            Vec::with_capacity(size as usize),
            |mut all, chunk| async move {
                all.extend_from_slice(&chunk);
                Ok(all)
            },
        )
        .await?;
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| ApiError::internal(format!("{key}: {e}")))
}

/// The answer of every route here: the words as corrected, each with its index (what PATCH
/// names), its times, its engine speaker label and, when corrected, its original text.
fn view(job: &Job, source: &Source, corrections: &Corrections, revision: u64) -> Value {
    let words: Vec<Value> = source
        .transcript
        .words
        .iter()
        .enumerate()
        .map(|(index, w)| {
            let mut word = Map::new();
            word.insert("index".into(), json!(index));
            let corrected = corrections.words.get(&index);
            word.insert("text".into(), json!(corrected.unwrap_or(&w.text)));
            word.insert("start".into(), json!(round_ms(w.start)));
            word.insert("end".into(), json!(round_ms(w.end)));
            word.insert(
                "confidence".into(),
                json!(round_ms(f64::from(w.confidence))),
            );
            word.insert("speaker".into(), json!(w.speaker));
            word.insert("channel".into(), json!(w.channel));
            if corrected.is_some() {
                word.insert("original".into(), json!(w.text));
            }
            Value::Object(word)
        })
        .collect();
    json!({
        "job_id": job.job_id,
        "language": source.transcript.language,
        "duration": round_ms(source.transcript.duration),
        "revision": revision,
        "speakers": corrections.speakers,
        "words": words,
    })
}
