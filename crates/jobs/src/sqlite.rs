//! The SQLite backend: one database file in WAL mode behind a small pool.
//!
//! Every write is a single statement (conditional UPDATE/INSERT … RETURNING), so each is atomic
//! on its own: SQLite takes the write lock at the start of a writing statement, and the
//! conditions in its WHERE clause are what make claims, lease checks and state moves race-free.
//! No multi-statement transactions means no SQLITE_BUSY on lock upgrades; `busy_timeout` makes
//! concurrent writers queue instead of failing. The same statements work on PostgreSQL.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::time::{add, ceil_ms, floor_ms, from_text, now, opt_from_text, to_text};
use crate::{
    hash_secret, new_api_key_secret, ApiKey, Job, JobStatus, JobStore, JobsError, Lease, ListQuery,
    NewJob, SortBy, SortOrder,
};

/// SQL list of the states a worker may hold a job in.
const WORKING: &str = "('QUEUED', 'IN_PROGRESS', 'DECODING', 'POST_PROCESSING')";

pub struct SqliteJobStore {
    pool: SqlitePool,
    notify: Arc<tokio::sync::Notify>,
}

/// Opens (creating it if missing) the database at `path` and brings its schema up to date.
pub async fn open_sqlite(path: &Path) -> Result<Arc<dyn JobStore>, JobsError> {
    Ok(Arc::new(SqliteJobStore::open(path).await?))
}

impl SqliteJobStore {
    pub async fn open(path: &Path) -> Result<Self, JobsError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                JobsError::Database(format!("cannot create {}: {e}", parent.display()))
            })?;
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
        Ok(SqliteJobStore {
            pool,
            notify: Arc::new(tokio::sync::Notify::new()),
        })
    }

    fn wake_workers(&self) {
        // Wake every idle worker now, and leave a permit for one that is between a failed
        // claim and its next wait.
        self.notify.notify_waiters();
        self.notify.notify_one();
    }

    /// Why a lease-checked update touched no row: the lease is gone, or the move is not allowed.
    async fn lease_refusal(&self, lease: &Lease, to: JobStatus) -> Result<JobsError, JobsError> {
        let row = sqlx::query("SELECT status, lease_token FROM jobs WHERE job_id = ?")
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

    /// One lease-checked move to `to`, allowed only from the states that may advance to it;
    /// `updated_at` becomes `at` (the caller's one clock read, so a completion time it also
    /// writes is the same instant).
    async fn move_held(
        &self,
        lease: &Lease,
        to: JobStatus,
        at: &str,
        set: &str,
        set_args: Vec<Option<String>>,
    ) -> Result<(), JobsError> {
        let from = status_list(JobStatus::ALL.into_iter().filter(|s| s.can_advance_to(to)));
        let sql = format!(
            "UPDATE jobs SET status = ?, updated_at = ?, {set} WHERE job_id = ? AND lease_token = ? AND status IN {from}"
        );
        let mut q = sqlx::query(&sql).bind(to.as_str()).bind(at);
        for a in set_args {
            q = q.bind(a);
        }
        let q = q.bind(&lease.job.job_id).bind(&lease.token);
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

fn status_list(statuses: impl Iterator<Item = JobStatus>) -> String {
    // Our own constant names, never client text: safe to inline.
    let names: Vec<String> = statuses.map(|s| format!("'{}'", s.as_str())).collect();
    format!("({})", names.join(", "))
}

fn parse_status(s: &str) -> Result<JobStatus, JobsError> {
    JobStatus::from_str(s)
        .map_err(|s| JobsError::Database(format!("unknown status {s:?} in database")))
}

fn parse_json(s: &str, column: &str) -> Result<Value, JobsError> {
    serde_json::from_str(s).map_err(|e| JobsError::Database(format!("bad JSON in {column}: {e}")))
}

fn json_text(v: &Value) -> String {
    v.to_string()
}

fn row_to_job(row: &SqliteRow) -> Result<Job, JobsError> {
    let metadata: Option<String> = row.try_get("metadata")?;
    Ok(Job {
        job_id: row.try_get("job_id")?,
        status: parse_status(&row.try_get::<String, _>("status")?)?,
        api_key_id: row.try_get("api_key_id")?,
        organisation_id: row.try_get("organisation_id")?,
        model_code: row.try_get("model_code")?,
        job_config: parse_json(&row.try_get::<String, _>("job_config")?, "job_config")?,
        metadata: metadata
            .as_deref()
            .map(|m| parse_json(m, "metadata"))
            .transpose()?,
        input_metadata: parse_json(
            &row.try_get::<String, _>("input_metadata")?,
            "input_metadata",
        )?,
        output_metadata: parse_json(
            &row.try_get::<String, _>("output_metadata")?,
            "output_metadata",
        )?,
        error_message: row.try_get("error_message")?,
        input_key: row.try_get("input_key")?,
        input_url: row.try_get("input_url")?,
        submitted_at: from_text(&row.try_get::<String, _>("submitted_at")?)?,
        started_at: opt_from_text(row.try_get("started_at")?)?,
        completed_at: opt_from_text(row.try_get("completed_at")?)?,
        deleted_at: opt_from_text(row.try_get("deleted_at")?)?,
        expired_at: opt_from_text(row.try_get("expired_at")?)?,
        updated_at: from_text(&row.try_get::<String, _>("updated_at")?)?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
    })
}

fn row_to_key(row: &SqliteRow) -> Result<ApiKey, JobsError> {
    Ok(ApiKey {
        id: row.try_get(0)?,
        organisation_id: row.try_get(1)?,
        organisation_name: row.try_get(2)?,
        created_at: from_text(&row.try_get::<String, _>(3)?)?,
        revoked_at: opt_from_text(row.try_get(4)?)?,
    })
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Adds the WHERE clause of a list query (organisation and every filter).
fn push_list_filter(qb: &mut QueryBuilder<'_, Sqlite>, org: &str, q: &ListQuery) {
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
        qb.push(" AND submitted_at > ")
            .push_bind(to_text(floor_ms(t)));
    }
    if let Some(t) = q.submitted_before {
        qb.push(" AND submitted_at < ")
            .push_bind(to_text(ceil_ms(t)));
    }
}

#[async_trait::async_trait]
impl JobStore for SqliteJobStore {
    async fn create(&self, job: NewJob) -> Result<Job, JobsError> {
        let t = to_text(now());
        // One statement: refused (no row) while another organisation holds a live reservation.
        let res = sqlx::query(
            "INSERT INTO jobs (job_id, organisation_id, api_key_id, status, model_code, job_config, metadata,
                               input_metadata, output_metadata, input_key, input_url, submitted_at, updated_at, visible_after)
             SELECT ?, ?, ?, 'QUEUED', ?, ?, ?, ?, '{}', ?, ?, ?, ?, ?
             WHERE NOT EXISTS (SELECT 1 FROM upload_reservations
                               WHERE job_id = ? AND organisation_id <> ? AND expires_at > ?)
             RETURNING *",
        )
        .bind(&job.job_id)
        .bind(&job.organisation_id)
        .bind(&job.api_key_id)
        .bind(&job.model_code)
        .bind(json_text(&job.job_config))
        .bind(job.metadata.as_ref().map(json_text))
        .bind(json_text(&job.input_metadata))
        .bind(&job.input_key)
        .bind(&job.input_url)
        .bind(&t)
        .bind(&t)
        .bind(job.held_for.map(|d| to_text(ceil_ms(add(now(), d)))))
        .bind(&job.job_id)
        .bind(&job.organisation_id)
        .bind(&t)
        .fetch_optional(&self.pool)
        .await;
        let row = match res {
            Ok(Some(row)) => row,
            Ok(None) => return Err(JobsError::AlreadyExists),
            Err(e) if is_unique_violation(&e) => return Err(JobsError::AlreadyExists),
            Err(e) => return Err(e.into()),
        };
        let created = row_to_job(&row)?;
        // The id is a job now; its reservation has done its work.
        sqlx::query("DELETE FROM upload_reservations WHERE job_id = ?")
            .bind(&job.job_id)
            .execute(&self.pool)
            .await?;
        self.wake_workers();
        Ok(created)
    }

    async fn get(&self, org: &str, job_id: &str) -> Result<Option<Job>, JobsError> {
        let row = sqlx::query("SELECT * FROM jobs WHERE organisation_id = ? AND job_id = ?")
            .bind(org)
            .bind(job_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(row_to_job).transpose()
    }

    async fn list(&self, org: &str, q: &ListQuery) -> Result<(Vec<Job>, u64), JobsError> {
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM jobs");
        push_list_filter(&mut count, org, q);
        let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await?;

        let mut qb = QueryBuilder::<Sqlite>::new("SELECT * FROM jobs");
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
        let t = to_text(now());
        let row = sqlx::query(
            "UPDATE jobs SET status = 'DELETED', deleted_at = ?, updated_at = ?
             WHERE organisation_id = ? AND job_id = ? AND status IN ('DONE', 'FAILED') RETURNING *",
        )
        .bind(&t)
        .bind(&t)
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
        sqlx::query(
            "UPDATE jobs SET visible_after = NULL
             WHERE job_id = ? AND organisation_id = ? AND status = 'QUEUED' AND lease_owner IS NULL AND attempts = 0",
        )
        .bind(job_id)
        .bind(org)
        .execute(&self.pool)
        .await?;
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
        let t = to_text(now());
        // Housekeeping: reservations a day past their expiry were abandoned.
        sqlx::query("DELETE FROM upload_reservations WHERE expires_at < ?")
            .bind(to_text(now() - chrono::TimeDelta::days(1)))
            .execute(&self.pool)
            .await?;
        // One statement: no row when a job has the id or another organisation's live
        // reservation holds it (the upsert's WHERE leaves that row alone).
        let res = sqlx::query(
            "INSERT INTO upload_reservations (job_id, organisation_id, object_key, expires_at)
             SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE job_id = ?)
             ON CONFLICT (job_id) DO UPDATE SET
                 organisation_id = excluded.organisation_id, object_key = excluded.object_key, expires_at = excluded.expires_at
             WHERE upload_reservations.organisation_id = excluded.organisation_id OR upload_reservations.expires_at <= ?",
        )
        .bind(job_id)
        .bind(org)
        .bind(key)
        .bind(to_text(floor_ms(expires_at)))
        .bind(job_id)
        .bind(&t)
        .execute(&self.pool)
        .await?;
        if res.rows_affected() == 1 {
            Ok(())
        } else {
            Err(JobsError::AlreadyExists)
        }
    }

    async fn upload_pending(&self, key: &str) -> Result<bool, JobsError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM upload_reservations WHERE object_key = ? AND expires_at > ? LIMIT 1",
        )
        .bind(key)
        .bind(to_text(now()))
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    async fn take_reservation(&self, org: &str, job_id: &str) -> Result<Option<String>, JobsError> {
        let key = sqlx::query_scalar(
            "SELECT object_key FROM upload_reservations WHERE job_id = ? AND organisation_id = ?",
        )
        .bind(job_id)
        .bind(org)
        .fetch_optional(&self.pool)
        .await?;
        Ok(key)
    }

    async fn claim(&self, worker_id: &str, lease: Duration) -> Result<Option<Lease>, JobsError> {
        let now = now();
        let t = to_text(now);
        let expires_at = floor_ms(add(now, lease));
        let token = uuid::Uuid::new_v4().simple().to_string();
        // The conditions are repeated outside the subquery so the UPDATE itself re-checks them.
        let claimable = format!(
            "status IN {WORKING} AND (lease_expires_at IS NULL OR lease_expires_at <= ?1)
             AND (visible_after IS NULL OR visible_after <= ?1)"
        );
        let sql = format!(
            "UPDATE jobs SET lease_owner = ?2, lease_token = ?3, lease_expires_at = ?4, visible_after = NULL,
                 attempts = attempts + 1, started_at = COALESCE(started_at, ?1), updated_at = ?1
             WHERE {claimable} AND job_id = (SELECT job_id FROM jobs WHERE {claimable} ORDER BY submitted_at, job_id LIMIT 1)
             RETURNING *"
        );
        let row = sqlx::query(&sql)
            .bind(&t)
            .bind(worker_id)
            .bind(&token)
            .bind(to_text(expires_at))
            .fetch_optional(&self.pool)
            .await?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some(Lease {
                job: row_to_job(&row)?,
                worker_id: worker_id.to_string(),
                expires_at,
                token,
            })),
        }
    }

    async fn renew(&self, lease: &Lease, lease_for: Duration) -> Result<bool, JobsError> {
        let expires_at = to_text(floor_ms(add(now(), lease_for)));
        let sql = format!("UPDATE jobs SET lease_expires_at = ? WHERE job_id = ? AND lease_token = ? AND status IN {WORKING}");
        let res = sqlx::query(&sql)
            .bind(expires_at)
            .bind(&lease.job.job_id)
            .bind(&lease.token)
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
        let meta = input_metadata.as_ref().map(json_text);
        self.move_held(
            lease,
            status,
            &to_text(now()),
            "input_metadata = COALESCE(?, input_metadata)",
            vec![meta],
        )
        .await
    }

    async fn complete(&self, lease: &Lease, output_metadata: Value) -> Result<(), JobsError> {
        let t = to_text(now());
        self.move_held(
            lease,
            JobStatus::Done,
            &t,
            "output_metadata = ?, completed_at = ?, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL",
            vec![Some(json_text(&output_metadata)), Some(t.clone())],
        )
        .await
    }

    async fn fail(&self, lease: &Lease, message: &str) -> Result<(), JobsError> {
        let t = to_text(now());
        self.move_held(
            lease,
            JobStatus::Failed,
            &t,
            "error_message = ?, completed_at = ?, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL",
            vec![Some(message.to_string()), Some(t.clone())],
        )
        .await
    }

    async fn release(&self, lease: &Lease, retry_after: Duration) -> Result<(), JobsError> {
        let now = now();
        let visible = to_text(ceil_ms(add(now, retry_after)));
        let sql = format!(
            "UPDATE jobs SET status = 'QUEUED', updated_at = ?, visible_after = ?,
                 lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
             WHERE job_id = ? AND lease_token = ? AND status IN {WORKING}"
        );
        let res = sqlx::query(&sql)
            .bind(to_text(now))
            .bind(visible)
            .bind(&lease.job.job_id)
            .bind(&lease.token)
            .execute(&self.pool)
            .await?;
        if res.rows_affected() != 1 {
            return Err(JobsError::LeaseLost);
        }
        if retry_after.is_zero() {
            self.wake_workers();
        }
        Ok(())
    }

    async fn set_input(&self, lease: &Lease, input_key: &str) -> Result<(), JobsError> {
        let sql = format!(
            "UPDATE jobs SET input_key = ?, updated_at = ? WHERE job_id = ? AND lease_token = ? AND status IN {WORKING}"
        );
        let res = sqlx::query(&sql)
            .bind(input_key)
            .bind(to_text(now()))
            .bind(&lease.job.job_id)
            .bind(&lease.token)
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
        let t = to_text(now());
        sqlx::query("INSERT INTO organisations (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING")
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(organisation_name)
            .bind(&t)
            .execute(&self.pool)
            .await?;
        let org_id: String = sqlx::query_scalar("SELECT id FROM organisations WHERE name = ?")
            .bind(organisation_name)
            .fetch_one(&self.pool)
            .await?;
        let secret = new_api_key_secret();
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query("INSERT INTO api_keys (id, organisation_id, secret_hash, created_at) VALUES (?, ?, ?, ?)")
            .bind(&id)
            .bind(&org_id)
            .bind(hash_secret(&secret))
            .bind(&t)
            .execute(&self.pool)
            .await?;
        let key = ApiKey {
            id,
            organisation_id: org_id,
            organisation_name: organisation_name.to_string(),
            created_at: from_text(&t)?,
            revoked_at: None,
        };
        Ok((key, secret))
    }

    async fn authenticate(&self, secret: &str) -> Result<Option<ApiKey>, JobsError> {
        self.fetch_key(
            "k.secret_hash = ? AND k.revoked_at IS NULL",
            &hash_secret(secret),
        )
        .await
    }

    async fn list_keys(&self) -> Result<Vec<ApiKey>, JobsError> {
        // In creation order; rowid breaks ties within a millisecond.
        let rows = sqlx::query(
            "SELECT k.id, k.organisation_id, o.name, k.created_at, k.revoked_at
             FROM api_keys k JOIN organisations o ON o.id = k.organisation_id ORDER BY k.created_at, k.rowid",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_to_key).collect()
    }

    async fn revoke_key(&self, id: &str) -> Result<bool, JobsError> {
        let res =
            sqlx::query("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
                .bind(to_text(now()))
                .bind(id)
                .execute(&self.pool)
                .await?;
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
