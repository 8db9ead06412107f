//! The PostgreSQL backend: the store of a fleet (any number of api and worker processes on any
//! number of machines, all on one database).
//!
//! What is PostgreSQL's own (the statements themselves are in `sql_store.rs`):
//! - Claims lock the chosen row with `FOR UPDATE SKIP LOCKED` inside the claiming UPDATE, so
//!   concurrent workers never wait on each other and never take the same job; the row is the
//!   first unlocked one in the fair queue's order (organisations take turns).
//! - Every time comes from the database clock (`now()`), truncated to milliseconds: processes on
//!   different machines then agree on lease expiry and on submission order whatever their clocks.
//! - A [`Engine::write`] unit is one transaction holding a transaction-level advisory lock on
//!   the job id: under READ COMMITTED two "no job / no other organisation's reservation, then
//!   write" checks could otherwise both pass (SQLite gets this for free from its single writer).
//! - Idle workers in every process are woken through `LISTEN verbatim_jobs`: announcing writes
//!   send `pg_notify` at commit, and one listening connection per store turns each notification
//!   into a wake-up of the in-process [`tokio::sync::Notify`].

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgListener, PgPool, PgPoolOptions, PgRow};
use sqlx::{Arguments, Postgres, Row};

use crate::engine::{
    fetch_all, job_from_row, query, wake, Arg, Dialect, Engine, Failure, RowMap, RowOf, Step, Stmt,
    Unit, Written,
};
use crate::sql_store::{organisation_turn, RESTART_TEXT, WORKING};
use crate::{JobStore, JobsError};

/// The channel every store listens on and notifies.
pub const NOTIFY_CHANNEL: &str = "verbatim_jobs";

/// The database's now at the stored precision.
const NOW: &str = "date_trunc('milliseconds', now())";

/// Namespace of our advisory locks (first key of the two-key form), so they cannot collide
/// with another application's locks on the same database.
const LOCK_SPACE: i32 = 0x7662; // "vb"

pub(crate) struct PgJobStore {
    pool: PgPool,
    notify: Arc<tokio::sync::Notify>,
    listener: tokio::task::JoinHandle<()>,
}

/// Connects to the database at `url` (`postgres://user:password@host:port/db?...`) and brings
/// its schema up to date (sqlx migrations, serialised across processes by sqlx's own lock).
pub async fn open_postgres(url: &str) -> Result<Arc<dyn JobStore>, JobsError> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| JobsError::Database(format!("bad PostgreSQL URL: {e}")))?
        .application_name("verbatim");
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations/postgres").run(&pool).await?;
    let notify = Arc::new(tokio::sync::Notify::new());
    // Listen before returning, so a job created right after `open` in another process
    // already reaches this one.
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(NOTIFY_CHANNEL).await?;
    let listener = tokio::spawn(listen(listener, Arc::clone(&notify)));
    Ok(Arc::new(PgJobStore {
        pool,
        notify,
        listener,
    }))
}

impl Drop for PgJobStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// Turns notifications into wake-ups for as long as the store lives. `try_recv` answers
/// `None` when the connection dropped (and reconnects, re-LISTENing, on the next call):
/// notifications sent meanwhile are lost, so that also wakes the workers, who then poll.
async fn listen(mut listener: PgListener, notify: Arc<tokio::sync::Notify>) {
    loop {
        match listener.try_recv().await {
            Ok(Some(_)) | Ok(None) => wake(&notify),
            Err(_) => {
                // The database is unreachable; workers keep polling on their own timeout.
                wake(&notify);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

impl Dialect for Postgres {
    fn bind(args: &mut PgArguments, arg: Arg) -> Result<(), sqlx::error::BoxDynError> {
        match arg {
            Arg::Text(v) => args.add(v),
            Arg::Time(t) => args.add(t),
            Arg::Millis(ms) => args.add(ms),
            Arg::Int(n) => args.add(n),
        }
    }
    fn time(row: &PgRow, col: &str) -> Result<DateTime<Utc>, JobsError> {
        Ok(row.try_get(col)?)
    }
    fn opt_time(row: &PgRow, col: &str) -> Result<Option<DateTime<Utc>>, JobsError> {
        Ok(row.try_get(col)?)
    }
    fn json(row: &PgRow, col: &str) -> Result<Value, JobsError> {
        Ok(row.try_get(col)?)
    }
    fn opt_json(row: &PgRow, col: &str) -> Result<Option<Value>, JobsError> {
        Ok(row.try_get(col)?)
    }
    fn int(row: &PgRow, col: &str) -> Result<i64, JobsError> {
        // COUNT(*) is BIGINT; `attempts` is INTEGER.
        match row.try_get::<i64, _>(col) {
            Ok(n) => Ok(n),
            Err(_) => Ok(i64::from(row.try_get::<i32, _>(col)?)),
        }
    }
}

#[async_trait::async_trait]
impl Engine for PgJobStore {
    const NOW: &'static str = NOW;
    const KEY_SEQUENCE: &'static str = "seq";

    fn later(p: &str) -> String {
        format!("{NOW} + {p} * interval '1 millisecond'")
    }

    fn json(p: &str) -> String {
        format!("{p}::json")
    }

    fn claim_sql() -> String {
        // Every claimable job, ordered by its organisation's turn and then its age, and the
        // first one no other claimer has locked is locked in the same statement: a job another
        // claimer holds is skipped for the next in that order (that organisation's next job, or
        // the next organisation's), and READ COMMITTED re-checks the WHERE clause on the row's
        // latest version before locking it, so a job that was just claimed is never taken again.
        // Two claims at the same instant count each other's jobs as not yet in progress, so
        // both may serve one organisation: fairness is exact between claims, not within one.
        let claimable = |t: &str| {
            format!(
                "{t}.status IN {WORKING}
                 AND ({t}.lease_expires_at IS NULL OR {t}.lease_expires_at <= t.now)
                 AND ({t}.visible_after IS NULL OR {t}.visible_after <= t.now)"
            )
        };
        format!(
            "WITH t AS (SELECT {NOW} AS now),
             turns AS (
                 SELECT q.organisation_id,
                        ROW_NUMBER() OVER (ORDER BY {turn}, MIN(q.submitted_at), q.organisation_id) AS turn
                 FROM jobs q, t WHERE {q}
                 GROUP BY q.organisation_id, t.now),
             next AS (
                 SELECT j.job_id FROM jobs j JOIN turns o ON o.organisation_id = j.organisation_id, t
                 WHERE {j}
                 ORDER BY o.turn, j.submitted_at, j.job_id
                 LIMIT 1
                 FOR UPDATE OF j SKIP LOCKED)
             UPDATE jobs SET lease_owner = $1, lease_token = $2,
                 lease_expires_at = t.now + $3 * interval '1 millisecond', visible_after = NULL,
                 attempts = attempts + 1, started_at = COALESCE(started_at, t.now), claimed_at = t.now,
                 updated_at = t.now, heartbeat_at = t.now, progress = NULL, partial_text = {RESTART_TEXT}
             FROM next, t
             WHERE jobs.job_id = next.job_id
             RETURNING jobs.*",
            q = claimable("q"),
            j = claimable("j"),
            turn = organisation_turn("q", "t.now"),
        )
    }

    fn notifier(&self) -> Arc<tokio::sync::Notify> {
        self.notify.clone()
    }

    async fn fetch<T: Send + 'static>(&self, s: Stmt, map: RowMap<T>) -> Result<Vec<T>, JobsError> {
        fetch_all(&self.pool, s, map).await
    }

    async fn write(&self, unit: Unit<'_>) -> Result<Vec<Written>, JobsError> {
        let Unit {
            steps,
            job_id,
            announce,
        } = unit;
        let run = async {
            let mut done = Vec::with_capacity(steps.len());
            if job_id.is_none() && !announce && steps.len() == 1 {
                // A single statement is atomic by itself: no transaction round trips.
                for step in steps {
                    done.push(run_step(&self.pool, step).await?);
                }
                return Ok(done);
            }
            let mut tx = self.pool.begin().await?;
            if let Some(id) = job_id {
                // Serialises every check-then-write on this job id until the commit.
                sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
                    .bind(LOCK_SPACE)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            for step in steps {
                done.push(run_step(&mut *tx, step).await?);
            }
            if announce {
                // Delivered at commit, to every listening process (this one included).
                sqlx::query("SELECT pg_notify($1, '')")
                    .bind(NOTIFY_CHANNEL)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<_, Failure>(done)
        };
        Ok(run.await?)
    }

    async fn run_step(&self, step: Step) -> Result<Written, Failure> {
        run_step(&self.pool, step).await
    }
}

async fn run_step<'c>(
    on: impl sqlx::Executor<'c, Database = Postgres>,
    step: Step,
) -> Result<Written, Failure> {
    Ok(match step {
        Step::Execute(s) => Written::rows(
            query::<Postgres>(&s.sql, s.args)?
                .execute(on)
                .await?
                .rows_affected(),
        ),
        Step::ReturningJob(s) => {
            let row = query::<Postgres>(&s.sql, s.args)?
                .fetch_optional(on)
                .await?;
            Written::returned(
                row.as_ref()
                    .map(|r| job_from_row(&RowOf::<Postgres>(r)))
                    .transpose()?,
            )
        }
    })
}
