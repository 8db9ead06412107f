//! OpenAI-compatible transcription (docs/extensions.md): `POST /v1/audio/transcriptions`,
//! `POST /v1/audio/translations` and `GET /v1/models`. Each request is a batch job like any other (same store, keys, limits and
//! queue); the call waits for it and answers in OpenAI's formats.

pub(crate) mod error;
mod render;
mod request;
mod stream;
mod wait;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use jobs::ApiKey;
use serde_json::json;

use crate::openapi::openai as schema;
use crate::AppState;
pub use error::openai_refusals;
use error::OpenAiError;
use render::Rendered;
use request::Task;

/// The routes, to sit behind the batch routes' key check and rate limit.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/audio/transcriptions",
            post(transcriptions)
                .layer(DefaultBodyLimit::disable())
                .fallback(|| method_not_allowed("POST")),
        )
        .route(
            "/v1/audio/translations",
            post(translations)
                .layer(DefaultBodyLimit::disable())
                .fallback(|| method_not_allowed("POST")),
        )
        .route(
            "/v1/models",
            get(models).fallback(|| method_not_allowed("GET, HEAD")),
        )
}

/// A method the route does not take: 405 in OpenAI's shape, like the route's other errors
/// (axum's own 405 would leave in the batch API's shape).
async fn method_not_allowed(allow: &'static str) -> Response {
    let mut response = OpenAiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        message: "Method not allowed".to_string(),
        kind: "invalid_request_error",
        param: None,
        code: None,
    }
    .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

#[utoipa::path(
    post,
    path = "/v1/audio/transcriptions",
    tag = "openai",
    operation_id = "create_transcription",
    summary = "Transcribe audio (OpenAI-compatible)",
    description = "A batch job like any other: the call waits for it (at most VERBATIM_OPENAI_WAIT) and answers the transcript.",
    request_body(content(
        (schema::TranscriptionForm = "multipart/form-data",
            encoding(("file" = (content_type = "audio/wav")))),
    )),
    responses(
        (status = 200, description = "The transcript in `response_format` (`json` by default); with `stream=true`, server-sent events `transcript.text.delta` then `transcript.text.done`",
            headers(("x-verbatim-job-id" = String, description = "The batch job behind the answer")),
            content(
                (schema::TranscriptionJson = "application/json"),
                (String = "text/plain"),
                (String = "application/x-subrip"),
                (String = "text/vtt"),
                (String = "text/event-stream"),
            )),
        (status = 400, description = "A bad field (`param` names it), or the job failed (`code: transcription_failed`)", body = schema::OpenAiError, examples(
            ("model" = (value = json!({"error": {"message": "model is required", "type": "invalid_request_error", "param": "model", "code": null}}))),
            ("failed" = (value = json!({"error": {"message": "The transcription failed (batch job job8f3a0c2e4b6d8f0a1c3e5b7d9f1a3c5e): the audio could not be decoded", "type": "invalid_request_error", "param": "file", "code": "transcription_failed"}}))),
        )),
        (status = 401, description = "No valid API key", body = schema::OpenAiError,
            example = json!({"error": {"message": "Incorrect API key provided: send a key of this server as Authorization: Bearer <key>", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}})),
        (status = 409, description = "The generated job id was taken (retry)", body = schema::OpenAiError),
        (status = 413, description = "The file is too large", body = schema::OpenAiError,
            example = json!({"error": {"message": "File too large. Maximum size is 1 GB.", "type": "invalid_request_error", "param": null, "code": null}})),
        (status = 429, description = "Over the key's POSTs per minute (nothing was queued)", body = schema::OpenAiError,
            headers(("Retry-After" = u64, description = "Seconds")),
            example = json!({"error": {"message": "Too many requests: slow down and retry later", "type": "requests", "param": null, "code": "rate_limit_exceeded"}})),
        (status = 500, description = "Our fault", body = schema::OpenAiError),
        (status = 503, description = "Too many uploads in progress (nothing was queued)", body = schema::OpenAiError,
            headers(("Retry-After" = u64, description = "Seconds")),
            example = json!({"error": {"message": "Too many uploads in progress: retry later", "type": "server_error", "param": null, "code": null}})),
        (status = 504, description = "The job did not finish within VERBATIM_OPENAI_WAIT; it goes on as the batch job named", body = schema::OpenAiError,
            example = json!({"error": {"message": "The transcription did not finish within 600 s; it goes on as batch job job8f3a0c2e4b6d8f0a1c3e5b7d9f1a3c5e: poll GET /v1/batch/jobs/job8f3a0c2e4b6d8f0a1c3e5b7d9f1a3c5e and fetch its transcript when DONE", "type": "timeout", "param": null, "code": "job_still_running"}})),
    ),
    security(("api_key" = [])),
)]
async fn transcriptions(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    request: Request,
) -> Result<Response, OpenAiError> {
    answer(&state, &key, request, Task::Transcribe).await
}

#[utoipa::path(
    post,
    path = "/v1/audio/translations",
    tag = "openai",
    operation_id = "create_translation",
    summary = "Translate speech into English text (OpenAI-compatible)",
    description = "Whisper's translate task, on a multilingual model; otherwise as transcriptions.",
    request_body(content(
        (schema::TranslationForm = "multipart/form-data",
            encoding(("file" = (content_type = "audio/wav")))),
    )),
    responses(
        (status = 200, description = "The transcript in `response_format` (`json` by default); with `stream=true`, server-sent events `transcript.text.delta` then `transcript.text.done`",
            headers(("x-verbatim-job-id" = String, description = "The batch job behind the answer")),
            content(
                (schema::TranscriptionJson = "application/json"),
                (String = "text/plain"),
                (String = "application/x-subrip"),
                (String = "text/vtt"),
                (String = "text/event-stream"),
            )),
        (status = 400, description = "A bad field (`param` names it), or the job failed (`code: transcription_failed`)", body = schema::OpenAiError, examples(
            ("model" = (value = json!({"error": {"message": "model is required", "type": "invalid_request_error", "param": "model", "code": null}}))),
            ("failed" = (value = json!({"error": {"message": "The transcription failed (batch job job8f3a0c2e4b6d8f0a1c3e5b7d9f1a3c5e): the audio could not be decoded", "type": "invalid_request_error", "param": "file", "code": "transcription_failed"}}))),
        )),
        (status = 401, description = "No valid API key", body = schema::OpenAiError,
            example = json!({"error": {"message": "Incorrect API key provided: send a key of this server as Authorization: Bearer <key>", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}})),
        (status = 409, description = "The generated job id was taken (retry)", body = schema::OpenAiError),
        (status = 413, description = "The file is too large", body = schema::OpenAiError,
            example = json!({"error": {"message": "File too large. Maximum size is 1 GB.", "type": "invalid_request_error", "param": null, "code": null}})),
        (status = 429, description = "Over the key's POSTs per minute (nothing was queued)", body = schema::OpenAiError,
            headers(("Retry-After" = u64, description = "Seconds")),
            example = json!({"error": {"message": "Too many requests: slow down and retry later", "type": "requests", "param": null, "code": "rate_limit_exceeded"}})),
        (status = 500, description = "Our fault", body = schema::OpenAiError),
        (status = 503, description = "Too many uploads in progress (nothing was queued)", body = schema::OpenAiError,
            headers(("Retry-After" = u64, description = "Seconds")),
            example = json!({"error": {"message": "Too many uploads in progress: retry later", "type": "server_error", "param": null, "code": null}})),
        (status = 504, description = "The job did not finish within VERBATIM_OPENAI_WAIT; it goes on as the batch job named", body = schema::OpenAiError,
            example = json!({"error": {"message": "The transcription did not finish within 600 s; it goes on as batch job job8f3a0c2e4b6d8f0a1c3e5b7d9f1a3c5e: poll GET /v1/batch/jobs/job8f3a0c2e4b6d8f0a1c3e5b7d9f1a3c5e and fetch its transcript when DONE", "type": "timeout", "param": null, "code": "job_still_running"}})),
    ),
    security(("api_key" = [])),
)]
async fn translations(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    request: Request,
) -> Result<Response, OpenAiError> {
    answer(&state, &key, request, Task::Translate).await
}

async fn answer(
    state: &AppState,
    key: &ApiKey,
    request: Request,
    task: Task,
) -> Result<Response, OpenAiError> {
    let t = request::queue(state, key, request, task).await?;
    let job_id = t.job_id.clone();
    let mut response = if t.stream {
        stream::respond(state.clone(), key.organisation_id.clone(), t)
    } else {
        let finished = wait::finished(state, &key.organisation_id, &t.job_id).await?;
        let rendered = Rendered::new(&finished, t.task);
        rendered.response(t.response_format, t.granularities)
    };
    // The batch job behind the answer, for a client that wants its other outputs.
    if let Ok(id) = job_id.parse() {
        response.headers_mut().insert("x-verbatim-job-id", id);
    }
    Ok(response)
}

/// `whisper-1` and every installed model, in OpenAI's list shape.
#[utoipa::path(
    get,
    path = "/v1/models",
    tag = "openai",
    operation_id = "list_models",
    summary = "The model names `model` accepts (OpenAI-compatible)",
    responses(
        (status = 200, description = "`whisper-1` and every installed model", body = schema::ModelList),
        (status = 401, description = "No valid API key", body = schema::OpenAiError,
            example = json!({"error": {"message": "Incorrect API key provided: send a key of this server as Authorization: Bearer <key>", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}})),
    ),
    security(("api_key" = [])),
)]
async fn models(State(state): State<AppState>) -> Response {
    let data: Vec<_> = request::model_names(&state)
        .into_iter()
        .map(|id| json!({"id": id, "object": "model", "created": 0, "owned_by": "verbatim"}))
        .collect();
    Json(json!({"object": "list", "data": data})).into_response()
}
