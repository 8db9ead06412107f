//! The one error type of the api: every failure leaves as `{"error": "<message>"}` with its status.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use blob::BlobError;
use jobs::JobsError;

pub const MSG_NO_KEY: &str = "API key id not found";
pub const MSG_JOB_NOT_FOUND: &str = "Job not found";
pub const MSG_BAD_JOB_ID: &str = "job_id must be alphanumeric";
pub const MSG_NOT_DELETABLE: &str = "Job must be DONE or FAILED to delete";
pub const MSG_NOT_CANCELLABLE: &str = "Job must be QUEUED or in progress to cancel";
pub const MSG_FILES_EXPIRED: &str = "Job files have expired";
/// The `error_message` of a cancelled job.
pub const MSG_CANCELLED: &str = "Cancelled";
pub const MSG_JOB_EXISTS: &str = "Job ID already exists";
pub const MSG_INTERNAL: &str = "Internal server error";
pub const MSG_NOT_FOUND: &str = "Not found";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }
    pub fn no_key() -> Self {
        Self::forbidden(MSG_NO_KEY)
    }
    pub fn job_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, MSG_JOB_NOT_FOUND)
    }
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, MSG_NOT_FOUND)
    }
    pub fn bad_job_id() -> Self {
        Self::bad_request(MSG_BAD_JOB_ID)
    }
    pub fn job_exists() -> Self {
        Self::new(StatusCode::CONFLICT, MSG_JOB_EXISTS)
    }
    pub fn too_large(max_bytes: u64) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, too_large_message(max_bytes))
    }
    /// Logs the detail for the operator; the client only learns that it was our fault.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {detail}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, MSG_INTERNAL)
    }
}

/// `File too large. Maximum size is 1 GB.` for the default limit; other limits in the largest
/// whole unit (binary units, written as the contract writes its 1 GB).
pub fn too_large_message(max_bytes: u64) -> String {
    const GIB: u64 = 1 << 30;
    const MIB: u64 = 1 << 20;
    const KIB: u64 = 1 << 10;
    let size = if max_bytes >= GIB && max_bytes.is_multiple_of(GIB) {
        format!("{} GB", max_bytes / GIB)
    } else if max_bytes >= MIB && max_bytes.is_multiple_of(MIB) {
        format!("{} MB", max_bytes / MIB)
    } else if max_bytes >= KIB && max_bytes.is_multiple_of(KIB) {
        format!("{} KB", max_bytes / KIB)
    } else {
        format!("{max_bytes} bytes")
    };
    format!("File too large. Maximum size is {size}.")
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error_response(self.status, &self.message)
    }
}

pub fn error_response(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "error": message }).to_string();
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

impl From<JobsError> for ApiError {
    fn from(e: JobsError) -> Self {
        match e {
            JobsError::NotFound => ApiError::job_not_found(),
            JobsError::AlreadyExists => ApiError::job_exists(),
            JobsError::NotDeletable => ApiError::new(StatusCode::CONFLICT, MSG_NOT_DELETABLE),
            JobsError::NotCancellable => ApiError::new(StatusCode::CONFLICT, MSG_NOT_CANCELLABLE),
            other => ApiError::internal(other),
        }
    }
}

impl From<BlobError> for ApiError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::NotFound => ApiError::not_found(),
            BlobError::InvalidKey(_) => ApiError::bad_request("Invalid object key"),
            other => ApiError::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_large_messages() {
        assert_eq!(
            too_large_message(1 << 30),
            "File too large. Maximum size is 1 GB."
        );
        assert_eq!(
            too_large_message(200 << 20),
            "File too large. Maximum size is 200 MB."
        );
        assert_eq!(
            too_large_message(1000),
            "File too large. Maximum size is 1000 bytes."
        );
    }
}
