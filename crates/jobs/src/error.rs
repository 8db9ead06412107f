/// What a [`crate::JobStore`] call can fail with. `Database` carries the backend's text for logs;
/// the api must not show it to clients (it maps to 500 "Internal server error").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobsError {
    #[error("job not found")]
    NotFound,
    #[error("job id already exists")]
    AlreadyExists,
    #[error("job must be DONE or FAILED to delete")]
    NotDeletable,
    #[error("job must be QUEUED or in progress to cancel")]
    NotCancellable,
    #[error("lease lost: another worker holds this job")]
    LeaseLost,
    #[error("invalid status transition from {from} to {to}")]
    InvalidTransition {
        from: crate::JobStatus,
        to: crate::JobStatus,
    },
    #[error("database error: {0}")]
    Database(String),
}

impl From<sqlx::Error> for JobsError {
    fn from(e: sqlx::Error) -> Self {
        JobsError::Database(e.to_string())
    }
}

impl From<sqlx::migrate::MigrateError> for JobsError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        JobsError::Database(format!("migration failed: {e}"))
    }
}
