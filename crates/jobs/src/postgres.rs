//! The PostgreSQL backend: the store of a fleet (any number of api and worker processes on any
//! number of machines, all on one database).
//!
//! Same semantics as the SQLite backend, statement for statement. What differs, and why:
//! - Claims lock the chosen row with `FOR UPDATE SKIP LOCKED` inside the claiming UPDATE, so
//!   concurrent workers never wait on each other and never take the same job.
//! - Every time comes from the database clock (`now()`), truncated to milliseconds: processes on
//!   different machines then agree on lease expiry and on submission order whatever their clocks.
//! - `create` and `reserve_upload` check "no job / no other organisation's reservation" and then
//!   write; under READ COMMITTED two such checks could both pass, so both take a transaction-level
//!   advisory lock on the job id first (SQLite gets the same for free from its single writer).
//! - Idle workers in every process are woken through `LISTEN verbatim_jobs`: `create` and
//!   `release` send `pg_notify`, and one listening connection per store turns each notification
//!   into a wake-up of the in-process [`tokio::sync::Notify`].

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions, PgRow};
use sqlx::{Postgres, QueryBuilder, Row};

use crate::time::{ceil_ms, floor_ms};
use crate::{
    hash_secret, new_api_key_secret, ApiKey, Job, JobStatus, JobStore, JobsError, Lease, ListQuery,
    NewJob, SortBy, SortOrder,
};

/// The channel every store listens on and notifies.
pub const NOTIFY_CHANNEL: &str = "verbatim_jobs";

/// SQL list of the states a worker may hold a job in.
const WORKING: &str = "('QUEUED', 'IN_PROGRESS', 'DECODING', 'POST_PROCESSING')";

/// The database's now at the stored precision.
const NOW: &str = "date_trunc('milliseconds', now())";

/// Namespace of our advisory locks (first key of the two-key form), so they cannot collide
/// with another application's locks on the same database.
const LOCK_SPACE: i32 = 0x7662; // "vb"

/// The longest duration we turn into an interval; longer ones saturate (a lease of "forever").
const MAX_MS: i64 = 100 * 365 * 24 * 3600 * 1000;

pub struct PgJobStore {
    pool: PgPool,
    notify: Arc<tokio::sync::Notify>,
    listener: tokio::task::JoinHandle<()>,
}

/// Connects to the database at `url` (`postgres://user:password@host:port/db?...`) and brings
/// its schema up to date (sqlx migrations, serialised across processes by sqlx's own lock).
pub async fn open_postgres(url: &str) -> Result<Arc<dyn JobStore>, JobsError> {
    Ok(Arc::new(PgJobStore::open(url).await?))
}

impl PgJobStore {
    pub async fn open(url: &str) -> Result<Self, JobsError> {
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
        Ok(PgJobStore {
            pool,
            notify,
            listener,
        })
    }

    /// The pool, for tests and tools that inspect the database directly.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn wake_workers(&self) {
        wake(&self.notify);
    }

    /// Why a lease-checked update touched no row: the lease is gone, or the move is not allowed.
    async fn lease_refusal(&self, lease: &Lease, to: JobStatus) -> Result<JobsError, JobsError> {
        let row = sqlx::query("SELECT status, lease_token FROM jobs WHERE job_id = $1")
            .bind(&lease.job.job_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(JobsError::LeaseLost);
        };
        let token: Option<String> = row.try_get("lease_token")?;
        if token.as_deref() != Some(lease.token.as_str()) {
            return Ok(JobsError::LeaseLost);
        }
        Ok(JobsError::InvalidTransition {
            from: parse_status(&row.try_get::<String, _>("status")?)?,
            to,
        })
    }

    /// One lease-checked move to `to`, allowed only from the states that may advance to it.
    /// `set` may use `$3`, `$4`, ... for `args`; `$1` is the job id and `$2` the lease token.
    async fn move_held(
        &self,
        lease: &Lease,
        to: JobStatus,
        set: &str,
        args: Vec<Option<String>>,
    ) -> Result<(), JobsError> {
        let from = status_list(JobStatus::ALL.into_iter().filter(|s| s.can_advance_to(to)));
        let sql = format!(
            "UPDATE jobs SET status = '{to}', updated_at = {NOW}, {set}
             WHERE job_id = $1 AND lease_token = $2 AND status IN {from}"
        );
        let mut q = sqlx::query(&sql).bind(&lease.job.job_id).bind(&lease.token);
        for a in args {
            q = q.bind(a);
        }
        if q.execute(&self.pool).await?.rows_affected() == 1 {
            Ok(())
        } else {
            Err(self.lease_refusal(lease, to).await?)
        }
    }

    async fn fetch_key(&self, where_sql: &str, arg: &str) -> Result<Option<ApiKey>, JobsError> {
        let sql = format!(
            "SELECT k.id, k.organisation_id, o.name, k.created_at, k.revoked_at
             FROM api_keys k JOIN organisations o ON o.id = k.organisation_id WHERE {where_sql}"
        );
        let row = sqlx::query(&sql)
            .bind(arg)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(row_to_key).transpose()
    }
}

impl Drop for PgJobStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

fn wake(notify: &tokio::sync::Notify) {
    // Wake every idle worker now, and leave a permit for one that is between a failed
    // claim and its next wait.
    notify.notify_waiters();
    notify.notify_one();
}

/// Turns notifications into wake-ups for as long as the store lives. `try_recv` answers
/// `None` when the connection dropped (and reconnects, re-LISTENing, on the next call):
/// notifications sent meanwhile are lost, so that also wakes the workers, who then poll.
async fn listen(mut listener: PgListener, notify: Arc<tokio::sync::Notify>) {
    loop {
        match listener.try_recv().await {
            Ok(Some(_)) => wake(&notify),
            Ok(None) => wake(&notify),
            Err(_) => {
                // The database is unreachable; workers keep polling on their own timeout.
                wake(&notify);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Milliseconds for an interval, rounded up (a delay is never shortened), saturating.
fn millis(d: Duration) -> i64 {
    let ms = d.as_micros().div_ceil(1000);
    i64::try_from(ms).unwrap_or(MAX_MS).min(MAX_MS)
}

fn status_list(statuses: impl Iterator<Item = JobStatus>) -> String {
    // Our own constant names, never client text: safe to inline.
    let names: Vec<String> = statuses.map(|s| format!("'{}'", s.as_str())).collect();
    format!("({})", names.join(", "))
}

fn parse_status(s: &str) -> Result<JobStatus, JobsError> {
    JobStatus::from_str(s)
        .map_err(|s| JobsError::Database(format!("unknown status {s:?} in database")))
}

fn row_to_job(row: &PgRow) -> Result<Job, JobsError> {
    Ok(Job {
        job_id: row.try_get("job_id")?,
        status: parse_status(&row.try_get::<String, _>("status")?)?,
        api_key_id: row.try_get("api_key_id")?,
        organisation_id: row.try_get("organisation_id")?,
        model_code: row.try_get("model_code")?,
        job_config: row.try_get("job_config")?,
        metadata: row.try_get("metadata")?,
        input_metadata: row.try_get("input_metadata")?,
        output_metadata: row.try_get("output_metadata")?,
        error_message: row.try_get("error_message")?,
        input_key: row.try_get("input_key")?,
        input_url: row.try_get("input_url")?,
        submitted_at: row.try_get("submitted_at")?,
        started_at: row.try_get("started_at")?,
        completed_at: row.try_get("completed_at")?,
        deleted_at: row.try_get("deleted_at")?,
        expired_at: row.try_get("expired_at")?,
        updated_at: row.try_get("updated_at")?,
        attempts: u32::try_from(row.try_get::<i32, _>("attempts")?).unwrap_or(0),
    })
}

fn row_to_key(row: &PgRow) -> Result<ApiKey, JobsError> {
    Ok(ApiKey {
        id: row.try_get(0)?,
        organisation_id: row.try_get(1)?,
        organisation_name: row.try_get(2)?,
        created_at: row.try_get(3)?,
        revoked_at: row.try_get(4)?,
    })
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Adds the WHERE clause of a list query (organisation and every filter).
fn push_list_filter(qb: &mut QueryBuilder<'_, Postgres>, org: &str, q: &ListQuery) {
    qb.push(" WHERE organisation_id = ")
        .push_bind(org.to_string());
    if !q.statuses.is_empty() {
        qb.push(" AND status IN ");
        qb.push(status_list(q.statuses.iter().copied()));
    }
    if let Some(m) = &q.model_code {
        qb.push(" AND model_code = ").push_bind(m.clone());
    }
    // Bounds are exclusive; rounding them onto the stored millisecond grid keeps them exact.
    if let Some(t) = q.submitted_after {
        qb.push(" AND submitted_at > ").push_bind(floor_ms(t));
    }
    if let Some(t) = q.submitted_before {
        qb.push(" AND submitted_at < ").push_bind(ceil_ms(t));
    }
}

/// Serialises every check-then-write on one job id for the rest of the transaction.
async fn lock_job_id(tx: &mut sqlx::PgConnection, job_id: &str) -> Result<(), JobsError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(LOCK_SPACE)
        .bind(job_id)
        .execute(tx)
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl JobStore for PgJobStore {
    async fn create(&self, job: NewJob) -> Result<Job, JobsError> {
        let mut tx = self.pool.begin().await?;
        lock_job_id(&mut tx, &job.job_id).await?;
        let sql = format!(
            "INSERT INTO jobs (job_id, organisation_id, api_key_id, status, model_code, job_config, metadata,
                               input_metadata, output_metadata, input_key, input_url, submitted_at, updated_at, visible_after)
             SELECT $1, $2, $3, 'QUEUED', $4, $5::json, $6::json, $7::json, '{{}}', $8, $9, {NOW}, {NOW},
                    {NOW} + $10 * interval '1 millisecond'
             WHERE NOT EXISTS (SELECT 1 FROM upload_reservations
                               WHERE job_id = $1 AND organisation_id <> $2 AND expires_at > {NOW})
             RETURNING *"
        );
        let res = sqlx::query(&sql)
            .bind(&job.job_id)
            .bind(&job.organisation_id)
            .bind(&job.api_key_id)
            .bind(&job.model_code)
            .bind(job.job_config.to_string())
            .bind(job.metadata.as_ref().map(Value::to_string))
            .bind(job.input_metadata.to_string())
            .bind(&job.input_key)
            .bind(&job.input_url)
            .bind(job.held_for.map(|d| millis(d) as f64))
            .fetch_optional(&mut *tx)
            .await;
        let row = match res {
            Ok(Some(row)) => row,
            Ok(None) => return Err(JobsError::AlreadyExists),
            Err(e) if is_unique_violation(&e) => return Err(JobsError::AlreadyExists),
            Err(e) => return Err(e.into()),
        };
        let created = row_to_job(&row)?;
        // The id is a job now; its reservation has done its work.
        sqlx::query("DELETE FROM upload_reservations WHERE job_id = $1")
            .bind(&job.job_id)
            .execute(&mut *tx)
            .await?;
        // Delivered at commit, to every listening process (this one included).
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(NOTIFY_CHANNEL)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.wake_workers();
        Ok(created)
    }

    async fn get(&self, org: &str, job_id: &str) -> Result<Option<Job>, JobsError> {
        let row = sqlx::query("SELECT * FROM jobs WHERE organisation_id = $1 AND job_id = $2")
            .bind(org)
            .bind(job_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(row_to_job).transpose()
    }

    async fn list(&self, org: &str, q: &ListQuery) -> Result<(Vec<Job>, u64), JobsError> {
        let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM jobs");
        push_list_filter(&mut count, org, q);
        let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await?;

        let mut qb = QueryBuilder::<Postgres>::new("SELECT * FROM jobs");
        push_list_filter(&mut qb, org, q);
        let dir = match q.sort_order {
            SortOrder::Asc => "ASC",
            SortOrder::Desc => "DESC",
        };
        let first = match q.sort_by {
            SortBy::SubmittedAt => None,
            SortBy::Status => Some("status"),
            SortBy::ModelCode => Some("model_code"),
        };
        qb.push(" ORDER BY ");
        if let Some(col) = first {
            qb.push(format!("{col} {dir}, "));
        }
        qb.push(format!("submitted_at {dir}, job_id {dir}"));
        let page_size = i64::from(q.page_size.max(1));
        let offset = i64::from(q.page.max(1) - 1) * page_size;
        qb.push(" LIMIT ")
            .push_bind(page_size)
            .push(" OFFSET ")
            .push_bind(offset);
        let rows = qb.build().fetch_all(&self.pool).await?;
        let jobs = rows.iter().map(row_to_job).collect::<Result<Vec<_>, _>>()?;
        Ok((jobs, u64::try_from(total).unwrap_or(0)))
    }

    async fn mark_deleted(&self, org: &str, job_id: &str) -> Result<Job, JobsError> {
        let sql = format!(
            "UPDATE jobs SET status = 'DELETED', deleted_at = {NOW}, updated_at = {NOW}
             WHERE organisation_id = $1 AND job_id = $2 AND status IN ('DONE', 'FAILED') RETURNING *"
        );
        let row = sqlx::query(&sql)
            .bind(org)
            .bind(job_id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => row_to_job(&row),
            None => match self.get(org, job_id).await? {
                Some(_) => Err(JobsError::NotDeletable),
                None => Err(JobsError::NotFound),
            },
        }
    }

    async fn release_hold(&self, org: &str, job_id: &str) -> Result<(), JobsError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE jobs SET visible_after = NULL
             WHERE job_id = $1 AND organisation_id = $2 AND status = 'QUEUED' AND lease_owner IS NULL AND attempts = 0",
        )
        .bind(job_id)
        .bind(org)
        .execute(&mut *tx)
        .await?;
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(NOTIFY_CHANNEL)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.wake_workers();
        Ok(())
    }

    async fn reserve_upload(
        &self,
        org: &str,
        job_id: &str,
        key: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), JobsError> {
        // Housekeeping: reservations a day past their expiry were abandoned.
        sqlx::query("DELETE FROM upload_reservations WHERE expires_at < now() - interval '1 day'")
            .execute(&self.pool)
            .await?;
        let mut tx = self.pool.begin().await?;
        lock_job_id(&mut tx, job_id).await?;
        // No row when a job has the id or another organisation's live reservation holds it
        // (the upsert's WHERE leaves that row alone).
        let sql = format!(
            "INSERT INTO upload_reservations (job_id, organisation_id, object_key, expires_at)
             SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE job_id = $1)
             ON CONFLICT (job_id) DO UPDATE SET
                 organisation_id = excluded.organisation_id, object_key = excluded.object_key, expires_at = excluded.expires_at
             WHERE upload_reservations.organisation_id = excluded.organisation_id OR upload_reservations.expires_at <= {NOW}"
        );
        let res = sqlx::query(&sql)
            .bind(job_id)
            .bind(org)
            .bind(key)
            .bind(floor_ms(expires_at))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if res.rows_affected() == 1 {
            Ok(())
        } else {
            Err(JobsError::AlreadyExists)
        }
    }

    async fn upload_pending(&self, key: &str) -> Result<bool, JobsError> {
        let sql = format!("SELECT 1 FROM upload_reservations WHERE object_key = $1 AND expires_at > {NOW} LIMIT 1");
        let found: Option<i32> = sqlx::query_scalar(&sql)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    async fn take_reservation(&self, org: &str, job_id: &str) -> Result<Option<String>, JobsError> {
        let key = sqlx::query_scalar(
            "SELECT object_key FROM upload_reservations WHERE job_id = $1 AND organisation_id = $2",
        )
        .bind(job_id)
        .bind(org)
        .fetch_optional(&self.pool)
        .await?;
        Ok(key)
    }

    async fn claim(&self, worker_id: &str, lease: Duration) -> Result<Option<Lease>, JobsError> {
        let token = uuid::Uuid::new_v4().simple().to_string();
        // The row is chosen and locked in one statement; a row another claimer has locked is
        // skipped, and READ COMMITTED re-checks the WHERE clause on the row's latest version
        // before locking it, so a job that was just claimed is never taken again.
        let sql = format!(
            "WITH t AS (SELECT {NOW} AS now),
             next AS (
                 SELECT j.job_id FROM jobs j, t
                 WHERE j.status IN {WORKING}
                   AND (j.lease_expires_at IS NULL OR j.lease_expires_at <= t.now)
                   AND (j.visible_after IS NULL OR j.visible_after <= t.now)
                 ORDER BY j.submitted_at, j.job_id
                 LIMIT 1
                 FOR UPDATE OF j SKIP LOCKED)
             UPDATE jobs SET lease_owner = $1, lease_token = $2,
                 lease_expires_at = t.now + $3 * interval '1 millisecond', visible_after = NULL,
                 attempts = attempts + 1, started_at = COALESCE(started_at, t.now), updated_at = t.now
             FROM next, t
             WHERE jobs.job_id = next.job_id
             RETURNING jobs.*"
        );
        let row = sqlx::query(&sql)
            .bind(worker_id)
            .bind(&token)
            .bind(millis(lease) as f64)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            None => Ok(None),
            Some(row) => {
                let expires_at: DateTime<Utc> = row.try_get("lease_expires_at")?;
                Ok(Some(Lease {
                    job: row_to_job(&row)?,
                    worker_id: worker_id.to_string(),
                    expires_at,
                    token,
                }))
            }
        }
    }

    async fn renew(&self, lease: &Lease, lease_for: Duration) -> Result<bool, JobsError> {
        let sql = format!(
            "UPDATE jobs SET lease_expires_at = {NOW} + $3 * interval '1 millisecond'
             WHERE job_id = $1 AND lease_token = $2 AND status IN {WORKING}"
        );
        let res = sqlx::query(&sql)
            .bind(&lease.job.job_id)
            .bind(&lease.token)
            .bind(millis(lease_for) as f64)
            .execute(&self.pool)
            .await?;
        Ok(res.rows_affected() == 1)
    }

    async fn advance(
        &self,
        lease: &Lease,
        status: JobStatus,
        input_metadata: Option<Value>,
    ) -> Result<(), JobsError> {
        if !matches!(
            status,
            JobStatus::InProgress | JobStatus::Decoding | JobStatus::PostProcessing
        ) {
            // DONE, FAILED, QUEUED and DELETED have their own methods.
            return Err(self.lease_refusal(lease, status).await?);
        }
        let meta = input_metadata.as_ref().map(Value::to_string);
        self.move_held(
            lease,
            status,
            "input_metadata = COALESCE($3::json, input_metadata)",
            vec![meta],
        )
        .await
    }

    async fn complete(&self, lease: &Lease, output_metadata: Value) -> Result<(), JobsError> {
        self.move_held(
            lease,
            JobStatus::Done,
            &format!(
                "output_metadata = $3::json, completed_at = {NOW}, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL"
            ),
            vec![Some(output_metadata.to_string())],
        )
        .await
    }

    async fn fail(&self, lease: &Lease, message: &str) -> Result<(), JobsError> {
        self.move_held(
            lease,
            JobStatus::Failed,
            &format!("error_message = $3, completed_at = {NOW}, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL"),
            vec![Some(message.to_string())],
        )
        .await
    }

    async fn release(&self, lease: &Lease, retry_after: Duration) -> Result<(), JobsError> {
        let mut tx = self.pool.begin().await?;
        let sql = format!(
            "UPDATE jobs SET status = 'QUEUED', updated_at = {NOW}, visible_after = {NOW} + $3 * interval '1 millisecond',
                 lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
             WHERE job_id = $1 AND lease_token = $2 AND status IN {WORKING}"
        );
        let res = sqlx::query(&sql)
            .bind(&lease.job.job_id)
            .bind(&lease.token)
            .bind(millis(retry_after) as f64)
            .execute(&mut *tx)
            .await?;
        if res.rows_affected() != 1 {
            return Err(JobsError::LeaseLost);
        }
        if retry_after.is_zero() {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(NOTIFY_CHANNEL)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        if retry_after.is_zero() {
            self.wake_workers();
        }
        Ok(())
    }

    async fn set_input(&self, lease: &Lease, input_key: &str) -> Result<(), JobsError> {
        let sql = format!(
            "UPDATE jobs SET input_key = $3, updated_at = {NOW} WHERE job_id = $1 AND lease_token = $2 AND status IN {WORKING}"
        );
        let res = sqlx::query(&sql)
            .bind(&lease.job.job_id)
            .bind(&lease.token)
            .bind(input_key)
            .execute(&self.pool)
            .await?;
        if res.rows_affected() == 1 {
            Ok(())
        } else {
            Err(JobsError::LeaseLost)
        }
    }

    fn notifier(&self) -> Arc<tokio::sync::Notify> {
        self.notify.clone()
    }

    async fn create_key(&self, organisation_name: &str) -> Result<(ApiKey, String), JobsError> {
        let sql = format!("INSERT INTO organisations (id, name, created_at) VALUES ($1, $2, {NOW}) ON CONFLICT (name) DO NOTHING");
        sqlx::query(&sql)
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(organisation_name)
            .execute(&self.pool)
            .await?;
        let org_id: String = sqlx::query_scalar("SELECT id FROM organisations WHERE name = $1")
            .bind(organisation_name)
            .fetch_one(&self.pool)
            .await?;
        let secret = new_api_key_secret();
        let id = uuid::Uuid::new_v4().to_string();
        let sql = format!(
            "INSERT INTO api_keys (id, organisation_id, secret_hash, created_at) VALUES ($1, $2, $3, {NOW}) RETURNING created_at"
        );
        let created_at: DateTime<Utc> = sqlx::query_scalar(&sql)
            .bind(&id)
            .bind(&org_id)
            .bind(hash_secret(&secret))
            .fetch_one(&self.pool)
            .await?;
        let key = ApiKey {
            id,
            organisation_id: org_id,
            organisation_name: organisation_name.to_string(),
            created_at,
            revoked_at: None,
        };
        Ok((key, secret))
    }

    async fn authenticate(&self, secret: &str) -> Result<Option<ApiKey>, JobsError> {
        self.fetch_key(
            "k.secret_hash = $1 AND k.revoked_at IS NULL",
            &hash_secret(secret),
        )
        .await
    }

    async fn list_keys(&self) -> Result<Vec<ApiKey>, JobsError> {
        let rows = sqlx::query(
            "SELECT k.id, k.organisation_id, o.name, k.created_at, k.revoked_at
             FROM api_keys k JOIN organisations o ON o.id = k.organisation_id ORDER BY k.created_at, k.seq",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_to_key).collect()
    }

    async fn revoke_key(&self, id: &str) -> Result<bool, JobsError> {
        let sql =
            format!("UPDATE api_keys SET revoked_at = {NOW} WHERE id = $1 AND revoked_at IS NULL");
        let res = sqlx::query(&sql).bind(id).execute(&self.pool).await?;
        Ok(res.rows_affected() == 1)
    }

    async fn status_counts(&self) -> Result<Vec<(JobStatus, u64)>, JobsError> {
        let rows = sqlx::query("SELECT status, COUNT(*) FROM jobs GROUP BY status ORDER BY status")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse_status(&r.try_get::<String, _>(0)?)?,
                    u64::try_from(r.try_get::<i64, _>(1)?).unwrap_or(0),
                ))
            })
            .collect()
    }
}
