//! OpenAI-compatible transcription (docs/extensions.md): `POST /v1/audio/transcriptions`,
//! `POST /v1/audio/translations` and `GET /v1/models`. Each request is a batch job like any other (same store, keys, limits and
//! queue); the call waits for it and answers in OpenAI's formats.

mod error;
mod render;
mod request;
mod stream;
mod wait;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use jobs::ApiKey;
use serde_json::json;

use crate::AppState;
use error::OpenAiError;
use render::Rendered;
use request::Task;

/// The routes, to sit behind the batch routes' key check and rate limit.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/audio/transcriptions",
            post(transcriptions).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/v1/audio/translations",
            post(translations).layer(DefaultBodyLimit::disable()),
        )
        .route("/v1/models", get(models))
}

async fn transcriptions(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    request: Request,
) -> Result<Response, OpenAiError> {
    answer(&state, &key, request, Task::Transcribe).await
}

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
        let (job, doc) = wait::finished(state, &key.organisation_id, &t.job_id).await?;
        let rendered = Rendered::new(&job, &doc, t.task);
        rendered.response(t.response_format, t.granularities)
    };
    // The batch job behind the answer, for a client that wants its other outputs.
    if let Ok(id) = job_id.parse() {
        response.headers_mut().insert("x-verbatim-job-id", id);
    }
    Ok(response)
}

/// `whisper-1` and every installed model, in OpenAI's list shape.
async fn models(State(state): State<AppState>) -> Response {
    let data: Vec<_> = request::model_names(&state)
        .into_iter()
        .map(|id| json!({"id": id, "object": "model", "created": 0, "owned_by": "verbatim"}))
        .collect();
    Json(json!({"object": "list", "data": data})).into_response()
}
