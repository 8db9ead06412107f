//! Picks the backend from a database URL, so one binary serves both the embedded default and
//! a fleet (issue 4: configuration picks the backends, no feature flag).

use std::path::Path;
use std::sync::Arc;

use crate::{open_postgres, open_sqlite, JobStore, JobsError};

/// `postgres://…` / `postgresql://…` → PostgreSQL; `sqlite://path`, `sqlite:path` or a plain
/// path → SQLite (the file is created if missing). Any other `scheme://` is refused.
pub async fn open(database_url: &str) -> Result<Arc<dyn JobStore>, JobsError> {
    let url = database_url.trim();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return open_postgres(url).await;
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    // Drop URL query options (`?mode=rwc`, ...): the store sets its own.
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    if path.is_empty() {
        return Err(JobsError::Database("empty database URL".into()));
    }
    if let Some((scheme, _)) = path.split_once("://") {
        return Err(JobsError::Database(format!(
            "unsupported database URL scheme {scheme:?}: use postgres://… or a SQLite path (sqlite://path)"
        )));
    }
    open_sqlite(Path::new(path)).await
}
