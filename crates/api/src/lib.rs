//! The SLNG Batch API over HTTP (axum): routes, auth, request parsing, the error type.
//! No business logic lives here: jobs are records in a [`jobs::JobStore`], files are objects in a
//! [`blob::BlobStore`], and the workers do the rest.

mod auth;
mod corrections;
mod dashboard;
pub mod error;
mod formats;
mod http_server;
mod idempotency;
mod job;
mod list;
mod metrics;
mod openai;
pub mod openapi;
mod signed;
mod slow_body;
mod submit;
mod throttle;
mod upload;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use blob::fetch::FetchPolicy;
use blob::{BlobStore, LocalBlobStore};
use jobs::JobStore;

pub use error::ApiError;
pub use http_server::serve;
/// How long an `Idempotency-Key` is remembered (the retention sweeper forgets older ones).
pub use idempotency::LIFETIME as IDEMPOTENCY_LIFETIME;

/// The model code a job gets when the client names none (contract section 3).
pub const DEFAULT_MODEL_CODE: &str = "slng/speechmatics/batch:15.0.0";

/// Settings of the api (environment names are read by `verbatim serve`).
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The largest accepted upload (multipart, presigned PUT; URL input is capped by the worker
    /// with the same number). `VERBATIM_MAX_UPLOAD_BYTES`.
    pub max_upload_bytes: u64,
    /// How `input_url` is checked at submission: its hosts that skip the private-address
    /// refusal (`VERBATIM_URL_ALLOW_HOSTS`) and the certificates it may be signed with
    /// (`VERBATIM_URL_CA_CERT`).
    pub url_input: FetchPolicy,
    /// The base of the URLs the server hands out (signed download and upload URLs).
    pub public_base_url: String,
    /// Accepted `model_code` values.
    pub model_codes: Vec<String>,
    /// POSTs each API key may make per minute (0: no limit). `VERBATIM_RATE_LIMIT_PER_MINUTE`.
    pub posts_per_minute: u32,
    /// Uploads (multipart POSTs and presigned PUTs) in flight at once; past it, 503.
    /// `VERBATIM_MAX_CONCURRENT_UPLOADS`.
    pub max_concurrent_uploads: usize,
    /// The slowest accepted request body, in bytes per second over each 30 s (0: no floor).
    /// `VERBATIM_BODY_MIN_RATE`.
    pub min_body_bytes_per_second: u64,
    /// When set, `/metrics` wants `Authorization: Bearer <token>`. `VERBATIM_METRICS_TOKEN`.
    pub metrics_token: Option<String>,
    /// How long an OpenAI-compatible request waits for its job before answering 504 with the
    /// job's id (the job goes on). `VERBATIM_OPENAI_WAIT`.
    pub openai_wait: std::time::Duration,
}

#[derive(Clone)]
pub struct AppState {
    pub jobs: Arc<dyn JobStore>,
    pub blobs: Arc<dyn BlobStore>,
    /// The embedded store's signer: when set, the server serves its own signed URLs on
    /// `/v1/blob/...` (with S3 the URLs point at S3 and this is `None`).
    pub local_signer: Option<Arc<LocalBlobStore>>,
    pub config: Arc<ApiConfig>,
    throttle: Arc<throttle::Throttle>,
    metrics: Arc<metrics::Cache>,
}

impl AppState {
    pub fn new(
        jobs: Arc<dyn JobStore>,
        blobs: Arc<dyn BlobStore>,
        local_signer: Option<Arc<LocalBlobStore>>,
        config: ApiConfig,
    ) -> AppState {
        let throttle = Arc::new(throttle::Throttle::new(
            config.posts_per_minute,
            config.max_concurrent_uploads,
        ));
        AppState {
            jobs,
            blobs,
            local_signer,
            config: Arc::new(config),
            throttle,
            metrics: Arc::default(),
        }
    }
}

/// Every route of the API; unknown routes, wrong methods and axum's own rejections all answer
/// `{"error": "..."}` like the rest.
pub fn router(state: AppState) -> Router {
    let batch = Router::new()
        .route(
            "/v1/batch/jobs",
            get(list::list_jobs)
                .post(submit::submit)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/v1/batch/jobs/{job_id}",
            get(job::get_job).delete(job::delete_job),
        )
        .route("/v1/batch/jobs/{job_id}/files", get(job::job_files))
        .route("/v1/batch/jobs/{job_id}/cancel", post(job::cancel_job))
        .route(
            "/v1/batch/jobs/{job_id}/transcript",
            get(corrections::get_transcript).patch(corrections::patch_transcript),
        )
        .route(
            "/v1/batch/jobs/{job_id}/transcript/corrections",
            delete(corrections::reset_corrections),
        )
        .merge(openai::routes())
        // Layers run outside in: the key is checked first, then its rate.
        .route_layer(from_fn_with_state(state.clone(), throttle::limit_post_rate))
        .route_layer(from_fn_with_state(state.clone(), auth::require_key));

    let mut app = Router::new()
        .merge(batch)
        .merge(dashboard::routes())
        .route("/health", get(health))
        .route("/metrics", get(metrics::metrics))
        .merge(openapi::routes());
    if state.local_signer.is_some() {
        app = app.route(
            "/v1/blob/{bucket}/{*key}",
            get(signed::download)
                .put(signed::upload)
                .layer(DefaultBodyLimit::disable()),
        );
    }
    app.fallback(not_found)
        .layer(from_fn_with_state(
            state.clone(),
            slow_body::floor_body_rate,
        ))
        .layer(from_fn_with_state(state.clone(), throttle::cap_uploads))
        .layer(axum::middleware::map_response(json_errors))
        // Outermost: the OpenAI routes' refusals in OpenAI's shape, whichever layer made them.
        .layer(axum::middleware::from_fn(openai::openai_refusals))
        .with_state(state)
}

/// The request's `Content-Type`, or "" when it has none (or one that is not text).
fn content_type(request: &axum::extract::Request) -> &str {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[utoipa::path(
    get,
    path = "/health",
    tag = "service",
    operation_id = "health",
    summary = "Whether the server is up (no API key)",
    responses((status = 200, description = "Up", body = openapi::batch::Health)),
)]
async fn health() -> Response {
    axum::Json(serde_json::json!({"status": "ok"})).into_response()
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

/// Gives axum's own plain-text rejections (405, bad paths, 413 body limits, ...) the contract's
/// error shape; our own errors are already JSON and pass through.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let message = match status {
        StatusCode::NOT_FOUND => error::MSG_NOT_FOUND.to_string(),
        StatusCode::METHOD_NOT_ALLOWED => "Method not allowed".to_string(),
        StatusCode::INTERNAL_SERVER_ERROR => error::MSG_INTERNAL.to_string(),
        other => other.canonical_reason().unwrap_or("Error").to_string(),
    };
    let mut fresh = error::error_response(status, &message);
    // Keep headers such as `Allow` on a 405.
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            fresh.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fresh
}
