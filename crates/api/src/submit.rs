//! `POST /v1/batch/jobs` in its four forms (contract section 3): a multipart upload, a JSON
//! `input_url`, and the two JSON steps around a presigned upload.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use blob::{Access, Bucket};
use chrono::Utc;
use futures::StreamExt;
use jobs::job_config::{self, OutputConfig, Tracking};
use jobs::{
    ApiKey, Idempotency, IdempotentResponse, InputMetadata, InputSource, JobConfig, JobsError,
    NewJob, NotificationConfig, TranscriptionConfig,
};
use serde_json::{json, Map, Value};

use crate::formats;
use crate::idempotency::{self, Fingerprint};
use crate::openapi::batch;
use crate::upload::store_stream;
use crate::{ApiError, AppState, DEFAULT_MODEL_CODE};

/// The presigned PUT URL lives 30 minutes (contract section 3).
pub const UPLOAD_EXPIRY: Duration = Duration::from_secs(1800);
/// How long a job id stays reserved for its presigned upload: the upload window plus an hour
/// to call step 3.
const PRESIGN_RESERVATION: Duration = Duration::from_secs(1800 + 3600);
/// How long a job id stays reserved while its multipart file streams in.
const MULTIPART_RESERVATION: Duration = Duration::from_secs(3600);
/// The JSON forms are small; anything bigger is not one of them.
pub(crate) const MAX_JSON_BYTES: usize = 1 << 20;
/// The text parts of a multipart body (configs, metadata) likewise.
const MAX_TEXT_PART_BYTES: usize = 1 << 20;

/// The four forms (contract section 3) and Verbatim's `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/v1/batch/jobs",
    tag = "batch",
    operation_id = "submit_job",
    summary = "Submit a job",
    description = "Four forms: a multipart upload (`file` and a `transcription_config` JSON text), \
        a JSON `input_url`, and the two JSON steps around a presigned upload (`mode: \"presign\"` \
        answers 200 with an upload URL; after the PUT, `s3_key` creates the job). The JSON forms \
        are told apart by their keys. With `Idempotency-Key`, a repeat of the request gets the \
        first answer again (header `Idempotent-Replayed: true`).",
    params(
        ("Idempotency-Key" = Option<String>, Header, pattern = "^[ -~]{1,255}$",
            description = "Makes a retry safe: the same key and request within 24 h answer as the first did"),
    ),
    request_body(content(
        (batch::MultipartSubmission = "multipart/form-data",
            encoding(("file" = (content_type = "audio/wav")))),
        (batch::JsonSubmission = "application/json"),
    )),
    responses(
        (status = 202, description = "The job is queued", body = batch::JobAccepted,
            headers(("Idempotent-Replayed" = String, description = "`true` on a replayed answer"))),
        (status = 200, description = "Presign step 1: where to PUT the file", body = batch::PresignResponse),
        (status = 400, description = "A field is missing or invalid; the message names it", body = batch::Error, examples(
            ("missing" = (value = json!({"error": "transcription_config is required"}))),
            ("job_id" = (value = json!({"error": crate::error::MSG_BAD_JOB_ID}))),
            ("format" = (value = json!({"error": "Unsupported file format: notes.txt. Supported: wav, mp3, flac, aac, ogg, m4a, mp4, amr, mpeg"}))),
            ("language" = (value = json!({"error": "Unsupported language: xx"}))),
            ("unknown_field" = (value = json!({"error": "Unknown field in transcription_config: langauge"}))),
        )),
        (status = 403, description = "No valid API key", body = batch::Error,
            example = json!({"error": crate::error::MSG_NO_KEY})),
        (status = 409, description = "The job id is taken, or a request with this Idempotency-Key is still being handled", body = batch::Error, examples(
            ("exists" = (value = json!({"error": crate::error::MSG_JOB_EXISTS}))),
            ("in_flight" = (value = json!({"error": idempotency::MSG_IN_FLIGHT}))),
        )),
        (status = 413, description = "The file or the JSON body is too large", body = batch::Error,
            example = json!({"error": "File too large. Maximum size is 1 GB."})),
        (status = 415, description = "Neither multipart/form-data nor application/json", body = batch::Error,
            example = json!({"error": "Content-Type must be multipart/form-data or application/json"})),
        (status = 422, description = "The Idempotency-Key was used with another request", body = batch::Error,
            example = json!({"error": idempotency::MSG_KEY_REUSED})),
        (status = 429, description = "Over the key's submissions per minute", body = batch::Error,
            headers(("Retry-After" = u64, description = "Seconds")),
            example = json!({"error": "Too many requests: slow down and retry later"})),
        (status = 500, description = "Our fault (the detail is in the server's log)", body = batch::Error,
            example = json!({"error": crate::error::MSG_INTERNAL})),
        (status = 503, description = "Too many uploads in progress", body = batch::Error,
            headers(("Retry-After" = u64, description = "Seconds")),
            example = json!({"error": "Too many uploads in progress: retry later"})),
    ),
    security(("api_key" = [])),
)]
pub async fn submit(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    request: Request,
) -> Result<Response, ApiError> {
    match idempotency::key_of(request.headers())? {
        None => {
            let mut unused = Fingerprint::new("");
            Ok(respond(
                submit_once(&state, &key, request, &mut unused).await?,
            ))
        }
        Some(idempotency_key) => submit_with_key(&state, &key, &idempotency_key, request).await,
    }
}

/// A submission's answer: its status and JSON body.
pub(crate) type Answer = (StatusCode, Value);

fn respond((status, body): Answer) -> Response {
    (status, Json(body)).into_response()
}

/// A submission with an `Idempotency-Key`: the first request with the key is handled and its
/// answer kept; a repeat gets that answer again (or 422 if it is another request); a request
/// arriving while the first is handled waits for its answer.
async fn submit_with_key(
    state: &AppState,
    key: &ApiKey,
    idempotency_key: &str,
    request: Request,
) -> Result<Response, ApiError> {
    let org = &key.organisation_id;
    let waiting_since = std::time::Instant::now();
    loop {
        let claim = state
            .jobs
            .claim_idempotency_key(
                org,
                idempotency_key,
                idempotency::LIFETIME,
                idempotency::ABANDONED_AFTER,
            )
            .await?;
        match claim {
            Idempotency::Claimed => {
                // A client that hangs up mid-request drops this future: the guard then gives
                // the key up, or its retry would wait on a claim nobody answers.
                let mut guard = idempotency::ReleaseOnDrop::new(
                    state.jobs.clone(),
                    org.clone(),
                    idempotency_key.to_string(),
                );
                let mut fingerprint = Fingerprint::new("");
                let result = submit_once(state, key, request, &mut fingerprint).await;
                guard.disarm();
                match &result {
                    Ok((status, body)) => {
                        let saved = IdempotentResponse {
                            fingerprint: fingerprint.finish(),
                            status: status.as_u16(),
                            body: body.to_string(),
                        };
                        if let Err(e) = state
                            .jobs
                            .record_idempotent_response(org, idempotency_key, &saved)
                            .await
                        {
                            // The job exists; repeats wait, then get 409, until the claim is
                            // taken for abandoned.
                            tracing::error!(error = %e, "could not record the answer to an Idempotency-Key");
                        }
                    }
                    // Failures are not kept: the client may fix the request and retry with
                    // the same key.
                    Err(_) => {
                        if let Err(e) = state
                            .jobs
                            .release_idempotency_key(org, idempotency_key)
                            .await
                        {
                            tracing::warn!(error = %e, "could not release an Idempotency-Key");
                        }
                    }
                }
                return result.map(respond);
            }
            Idempotency::InFlight if idempotency::may_wait(waiting_since) => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Idempotency::InFlight => {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    idempotency::MSG_IN_FLIGHT,
                ))
            }
            Idempotency::Answered(saved) => {
                let fingerprint = idempotency::fingerprint_only(state, request).await;
                if fingerprint.as_deref() != Some(saved.fingerprint.as_str()) {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        idempotency::MSG_KEY_REUSED,
                    ));
                }
                return Ok(idempotency::replay(&saved));
            }
        }
    }
}

/// Handles one submission; `fingerprint` takes in what it reads (see [`idempotency`]).
async fn submit_once(
    state: &AppState,
    key: &ApiKey,
    request: Request,
    fingerprint: &mut Fingerprint,
) -> Result<Answer, ApiError> {
    let content_type = crate::content_type(&request).to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        *fingerprint = Fingerprint::new("multipart");
        multipart(state, key, request, fingerprint).await
    } else if content_type.starts_with("application/json") {
        let body = axum::body::to_bytes(request.into_body(), MAX_JSON_BYTES)
            .await
            .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large"))?;
        let value: Value = serde_json::from_slice(&body)
            .map_err(|_| ApiError::bad_request("Request body must be valid JSON"))?;
        *fingerprint = Fingerprint::new("json");
        fingerprint.json(&value);
        let Value::Object(body) = value else {
            return Err(ApiError::bad_request("Request body must be a JSON object"));
        };
        if body.contains_key("mode") {
            presign_step1(state, key, body).await
        } else if body.contains_key("s3_key") {
            presign_step3(state, key, body).await
        } else if body.contains_key("input_url") {
            url_input(state, key, body).await
        } else {
            Err(ApiError::bad_request(
                "Missing input: send a file (multipart/form-data), an input_url, mode \"presign\" or an s3_key",
            ))
        }
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be multipart/form-data or application/json",
        ))
    }
}

/// What every form supplies once parsed and checked.
pub(crate) struct Submission {
    job_id: String,
    model_code: String,
    transcription_config: TranscriptionConfig,
    tracking: Option<Tracking>,
    output_config: Option<OutputConfig>,
    metadata: Option<Value>,
    retention_seconds: Option<u64>,
    notification_config: Option<NotificationConfig>,
    /// The request streams the text while it is recognised (OpenAI's `stream=true`).
    pub(crate) streams_text: bool,
}

/// The parts shared by the forms, by name (`field`), as JSON values: the multipart texts are
/// parsed into values first.
pub(crate) fn submission(
    state: &AppState,
    job_id: String,
    field: impl Fn(&str) -> Option<Value>,
) -> Result<Submission, ApiError> {
    let present = |name: &str| field(name).filter(|v| !v.is_null());
    let transcription_config = present("transcription_config")
        .ok_or_else(|| ApiError::bad_request("transcription_config is required"))?;
    let transcription_config =
        TranscriptionConfig::parse(&transcription_config).map_err(ApiError::bad_request)?;
    let tracking = present("tracking")
        .map(|v| Tracking::parse(&v))
        .transpose()
        .map_err(ApiError::bad_request)?;
    let output_config = present("output_config")
        .map(|v| OutputConfig::parse(&v))
        .transpose()
        .map_err(ApiError::bad_request)?;
    let metadata = present("metadata")
        .map(|v| job_config::parse_metadata(&v))
        .transpose()
        .map_err(ApiError::bad_request)?;
    let notification_config = present("notification_config")
        .map(|v| NotificationConfig::parse(&v))
        .transpose()
        .map_err(ApiError::bad_request)?;
    let retention_seconds = match present("retention_seconds") {
        None => None,
        Some(v) => Some(
            v.as_u64()
                // A multipart part is text.
                .or_else(|| v.as_str().and_then(|t| t.trim().parse().ok()))
                .filter(|s| *s >= 1)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "retention_seconds must be a whole number of seconds, at least 1",
                    )
                })?,
        ),
    };
    let model_code = match present("model_code") {
        None => DEFAULT_MODEL_CODE.to_string(),
        Some(Value::String(code)) if state.config.model_codes.contains(&code) => code,
        Some(Value::String(code)) => {
            return Err(ApiError::bad_request(format!(
                "Unknown model_code: {code}. Allowed: {}",
                state.config.model_codes.join(", ")
            )))
        }
        Some(_) => return Err(ApiError::bad_request("model_code must be a string")),
    };
    Ok(Submission {
        job_id,
        model_code,
        transcription_config,
        tracking,
        output_config,
        metadata,
        retention_seconds,
        notification_config,
        streams_text: false,
    })
}

/// Each webhook URL by the rules of `input_url` (https, public addresses only), so a bad one is
/// refused now rather than failing every delivery later.
async fn check_notification_urls(state: &AppState, s: &Submission) -> Result<(), ApiError> {
    let targets = s.notification_config.iter().flat_map(|c| c.targets());
    for (i, target) in targets.enumerate() {
        blob::fetch::check_url(target.url.as_str(), &state.config.url_input)
            .await
            .map_err(|e| {
                ApiError::bad_request(e.message_for(&format!("notification_config[{i}].url")))
            })?;
    }
    Ok(())
}

/// The client's job id, checked, or a fresh one.
fn job_id_from(value: Option<&Value>) -> Result<String, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(jobs::new_job_id()),
        Some(Value::String(id)) if jobs::valid_job_id(id) => Ok(id.clone()),
        Some(_) => Err(ApiError::bad_job_id()),
    }
}

/// [`create_job`] for a job whose input is not yet under its key (see [`UPLOAD_HOLD`]).
async fn create_held(
    state: &AppState,
    key: &ApiKey,
    s: Submission,
    input_metadata: InputMetadata,
    input_key: String,
) -> Result<Answer, ApiError> {
    create_job(
        state,
        key,
        s,
        input_metadata,
        Some(input_key),
        None,
        Some(UPLOAD_HOLD),
    )
    .await
}

async fn create_job(
    state: &AppState,
    key: &ApiKey,
    s: Submission,
    input_metadata: InputMetadata,
    input_key: Option<String>,
    input_url: Option<String>,
    held_for: Option<Duration>,
) -> Result<Answer, ApiError> {
    check_notification_urls(state, &s).await?;
    let new = NewJob {
        job_id: s.job_id,
        api_key_id: key.id.clone(),
        organisation_id: key.organisation_id.clone(),
        model_code: s.model_code,
        job_config: JobConfig::transcription(s.transcription_config, s.tracking, s.output_config)
            .with_retention_seconds(s.retention_seconds)
            .with_notification_config(s.notification_config),
        metadata: s.metadata,
        input_metadata,
        input_key,
        input_url,
        held_for,
        streams_text: s.streams_text,
    };
    let job = state.jobs.create(new).await?;
    state.jobs.notifier().notify_one();
    tracing::info!(job_id = %job.job_id, org = %job.organisation_id, "job queued");
    Ok((
        StatusCode::ACCEPTED,
        json!({"job_id": job.job_id, "status": job.status.as_str()}),
    ))
}

fn input_metadata(size: Option<u64>, ext: &str, source: InputSource) -> InputMetadata {
    InputMetadata {
        size_bytes: size,
        format: Some(ext.to_string()),
        mime_type: Some(formats::mime_for_extension(ext).to_string()),
        ..InputMetadata::new(source)
    }
}

// ---------------------------------------------------------------------------------------------
// multipart/form-data

/// The uploaded file while the request is being read: where it is and which reservation holds
/// its job id, so that a failure later in the body can remove both.
pub(crate) struct Stored {
    pub(crate) job_id: String,
    pub(crate) key: String,
    ext: String,
    size: u64,
    /// The id was generated because no `job_id` part came before the file.
    generated_id: bool,
}

async fn multipart(
    state: &AppState,
    key: &ApiKey,
    request: Request,
    fingerprint: &mut Fingerprint,
) -> Result<Answer, ApiError> {
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|_| ApiError::bad_request("Invalid multipart/form-data body"))?;
    let mut stored: Option<Stored> = None;
    let result = multipart_inner(state, key, &mut multipart, &mut stored, fingerprint).await;
    if result.is_err() {
        if let Some(s) = stored {
            discard(state, &s.key).await;
        }
        drain(&mut multipart).await;
    }
    result
}

/// A refused upload's body is read on, up to these, before the answer goes out.
const DRAIN_BYTES: usize = 4 << 20;
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// Reads (and drops) what is left of a refused upload's body, within DRAIN_BYTES and
/// DRAIN_TIME: a client still sending its file when the refusal comes (a 409 for a job id taken
/// meanwhile, a bad part before the file) then reads the answer instead of a connection closed
/// under it. A larger or slower rest is left unread, as before.
async fn drain(multipart: &mut Multipart) {
    let rest = async {
        let mut left = DRAIN_BYTES;
        while let Ok(Some(mut field)) = multipart.next_field().await {
            while let Ok(Some(chunk)) = field.chunk().await {
                left = left.saturating_sub(chunk.len());
                if left == 0 {
                    return;
                }
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, rest).await;
}

/// Removes an upload that will not become a job. Its id stays reserved for this organisation
/// until the reservation expires (the store has no call to drop one early; the same
/// organisation may use the id again at once).
pub(crate) async fn discard(state: &AppState, object_key: &str) {
    if object_key.is_empty() {
        return;
    }
    if let Err(e) = state.blobs.delete(Bucket::Input, object_key).await {
        tracing::warn!("cannot remove abandoned upload {object_key}: {e}");
    }
}

/// 409 when `job_id` already names one of this organisation's jobs.
async fn ensure_not_a_job(state: &AppState, key: &ApiKey, job_id: &str) -> Result<(), ApiError> {
    match state.jobs.get(&key.organisation_id, job_id).await? {
        Some(_) => Err(ApiError::job_exists()),
        None => Ok(()),
    }
}

async fn reserve(
    state: &AppState,
    key: &ApiKey,
    job_id: &str,
    object_key: &str,
    lasts: Duration,
) -> Result<(), ApiError> {
    let expires_at = Utc::now() + chrono::Duration::from_std(lasts).unwrap_or_default();
    ensure_not_a_job(state, key, job_id).await?;
    state
        .jobs
        .reserve_upload(&key.organisation_id, job_id, object_key, expires_at)
        .await
        .map_err(|e| match e {
            JobsError::AlreadyExists => ApiError::job_exists(),
            other => other.into(),
        })
}

/// The multipart parts that hold a JSON text, and those that hold a plain value; with
/// `job_id` and `file`, every part a submission reads.
const JSON_PARTS: [&str; 5] = [
    "transcription_config",
    "tracking",
    "output_config",
    "metadata",
    "notification_config",
];
const PLAIN_PARTS: [&str; 2] = ["model_code", "retention_seconds"];

/// Whether a multipart part is one of the submission's fields (everything it reads but the
/// file); the idempotency fingerprint reads the same parts.
pub fn is_field_part(name: &str) -> bool {
    name == "job_id" || JSON_PARTS.contains(&name) || PLAIN_PARTS.contains(&name)
}

async fn multipart_inner(
    state: &AppState,
    key: &ApiKey,
    multipart: &mut Multipart,
    stored: &mut Option<Stored>,
    fingerprint: &mut Fingerprint,
) -> Result<Answer, ApiError> {
    let mut texts: HashMap<String, String> = HashMap::new();

    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| ApiError::bad_request("Invalid multipart/form-data body"))?
    {
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "file" => {
                let part_file_name = field.file_name().map(str::to_string);
                let part_type = field.content_type().map(str::to_string);
                let given_id = texts
                    .get("job_id")
                    .map(|id| Value::String(id.trim().to_string()));
                let mut content = Fingerprint::content();
                stage_file(state, key, field, given_id, stored, |bytes| {
                    sha2::Digest::update(&mut content, bytes)
                })
                .await?;
                fingerprint.part(
                    "file",
                    part_file_name.as_deref(),
                    part_type.as_deref(),
                    sha2::Digest::finalize(content).into(),
                );
            }
            other if is_field_part(other) => {
                if texts.contains_key(&name) {
                    return Err(ApiError::bad_request(format!(
                        "{name} is given more than once"
                    )));
                }
                let text = read_text(field, &name).await?;
                fingerprint.part(
                    &name,
                    None,
                    None,
                    sha2::Digest::finalize(sha2::Digest::chain_update(
                        Fingerprint::content(),
                        text.as_bytes(),
                    ))
                    .into(),
                );
                texts.insert(name, text);
            }
            // Parts the contract does not name are skipped, as form parsers usually do.
            _ => {}
        }
    }

    let Some(file) = stored.as_mut() else {
        return Err(ApiError::bad_request("file is required"));
    };
    let parse = |name: &str| -> Result<Option<Value>, ApiError> {
        texts
            .get(name)
            .map(|t| job_config::parse_json_text(t, name).map_err(ApiError::bad_request))
            .transpose()
    };
    let mut fields = Map::new();
    for name in JSON_PARTS {
        if let Some(v) = parse(name)? {
            fields.insert(name.into(), v);
        }
    }
    for name in PLAIN_PARTS {
        if let Some(m) = texts.get(name) {
            fields.insert(name.into(), Value::String(m.trim().to_string()));
        }
    }

    // A `job_id` part after the file: the file was stored under a generated id, so it moves to
    // the key of the id the client chose.
    if file.generated_id {
        if let Some(id) = texts.get("job_id") {
            let job_id = job_id_from(Some(&Value::String(id.trim().to_string())))?;
            let object_key = blob::staged_input_key(&job_id, &file.ext);
            reserve(state, key, &job_id, &object_key, MULTIPART_RESERVATION).await?;
            let moved = state
                .blobs
                .rename(Bucket::Input, &file.key, &object_key)
                .await
                .map_err(ApiError::from);
            file.job_id = job_id;
            let old_key = std::mem::replace(&mut file.key, object_key);
            discard(state, &old_key).await;
            file.generated_id = false;
            moved?;
        }
    }

    let s = submission(state, file.job_id.clone(), |name| fields.get(name).cloned())?;
    queue_staged(state, key, file, s).await
}

/// The file part of an upload: its format checked, then streamed to a staging key under a
/// reservation of its job id (`given_id`, or a fresh one). `stored` is set before the bytes
/// flow, so a caller that fails later knows what to remove; `on_chunk` sees every chunk.
pub(crate) async fn stage_file(
    state: &AppState,
    key: &ApiKey,
    field: axum::extract::multipart::Field<'_>,
    given_id: Option<Value>,
    stored: &mut Option<Stored>,
    mut on_chunk: impl FnMut(&bytes::Bytes),
) -> Result<(), ApiError> {
    if stored.is_some() {
        return Err(ApiError::bad_request("Only one file part is allowed"));
    }
    let filename = field.file_name().unwrap_or_default().to_string();
    let ext = formats::audio_extension(&filename)
        .or_else(|| {
            // A name without an extension says nothing; its declared type may.
            (!filename.contains('.'))
                .then(|| field.content_type().and_then(formats::extension_for_mime))
                .flatten()
                .map(str::to_string)
        })
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "Unsupported file format: {}. Supported: {}",
                if filename.is_empty() {
                    "(no file name)"
                } else {
                    &filename
                },
                formats::SUPPORTED_LIST
            ))
        })?;
    let generated_id = given_id.is_none();
    let job_id = job_id_from(given_id.as_ref())?;
    let object_key = blob::staged_input_key(&job_id, &ext);
    reserve(state, key, &job_id, &object_key, MULTIPART_RESERVATION).await?;
    *stored = Some(Stored {
        job_id,
        key: object_key.clone(),
        ext,
        size: 0,
        generated_id,
    });
    let hooked = field.inspect(|chunk| {
        if let Ok(bytes) = chunk {
            on_chunk(bytes);
        }
    });
    let max = state.config.max_upload_bytes;
    let size = store_stream(
        state.blobs.as_ref(),
        Bucket::Input,
        &object_key,
        hooked,
        max,
    )
    .await?;
    if let Some(s) = stored.as_mut() {
        s.size = size;
    }
    Ok(())
}

/// Creates the job of a staged upload and moves the upload to the job's input key.
pub(crate) async fn queue_staged(
    state: &AppState,
    key: &ApiKey,
    file: &mut Stored,
    s: Submission,
) -> Result<Answer, ApiError> {
    let meta = input_metadata(Some(file.size), &file.ext, InputSource::Upload);
    // The upload sits under a key of this request alone. Creating the job decides, in the job
    // store, which of two submissions with one id wins; only the winner then moves its upload
    // to the job's key, so a loser (409) removes nothing but its own staging object. The job is
    // held until the move is done, so no worker looks for the input before it is there.
    let final_key = blob::input_key(&file.job_id, &file.ext);
    let job_id = file.job_id.clone();
    let response = create_held(state, key, s, meta, final_key.clone()).await?;
    state
        .blobs
        .rename(Bucket::Input, &file.key, &final_key)
        .await?;
    file.key.clear();
    state
        .jobs
        .release_hold(&key.organisation_id, &job_id)
        .await?;
    Ok(response)
}

/// How long a job created by an upload waits for its input to move into place, should the
/// server die in between (it then runs, and fails for want of its input).
const UPLOAD_HOLD: Duration = Duration::from_secs(600);

pub(crate) async fn read_text(
    mut field: axum::extract::multipart::Field<'_>,
    name: &str,
) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|_| ApiError::bad_request("Invalid multipart/form-data body"))?
    {
        if bytes.len() + chunk.len() > MAX_TEXT_PART_BYTES {
            return Err(ApiError::bad_request(format!("{name} is too large")));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes)
        .map_err(|_| ApiError::bad_request(format!("{name} must be UTF-8 text")))
}

// ---------------------------------------------------------------------------------------------
// JSON forms

async fn url_input(
    state: &AppState,
    key: &ApiKey,
    body: Map<String, Value>,
) -> Result<Answer, ApiError> {
    let job_id = job_id_from(body.get("job_id"))?;
    let s = submission(state, job_id, |name| body.get(name).cloned())?;
    let Some(Value::String(url)) = body.get("input_url") else {
        return Err(ApiError::bad_request("input_url must be a string"));
    };
    let url = blob::fetch::check_url(url, &state.config.url_input)
        .await
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    ensure_not_a_job(state, key, &s.job_id).await?;
    let ext = formats::audio_extension(url.path());
    let mut meta = InputMetadata::new(InputSource::Url);
    if let Some(ext) = ext {
        meta = input_metadata(None, &ext, InputSource::Url);
    }
    create_job(state, key, s, meta, None, Some(url.to_string()), None).await
}

async fn presign_step1(
    state: &AppState,
    key: &ApiKey,
    body: Map<String, Value>,
) -> Result<Answer, ApiError> {
    if body.get("mode") != Some(&Value::String("presign".into())) {
        return Err(ApiError::bad_request("mode must be \"presign\""));
    }
    let job_id = job_id_from(body.get("job_id"))?;
    // model_code and metadata belong to step 3, which creates the job.
    let s = submission(state, job_id, |name| match name {
        "model_code" | "metadata" => None,
        _ => body.get(name).cloned(),
    })?;
    check_notification_urls(state, &s).await?;
    let filename = match body.get("filename") {
        Some(Value::String(name)) if formats::valid_filename(name) => name.clone(),
        Some(Value::String(_)) => {
            return Err(ApiError::bad_request(
                "filename must be a plain file name (no slashes) of at most 255 letters, digits, '.', '_' or '-'",
            ))
        }
        _ => return Err(ApiError::bad_request("filename is required")),
    };
    if formats::audio_extension(&filename).is_none() {
        return Err(ApiError::bad_request(format!(
            "Unsupported file format: {filename}. Supported: {}",
            formats::SUPPORTED_LIST
        )));
    }
    let content_type = match body.get("content_type") {
        None | Some(Value::Null) => "application/octet-stream".to_string(),
        Some(Value::String(ct))
            if !ct.is_empty()
                && ct.len() <= 255
                && ct.bytes().all(|b| (0x20..0x7f).contains(&b)) =>
        {
            ct.clone()
        }
        Some(_) => {
            return Err(ApiError::bad_request(
                "content_type must be a media type such as audio/wav",
            ))
        }
    };
    let object_key = blob::presigned_input_key(&s.job_id, &filename);
    // The URL writes a staging key of this reservation; step 3 moves it to `object_key`.
    let upload_key = blob::staged_presign_key(&s.job_id, &filename);
    reserve(state, key, &s.job_id, &upload_key, PRESIGN_RESERVATION).await?;
    let url = state
        .blobs
        .presign(
            Access::Put,
            Bucket::Input,
            &upload_key,
            &content_type,
            UPLOAD_EXPIRY,
        )
        .await?;
    let input_uri = state.blobs.s3_uri(Bucket::Input, &object_key);
    let mut response = json!({
        "job_id": s.job_id,
        "transcription_config": s.transcription_config,
    });
    if let Some(t) = s.tracking {
        response["tracking"] = json!(t);
    }
    if let Some(o) = s.output_config {
        response["output_config"] = json!(o);
    }
    response["input_s3_uri"] = input_uri.clone().into();
    response["output_s3_prefix"] = state
        .blobs
        .s3_uri(Bucket::Output, &blob::output_prefix(&s.job_id))
        .into();
    response["upload"] = json!({
        "url": url,
        "s3_key": object_key,
        "s3_uri": input_uri,
        "expires_in": UPLOAD_EXPIRY.as_secs(),
        "headers": {"Content-Type": content_type},
    });
    Ok((StatusCode::OK, response))
}

async fn presign_step3(
    state: &AppState,
    key: &ApiKey,
    body: Map<String, Value>,
) -> Result<Answer, ApiError> {
    let job_id = match body.get("job_id") {
        None | Some(Value::Null) => {
            return Err(ApiError::bad_request("job_id is required with s3_key"))
        }
        some => job_id_from(some)?,
    };
    let s = submission(state, job_id, |name| body.get(name).cloned())?;
    let Some(Value::String(s3_key)) = body.get("s3_key") else {
        return Err(ApiError::bad_request("s3_key must be a string"));
    };
    let prefix = blob::presigned_input_prefix(&s.job_id);
    let filename = s3_key
        .strip_prefix(&prefix)
        .filter(|f| formats::valid_filename(f))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "s3_key must be the upload.s3_key given for this job_id ({prefix}<filename>)"
            ))
        })?;
    ensure_not_a_job(state, key, &s.job_id).await?;
    // The reservation proves the upload was requested by this organisation; it is checked
    // before the object, so nobody learns what another organisation has uploaded.
    let staged = match state.jobs.take_reservation(&key.organisation_id, &s.job_id).await? {
        Some(staged) if blob::unstaged_presign_key(&staged).as_deref() == Some(s3_key.as_str()) => staged,
        Some(staged) => {
            let reserved = blob::unstaged_presign_key(&staged).unwrap_or_default();
            return Err(ApiError::bad_request(format!(
                "s3_key does not match the upload reserved for this job_id ({reserved})"
            )))
        }
        None => {
            return Err(ApiError::bad_request(
                "No pending upload for this job_id: request one with mode \"presign\" (it may have expired)",
            ))
        }
    };
    if state.blobs.head(Bucket::Input, &staged).await?.is_none() {
        return Err(ApiError::bad_request(
            "Nothing was uploaded to s3_key: PUT the file to upload.url first",
        ));
    }
    // Moved first, measured where it now lies: an upload URL used again cannot change it.
    state.blobs.rename(Bucket::Input, &staged, s3_key).await?;
    let size = state
        .blobs
        .head(Bucket::Input, s3_key)
        .await?
        .unwrap_or_default();
    // An S3 presigned PUT cannot cap the size (the local store's PUT already refuses with 413),
    // so the limit is enforced here; the reservation stays for a smaller upload.
    let max = state.config.max_upload_bytes;
    if size > max {
        state.blobs.delete(Bucket::Input, s3_key).await?;
        return Err(ApiError::too_large(max));
    }
    let ext = formats::audio_extension(filename).unwrap_or_else(|| "bin".into());
    let meta = input_metadata(Some(size), &ext, InputSource::Presigned);
    let created = create_job(state, key, s, meta, Some(s3_key.clone()), None, None).await;
    if created.is_err() {
        // The object under s3_key is the one just moved there: no job will read it.
        discard(state, s3_key).await;
    }
    created
}
