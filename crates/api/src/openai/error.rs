//! OpenAI's error shape, `{"error": {"message", "type", "param", "code"}}`, for the
//! OpenAI-compatible routes: its clients read `error.message` from it.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

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
