//! The SQLite backend: one database file in WAL mode behind a small pool.
//!
//! What is SQLite's own (the statements themselves are in `sql_store.rs`):
//! - Times are fixed-width RFC 3339 text (`time.rs`); the clock is SQLite's `'now'`, which is
//!   the same instant everywhere within one statement.
//! - Every write is one statement, atomic on its own: SQLite takes the write lock at the start
//!   of a writing statement, so a check in its WHERE clause cannot interleave with another
//!   writer, and [`Engine::write`] needs no lock of its own. No multi-statement transactions
//!   means no SQLITE_BUSY on lock upgrades; `busy_timeout` makes concurrent writers queue.
//! - One process: waking idle workers is the in-process [`tokio::sync::Notify`] alone.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{Arguments, Row, Sqlite};

use crate::engine::{
    fetch_all, job_from_row, query, Arg, Dialect, Engine, Failure, RowMap, RowOf, Step, Stmt,
    Written,
};
use crate::sql_store::{organisation_turn, RESTART_TEXT, WORKING};
use crate::time::{from_text, opt_from_text, to_text};
use crate::{JobStore, JobsError};

/// Now as stored text (milliseconds, `Z`).
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

pub(crate) struct SqliteJobStore {
    pool: SqlitePool,
    notify: Arc<tokio::sync::Notify>,
}

/// Opens (creating it if missing) the database at `path` and brings its schema up to date.
pub async fn open_sqlite(path: &Path) -> Result<Arc<dyn JobStore>, JobsError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| JobsError::Database(format!("cannot create {}: {e}", parent.display())))?;
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: an accepted job must survive a power cut as well as kill -9.
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(30))
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
    Ok(Arc::new(SqliteJobStore {
        pool,
        notify: Arc::new(tokio::sync::Notify::new()),
    }))
}

impl Dialect for Sqlite {
    fn bind(args: &mut SqliteArguments<'_>, arg: Arg) -> Result<(), sqlx::error::BoxDynError> {
        match arg {
            Arg::Text(v) => args.add(v),
            Arg::Time(t) => args.add(to_text(t)),
            Arg::Millis(ms) => args.add(ms),
            Arg::Int(n) => args.add(n),
        }
    }
    fn time(row: &SqliteRow, col: &str) -> Result<chrono::DateTime<chrono::Utc>, JobsError> {
        from_text(&row.try_get::<String, _>(col)?)
    }
    fn opt_time(
        row: &SqliteRow,
        col: &str,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, JobsError> {
        opt_from_text(row.try_get(col)?)
    }
    fn json(row: &SqliteRow, col: &str) -> Result<Value, JobsError> {
        parse_json(&row.try_get::<String, _>(col)?, col)
    }
    fn opt_json(row: &SqliteRow, col: &str) -> Result<Option<Value>, JobsError> {
        let text: Option<String> = row.try_get(col)?;
        text.map(|t| parse_json(&t, col)).transpose()
    }
    fn int(row: &SqliteRow, col: &str) -> Result<i64, JobsError> {
        Ok(row.try_get(col)?)
    }
}

fn parse_json(s: &str, column: &str) -> Result<Value, JobsError> {
    serde_json::from_str(s).map_err(|e| JobsError::Database(format!("bad JSON in {column}: {e}")))
}

#[async_trait::async_trait]
impl Engine for SqliteJobStore {
    const NOW: &'static str = NOW;

    fn later(p: &str) -> String {
        format!("strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ({p} / 1000.0) || ' seconds')")
    }

    fn claim_sql() -> String {
        let claimable = |t: &str| {
            format!(
                "{t}.status IN {WORKING} AND ({t}.lease_expires_at IS NULL OR {t}.lease_expires_at <= {NOW})
                 AND ({t}.visible_after IS NULL OR {t}.visible_after <= {NOW})"
            )
        };
        // One writer at a time: the organisation whose turn it is, then its oldest job. The
        // conditions are repeated outside the subqueries so the UPDATE itself re-checks them.
        format!(
            "UPDATE jobs SET lease_owner = $1, lease_token = $2, lease_expires_at = {expires}, visible_after = NULL,
                 attempts = attempts + 1, started_at = COALESCE(started_at, {NOW}), claimed_at = {NOW}, updated_at = {NOW},
                 heartbeat_at = {NOW}, progress = NULL, partial_text = {RESTART_TEXT}
             WHERE {this} AND job_id = (
                 SELECT c.job_id FROM jobs c WHERE {c} AND c.organisation_id = (
                     SELECT q.organisation_id FROM jobs q WHERE {q} GROUP BY q.organisation_id
                     ORDER BY {turn}, MIN(q.submitted_at), q.organisation_id LIMIT 1)
                 ORDER BY c.submitted_at, c.job_id LIMIT 1)
             RETURNING *",
            expires = Self::later("$3"),
            this = claimable("jobs"),
            c = claimable("c"),
            q = claimable("q"),
            turn = organisation_turn("q", NOW),
        )
    }

    fn notifier(&self) -> Arc<tokio::sync::Notify> {
        self.notify.clone()
    }

    async fn fetch<T: Send + 'static>(&self, s: Stmt, map: RowMap<T>) -> Result<Vec<T>, JobsError> {
        fetch_all(&self.pool, s, map).await
    }

    async fn run_step(&self, step: Step) -> Result<Written, Failure> {
        Ok(match step {
            Step::Execute(s) => Written::rows(
                query::<Sqlite>(&s.sql, s.args)?
                    .execute(&self.pool)
                    .await?
                    .rows_affected(),
            ),
            Step::ReturningJob(s) => {
                let row = query::<Sqlite>(&s.sql, s.args)?
                    .fetch_optional(&self.pool)
                    .await?;
                Written::returned(
                    row.as_ref()
                        .map(|r| job_from_row(&RowOf::<Sqlite>(r)))
                        .transpose()?,
                )
            }
        })
    }
}
