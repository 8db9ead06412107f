//! OpenAI's error shape, `{"error": {"message", "type", "param", "code"}}`, for the
//! OpenAI-compatible routes: its clients read `error.message` from it.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::MSG_NO_KEY;
use crate::ApiError;

#[derive(Debug)]
pub struct OpenAiError {
    pub status: StatusCode,
    pub message: String,
    pub kind: &'static str,
    pub param: Option<&'static str>,
    pub code: Option<&'static str>,
}

impl OpenAiError {
    pub fn invalid(param: &'static str, message: impl Into<String>) -> Self {
        OpenAiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            kind: "invalid_request_error",
            param: Some(param),
            code: None,
        }
    }
}

/// The batch path's errors keep their status and message.
impl From<ApiError> for OpenAiError {
    fn from(e: ApiError) -> Self {
        let kind = if e.status.is_server_error() {
            "server_error"
        } else {
            "invalid_request_error"
        };
        OpenAiError {
            status: e.status,
            message: e.message,
            kind,
            param: None,
            code: None,
        }
    }
}

impl OpenAiError {
    /// The object under `"error"`.
    pub fn body(&self) -> serde_json::Value {
        json!({
            "message": self.message,
            "type": self.kind,
            "param": self.param,
            "code": self.code,
        })
    }
}

impl IntoResponse for OpenAiError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.body()});
        let mut response = (self.status, axum::Json(body)).into_response();
        // OpenAI's clients retry 408, 409, 429 and 5xx on their own unless told not to: a retry
        // here would queue the same audio again as a new job.
        response
            .headers_mut()
            .insert("x-should-retry", HeaderValue::from_static("false"));
        response
    }
}

/// Whether a path is one of the OpenAI-compatible routes' (or under their prefix).
pub fn is_openai_path(path: &str) -> bool {
    path.starts_with("/v1/audio/") || path == "/v1/models" || path.starts_with("/v1/models/")
}

/// The refusals made before an OpenAI route's handler (the key check, the rate limit, the
/// upload cap, axum's own rejections) in OpenAI's shape, as OpenAI's clients read them: a
/// missing or unknown key is 401 `invalid_api_key` there (their `AuthenticationError`), where
/// the batch contract answers 403. Everything else passes through.
pub async fn openai_refusals(request: Request, next: Next) -> Response {
    if !is_openai_path(request.uri().path()) {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    if !(response.status().is_client_error() || response.status().is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // The batch API's error bodies are one short message.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return OpenAiError::from(ApiError::internal("an error answer could not be read"))
            .into_response();
    };
    let message = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("error")?.as_str().map(String::from));
    let Some(message) = message else {
        // Already OpenAI's shape (the handlers' own errors).
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    let (status, kind, code, retry) = match parts.status {
        StatusCode::FORBIDDEN if message == MSG_NO_KEY => (
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            Some("invalid_api_key"),
            false,
        ),
        StatusCode::TOO_MANY_REQUESTS => {
            (parts.status, "requests", Some("rate_limit_exceeded"), true)
        }
        s if s.is_server_error() => (
            s,
            "server_error",
            None,
            s == StatusCode::SERVICE_UNAVAILABLE,
        ),
        s => (s, "invalid_request_error", None, false),
    };
    let message = if code == Some("invalid_api_key") {
        "Incorrect API key provided: send a key of this server as Authorization: Bearer <key>"
            .to_string()
    } else {
        message
    };
    let mut reshaped = OpenAiError {
        status,
        message,
        kind,
        param: None,
        code,
    }
    .into_response();
    // Kept: Retry-After, Allow and the like.
    for name in [header::RETRY_AFTER, header::ALLOW] {
        if let Some(value) = parts.headers.remove(&name) {
            reshaped.headers_mut().insert(name, value);
        }
    }
    if retry {
        // Refused before anything was queued: OpenAI's clients may send it again.
        reshaped
            .headers_mut()
            .insert("x-should-retry", HeaderValue::from_static("true"));
    }
    reshaped
}
