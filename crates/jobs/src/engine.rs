//! The narrow interface a SQL backend implements: how to run one statement, how to read a
//! column, and the few pieces of SQL that really differ between SQLite and PostgreSQL (the
//! clock, JSON parameters, the claiming statement, the per-job-id lock and cross-process
//! wake-ups). Everything else, every statement of the job store's semantics, is written once
//! over it in `sql_store.rs`.
//!
//! Statements use numbered placeholders (`$1`, `$2`, …), which both drivers accept.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::{ApiKey, Job, JobStatus, JobsError};

/// One statement and its arguments.
pub(crate) struct Stmt {
    pub(crate) sql: String,
    pub(crate) args: Vec<Arg>,
}

/// An argument; each backend binds it as its own column types want.
pub(crate) enum Arg {
    Text(Option<String>),
    /// A time column's value (SQLite: fixed-width text; PostgreSQL: `timestamptz`).
    Time(DateTime<Utc>),
    /// A duration in milliseconds, for [`Engine::later`] (NULL gives a NULL time).
    Millis(Option<f64>),
    /// A counter (a `BIGINT` column in PostgreSQL).
    Int(i64),
}

impl Arg {
    /// A duration's milliseconds, saturating ([`MAX_MS`]); `None` binds NULL.
    pub(crate) fn millis(d: Option<std::time::Duration>) -> Arg {
        Arg::Millis(d.map(|d| millis(d) as f64))
    }
}

impl Stmt {
    pub(crate) fn new(sql: impl Into<String>) -> Self {
        Stmt {
            sql: sql.into(),
            args: Vec::new(),
        }
    }

    pub(crate) fn text(mut self, v: impl Into<String>) -> Self {
        self.args.push(Arg::Text(Some(v.into())));
        self
    }

    pub(crate) fn opt_text(mut self, v: Option<impl Into<String>>) -> Self {
        self.args.push(Arg::Text(v.map(Into::into)));
        self
    }

    pub(crate) fn millis(self, d: std::time::Duration) -> Self {
        self.opt_millis(Some(d))
    }

    pub(crate) fn opt_millis(mut self, d: Option<std::time::Duration>) -> Self {
        self.args.push(Arg::millis(d));
        self
    }

    pub(crate) fn time(mut self, t: DateTime<Utc>) -> Self {
        self.args.push(Arg::Time(t));
        self
    }

    /// Adds an argument and returns its placeholder, for statements built piece by piece.
    pub(crate) fn param(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }
}

/// The longest duration we turn into an interval; longer ones saturate (a lease of "forever").
const MAX_MS: i64 = 100 * 365 * 24 * 3600 * 1000;

/// Milliseconds for an interval, rounded up (a delay is never shortened), saturating.
fn millis(d: std::time::Duration) -> i64 {
    let ms = d.as_micros().div_ceil(1000);
    i64::try_from(ms).unwrap_or(MAX_MS).min(MAX_MS)
}

/// Reading one row by column name, whatever the backend's column types.
pub(crate) trait Columns {
    fn text(&self, col: &str) -> Result<String, JobsError>;
    fn opt_text(&self, col: &str) -> Result<Option<String>, JobsError>;
    fn time(&self, col: &str) -> Result<DateTime<Utc>, JobsError>;
    fn opt_time(&self, col: &str) -> Result<Option<DateTime<Utc>>, JobsError>;
    fn json(&self, col: &str) -> Result<Value, JobsError>;
    fn opt_json(&self, col: &str) -> Result<Option<Value>, JobsError>;
    fn int(&self, col: &str) -> Result<i64, JobsError>;
}

/// What differs between the drivers in binding arguments and reading columns (SQLite keeps
/// times and JSON as text; PostgreSQL has types of its own for both).
pub(crate) trait Dialect: sqlx::Database {
    /// Binds one argument.
    fn bind(
        args: &mut <Self as sqlx::Database>::Arguments<'_>,
        arg: Arg,
    ) -> Result<(), sqlx::error::BoxDynError>;
    fn time(row: &Self::Row, col: &str) -> Result<DateTime<Utc>, JobsError>;
    fn opt_time(row: &Self::Row, col: &str) -> Result<Option<DateTime<Utc>>, JobsError>;
    fn json(row: &Self::Row, col: &str) -> Result<Value, JobsError>;
    fn opt_json(row: &Self::Row, col: &str) -> Result<Option<Value>, JobsError>;
    fn int(row: &Self::Row, col: &str) -> Result<i64, JobsError>;
}

/// A query of `sql` with `args` bound the way `DB` takes them.
pub(crate) fn query<DB: Dialect>(
    sql: &str,
    args: Vec<Arg>,
) -> Result<sqlx::query::Query<'_, DB, <DB as sqlx::Database>::Arguments<'_>>, JobsError>
where
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let mut bound = <DB as sqlx::Database>::Arguments::default();
    for arg in args {
        DB::bind(&mut bound, arg)
            .map_err(|e| JobsError::Database(format!("cannot bind an argument: {e}")))?;
    }
    Ok(sqlx::query_with::<DB, _>(sql, bound))
}

/// Runs one query on `pool` and maps each row.
pub(crate) async fn fetch_all<DB: Dialect, T>(
    pool: &sqlx::Pool<DB>,
    s: Stmt,
    map: RowMap<T>,
) -> Result<Vec<T>, JobsError>
where
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'c> &'c mut <DB as sqlx::Database>::Connection: sqlx::Executor<'c, Database = DB>,
    for<'r> RowOf<'r, DB>: Columns,
{
    let rows = query::<DB>(&s.sql, s.args)?.fetch_all(pool).await?;
    rows.iter().map(|r| map(&RowOf::<DB>(r))).collect()
}

/// One row of `DB`'s, read through [`Columns`].
pub(crate) struct RowOf<'r, DB: Dialect>(pub(crate) &'r DB::Row);

impl<DB: Dialect> Columns for RowOf<'_, DB>
where
    for<'c> &'c str: sqlx::ColumnIndex<DB::Row>,
    for<'d> String: sqlx::Decode<'d, DB> + sqlx::Type<DB>,
{
    fn text(&self, col: &str) -> Result<String, JobsError> {
        Ok(sqlx::Row::try_get(self.0, col)?)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>, JobsError> {
        Ok(sqlx::Row::try_get(self.0, col)?)
    }
    fn time(&self, col: &str) -> Result<DateTime<Utc>, JobsError> {
        DB::time(self.0, col)
    }
    fn opt_time(&self, col: &str) -> Result<Option<DateTime<Utc>>, JobsError> {
        DB::opt_time(self.0, col)
    }
    fn json(&self, col: &str) -> Result<Value, JobsError> {
        DB::json(self.0, col)
    }
    fn opt_json(&self, col: &str) -> Result<Option<Value>, JobsError> {
        DB::opt_json(self.0, col)
    }
    fn int(&self, col: &str) -> Result<i64, JobsError> {
        DB::int(self.0, col)
    }
}

/// Maps one row (`fetch`'s argument; written as a type so the row's lifetime stays free).
pub(crate) type RowMap<T> = for<'r> fn(&'r dyn Columns) -> Result<T, JobsError>;

/// What one step of [`Engine::write`] did.
pub(crate) struct Written {
    pub(crate) affected: u64,
    /// The row a `RETURNING *` step returned, as a job.
    pub(crate) job: Option<Job>,
}

impl Written {
    /// What a statement changed.
    pub(crate) fn rows(affected: u64) -> Self {
        Written {
            affected,
            job: None,
        }
    }

    /// What a `RETURNING *` step returned: one job, or none when its conditions refused.
    pub(crate) fn returned(job: Option<Job>) -> Self {
        Written {
            affected: u64::from(job.is_some()),
            job,
        }
    }
}

/// Statements that [`Engine::write`] runs as one unit.
pub(crate) struct Unit<'a> {
    pub(crate) steps: Vec<Step>,
    /// Serialise with every other unit on this job id.
    pub(crate) job_id: Option<&'a str>,
    /// Tell the other processes that a job became claimable.
    pub(crate) announce: bool,
}

impl<'a> Unit<'a> {
    pub(crate) fn of(steps: Vec<Step>) -> Self {
        Unit {
            steps,
            job_id: None,
            announce: false,
        }
    }

    pub(crate) fn on(self, job_id: &'a str) -> Self {
        Unit {
            job_id: Some(job_id),
            ..self
        }
    }

    pub(crate) fn announcing(self, announce: bool) -> Self {
        Unit { announce, ..self }
    }
}

/// A step of [`Engine::write`].
pub(crate) enum Step {
    Execute(Stmt),
    /// A statement ending in `RETURNING *` on `jobs`.
    ReturningJob(Stmt),
}

#[async_trait::async_trait]
pub(crate) trait Engine: Send + Sync + 'static {
    /// The current time at the stored precision, as SQL (the backend's clock).
    const NOW: &'static str;
    /// Column that orders API keys created within the same millisecond (SQLite's own row order
    /// unless the backend has a column for it).
    const KEY_SEQUENCE: &'static str = "rowid";

    /// SQL for "now plus the milliseconds in parameter `p`" (`p` binds [`Arg::Millis`]).
    fn later(p: &str) -> String;
    /// SQL for a JSON document bound as text in parameter `p` (as it is, where JSON columns
    /// are text).
    fn json(p: &str) -> String {
        p.to_string()
    }
    /// The statement that atomically takes the next claimable job (a working job with no live
    /// lease, visible now): the oldest job of the organisation whose turn it is
    /// ([`crate::sql_store::organisation_turn`]). Sets the lease (`$1` worker id, `$2` token,
    /// `$3` milliseconds), clears `visible_after`, counts the attempt, sets `started_at` on the
    /// first claim, `claimed_at` and `heartbeat_at` on every claim, clears `progress`, and
    /// returns the whole row.
    fn claim_sql() -> String;

    /// The in-process wake-up of idle workers.
    fn notifier(&self) -> Arc<tokio::sync::Notify>;

    /// Runs one query and maps each row.
    async fn fetch<T: Send + 'static>(&self, s: Stmt, map: RowMap<T>) -> Result<Vec<T>, JobsError>;

    /// Runs the steps (one statement each) as one unit serialised with every other unit on the
    /// same `job_id` (a check-then-write such as "no other organisation's reservation, then
    /// insert" must not interleave with another), and, when `announce`, tells the other
    /// processes sharing the database that a job became claimable. A unique-key violation is
    /// [`JobsError::AlreadyExists`].
    ///
    /// As written here: the steps one after another, for a backend that has one writer at a
    /// time and no other process to tell (SQLite).
    async fn write(&self, unit: Unit<'_>) -> Result<Vec<Written>, JobsError> {
        let mut done = Vec::with_capacity(unit.steps.len());
        for step in unit.steps {
            done.push(self.run_step(step).await?);
        }
        Ok(done)
    }

    /// Runs one step on its own.
    async fn run_step(&self, step: Step) -> Result<Written, Failure>;
}

/// Wakes every idle worker of this process now, and leaves a permit for one that is between a
/// failed claim and its next wait.
pub(crate) fn wake(notify: &tokio::sync::Notify) {
    notify.notify_waiters();
    notify.notify_one();
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// SQL list of statuses. Our own constant names, never client text: safe to inline.
pub(crate) fn status_list(statuses: impl Iterator<Item = JobStatus>) -> String {
    let names: Vec<String> = statuses.map(|s| format!("'{}'", s.as_str())).collect();
    format!("({})", names.join(", "))
}

pub(crate) fn parse_status(s: &str) -> Result<JobStatus, JobsError> {
    s.parse()
        .map_err(|s| JobsError::Database(format!("unknown status {s:?} in database")))
}

/// A JSON column read as its type.
fn typed<T: serde::de::DeserializeOwned>(r: &dyn Columns, col: &str) -> Result<T, JobsError> {
    serde_json::from_value(r.json(col)?)
        .map_err(|e| JobsError::Database(format!("bad {col} in database: {e}")))
}

/// A value as the JSON text a JSON column stores.
pub(crate) fn json_text<T: serde::Serialize>(v: &T) -> Result<String, JobsError> {
    serde_json::to_string(v).map_err(|e| JobsError::Database(format!("cannot store JSON: {e}")))
}

pub(crate) fn job_from_row(r: &dyn Columns) -> Result<Job, JobsError> {
    Ok(Job {
        job_id: r.text("job_id")?,
        status: parse_status(&r.text("status")?)?,
        api_key_id: r.text("api_key_id")?,
        organisation_id: r.text("organisation_id")?,
        model_code: r.text("model_code")?,
        job_config: typed(r, "job_config")?,
        metadata: r.opt_json("metadata")?,
        input_metadata: typed(r, "input_metadata")?,
        output_metadata: typed(r, "output_metadata")?,
        error_message: r.opt_text("error_message")?,
        input_key: r.opt_text("input_key")?,
        input_url: r.opt_text("input_url")?,
        submitted_at: r.time("submitted_at")?,
        started_at: r.opt_time("started_at")?,
        completed_at: r.opt_time("completed_at")?,
        deleted_at: r.opt_time("deleted_at")?,
        expired_at: r.opt_time("expired_at")?,
        updated_at: r.time("updated_at")?,
        attempts: u32::try_from(r.int("attempts")?).unwrap_or(u32::MAX),
        progress: r
            .opt_json("progress")?
            .map(serde_json::from_value)
            .transpose()
            .map_err(|e| JobsError::Database(format!("bad progress in database: {e}")))?,
        heartbeat_at: r.opt_time("heartbeat_at")?,
        streams_text: r.opt_text("partial_text")?.is_some(),
    })
}

/// The columns [`key_from_row`] reads.
pub(crate) const KEY_COLUMNS: &str =
    "k.id, k.organisation_id, o.name AS organisation_name, k.created_at, k.revoked_at";

pub(crate) fn key_from_row(r: &dyn Columns) -> Result<ApiKey, JobsError> {
    Ok(ApiKey {
        id: r.text("id")?,
        organisation_id: r.text("organisation_id")?,
        organisation_name: r.text("organisation_name")?,
        created_at: r.time("created_at")?,
        revoked_at: r.opt_time("revoked_at")?,
    })
}

/// What a write step can fail with, before unique violations are told apart: in a write,
/// a unique-key violation means the id is taken ([`JobsError::AlreadyExists`]).
pub(crate) enum Failure {
    Sql(sqlx::Error),
    Store(JobsError),
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Failure::Sql(e)
    }
}

impl From<JobsError> for Failure {
    fn from(e: JobsError) -> Self {
        Failure::Store(e)
    }
}

impl From<Failure> for JobsError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Sql(e) if is_unique_violation(&e) => JobsError::AlreadyExists,
            Failure::Sql(e) => e.into(),
            Failure::Store(e) => e,
        }
    }
}
