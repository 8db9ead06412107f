//! The job store's semantics, written once over an [`Engine`]: every statement here runs
//! unchanged on SQLite and PostgreSQL. Each write is a single conditional statement (or, where
//! a check must not interleave with another write, an [`Engine::write`] unit), so claims, lease
//! checks and state moves are race-free on both.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::engine::{
    job_from_row, json_text, key_from_row, parse_status, status_list, wake, Arg, Columns, Engine,
    Step, Stmt, Unit, Written, KEY_COLUMNS,
};
use crate::sql_corrections;
use crate::sql_webhooks;
use crate::time::{ceil_ms, floor_ms};
use crate::{
    hash_secret, new_api_key_secret, ApiKey, AttemptResult, Corrections, Delivery, DeliveryState,
    Idempotency, IdempotentResponse, InputMetadata, Job, JobStatus, JobStore, JobsError, Lease,
    ListQuery, NewJob, OutputMetadata, Progress, SortBy, SortOrder, WebhookSecrets,
};

/// SQL list of the states a worker may hold a job in.
pub(crate) const WORKING: &str = "('QUEUED', 'IN_PROGRESS', 'DECODING', 'POST_PROCESSING')";

/// Whose turn it is to have a job claimed, as ORDER BY terms over the organisation of `q`'s
/// rows (a table alias; a grouped query may use them): the organisation with the fewest jobs in
/// progress (held under a live lease) first; among those, the one whose latest claim is the
/// oldest (never claimed first), which makes equals take turns; then the one whose claimable job
/// waited longest. `now` is the claim's clock. Used by both backends' claiming statements.
pub(crate) fn organisation_turn(q: &str, now: &str) -> String {
    format!(
        "(SELECT COUNT(*) FROM jobs r WHERE r.organisation_id = {q}.organisation_id
              AND r.status IN {WORKING} AND r.lease_expires_at > {now}),
         (SELECT MAX(l.claimed_at) FROM jobs l WHERE l.organisation_id = {q}.organisation_id) NULLS FIRST"
    )
}

/// The lease-holding clause of every worker-side statement (`$1` job id, `$2` lease token).
const HELD: &str = "job_id = $1 AND lease_token = $2";

/// Clears the lease when a job ends or is handed back.
const NO_LEASE: &str = "lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL";
/// An ended job keeps no text of its own: its transcript is in the outputs, which expire.
const NO_PARTIAL_TEXT: &str = "partial_text = NULL";
/// A claim starts the job's streamed text again (another attempt recognises it from the start).
pub(crate) const RESTART_TEXT: &str = "CASE WHEN partial_text IS NULL THEN NULL ELSE '' END";

/// Runs one statement on its own; the number of rows it changed.
async fn execute<E: Engine>(e: &E, s: Stmt) -> Result<u64, JobsError> {
    let done = e.write(Unit::of(vec![Step::Execute(s)])).await?;
    Ok(done.first().map_or(0, |w| w.affected))
}

/// Whether the first step of a write changed exactly one row.
fn changed_one(done: &[Written]) -> bool {
    done.first().is_some_and(|w| w.affected == 1)
}

/// Why a lease-checked update touched no row: the lease is gone, or the move is not allowed.
async fn lease_refusal<E: Engine>(
    e: &E,
    lease: &Lease,
    to: JobStatus,
) -> Result<JobsError, JobsError> {
    let s =
        Stmt::new("SELECT status, lease_token FROM jobs WHERE job_id = $1").text(&lease.job.job_id);
    let rows = e
        .fetch(s, |r| Ok((r.text("status")?, r.opt_text("lease_token")?)))
        .await?;
    let Some((status, token)) = rows.into_iter().next() else {
        return Ok(JobsError::LeaseLost);
    };
    if token.as_deref() != Some(lease.token.as_str()) {
        return Ok(JobsError::LeaseLost);
    }
    Ok(JobsError::InvalidTransition {
        from: parse_status(&status)?,
        to,
    })
}

/// One lease-checked move to `to`, allowed only from the states that may advance to it.
/// `set` may use `$3`, `$4`, … for `args`.
async fn move_held<E: Engine>(
    e: &E,
    lease: &Lease,
    to: JobStatus,
    set: &str,
    args: Vec<Option<String>>,
) -> Result<(), JobsError> {
    let from = status_list(JobStatus::ALL.into_iter().filter(|s| s.can_advance_to(to)));
    let mut s = Stmt::new(format!(
        "UPDATE jobs SET status = '{to}', updated_at = {now}, heartbeat_at = {now}, {set}
         WHERE {HELD} AND status IN {from}",
        now = E::NOW
    ))
    .text(&lease.job.job_id)
    .text(&lease.token);
    for a in args {
        s = s.opt_text(a);
    }
    if execute(e, s).await? == 1 {
        Ok(())
    } else {
        Err(lease_refusal(e, lease, to).await?)
    }
}

/// A lease-checked update of a working job that does not move its status.
async fn update_held<E: Engine>(
    e: &E,
    lease: &Lease,
    set: &str,
    arg: Arg,
) -> Result<u64, JobsError> {
    let mut s = Stmt::new(format!(
        "UPDATE jobs SET {set} WHERE {HELD} AND status IN {WORKING}"
    ))
    .text(&lease.job.job_id)
    .text(&lease.token);
    s.args.push(arg);
    execute(e, s).await
}

/// The WHERE clause of a list query (organisation and every filter).
fn list_filter(s: &mut Stmt, org: &str, q: &ListQuery) -> String {
    let mut sql = format!(
        " WHERE organisation_id = {}",
        s.param(Arg::Text(Some(org.into())))
    );
    if !q.statuses.is_empty() {
        sql += &format!(" AND status IN {}", status_list(q.statuses.iter().copied()));
    }
    if let Some(m) = &q.model_code {
        sql += &format!(" AND model_code = {}", s.param(Arg::Text(Some(m.clone()))));
    }
    // Bounds are exclusive; rounding them onto the stored millisecond grid keeps them exact.
    if let Some(t) = q.submitted_after {
        sql += &format!(" AND submitted_at > {}", s.param(Arg::Time(floor_ms(t))));
    }
    if let Some(t) = q.submitted_before {
        sql += &format!(" AND submitted_at < {}", s.param(Arg::Time(ceil_ms(t))));
    }
    sql
}

fn count_from_row(r: &dyn Columns) -> Result<i64, JobsError> {
    r.int("n")
}

#[async_trait::async_trait]
impl<E: Engine> JobStore for E {
    async fn create(&self, job: NewJob) -> Result<Job, JobsError> {
        let now = E::NOW;
        // NULL (no hold) stays NULL through the interval arithmetic.
        let visible = E::later("$10");
        let insert = Stmt::new(format!(
            "INSERT INTO jobs (job_id, organisation_id, api_key_id, status, model_code, job_config, metadata,
                               input_metadata, output_metadata, input_key, input_url, submitted_at, updated_at, visible_after,
                               retention_ms, partial_text)
             SELECT $1, $2, $3, 'QUEUED', $4, {config}, {meta}, {input}, '{{}}', $8, $9, {now}, {now},
                    {visible}, $11, $12
             WHERE NOT EXISTS (SELECT 1 FROM upload_reservations
                               WHERE job_id = $1 AND organisation_id <> $2 AND expires_at > {now})
             RETURNING *",
            config = E::json("$5"),
            meta = E::json("$6"),
            input = E::json("$7"),
        ))
        .text(&job.job_id)
        .text(&job.organisation_id)
        .text(&job.api_key_id)
        .text(&job.model_code)
        .text(json_text(&job.job_config)?)
        .opt_text(job.metadata.as_ref().map(Value::to_string))
        .text(json_text(&job.input_metadata)?)
        .opt_text(job.input_key.as_deref())
        .opt_text(job.input_url.as_deref())
        .opt_millis(job.held_for)
        .opt_millis(
            job.job_config
                .retention_seconds
                .map(Duration::from_secs),
        )
        .opt_text(job.streams_text.then_some(""));
        // The id is a job now; its reservation has done its work.
        let forget =
            Stmt::new("DELETE FROM upload_reservations WHERE job_id = $1").text(&job.job_id);
        let done = self
            .write(
                Unit::of(vec![Step::ReturningJob(insert), Step::Execute(forget)])
                    .on(&job.job_id)
                    .announcing(true),
            )
            .await?;
        let created = done
            .into_iter()
            .next()
            .and_then(|w| w.job)
            .ok_or(JobsError::AlreadyExists)?;
        wake(&self.notifier());
        Ok(created)
    }

    async fn get(&self, org: &str, job_id: &str) -> Result<Option<Job>, JobsError> {
        let s = Stmt::new("SELECT * FROM jobs WHERE organisation_id = $1 AND job_id = $2")
            .text(org)
            .text(job_id);
        Ok(self.fetch(s, job_from_row).await?.pop())
    }

    async fn list(&self, org: &str, q: &ListQuery) -> Result<(Vec<Job>, u64), JobsError> {
        let mut count = Stmt::new("");
        count.sql = format!(
            "SELECT COUNT(*) AS n FROM jobs{}",
            list_filter(&mut count, org, q)
        );
        let total = self.fetch(count, count_from_row).await?.pop().unwrap_or(0);

        let dir = match q.sort_order {
            SortOrder::Asc => "ASC",
            SortOrder::Desc => "DESC",
        };
        let first = match q.sort_by {
            SortBy::SubmittedAt => String::new(),
            SortBy::Status => format!("status {dir}, "),
            SortBy::ModelCode => format!("model_code {dir}, "),
        };
        let page_size = i64::from(q.page_size.max(1));
        let offset = i64::from(q.page.max(1) - 1) * page_size;
        let mut s = Stmt::new("");
        let filter = list_filter(&mut s, org, q);
        // Our own integers: safe to inline.
        s.sql = format!(
            "SELECT * FROM jobs{filter} ORDER BY {first}submitted_at {dir}, job_id {dir} LIMIT {page_size} OFFSET {offset}"
        );
        let jobs = self.fetch(s, job_from_row).await?;
        Ok((jobs, u64::try_from(total).unwrap_or(0)))
    }

    async fn mark_deleted(&self, org: &str, job_id: &str) -> Result<Job, JobsError> {
        let s = Stmt::new(format!(
            "UPDATE jobs SET status = 'DELETED', deleted_at = {now}, updated_at = {now}
             WHERE organisation_id = $1 AND job_id = $2 AND status IN ('DONE', 'FAILED') RETURNING *",
            now = E::NOW
        ))
        .text(org)
        .text(job_id);
        match self.fetch(s, job_from_row).await?.pop() {
            Some(job) => Ok(job),
            None => match self.get(org, job_id).await? {
                Some(_) => Err(JobsError::NotDeletable),
                None => Err(JobsError::NotFound),
            },
        }
    }

    async fn cancel(&self, org: &str, job_id: &str, message: &str) -> Result<Job, JobsError> {
        let s = Stmt::new(format!(
            "UPDATE jobs SET status = 'FAILED', error_message = $3, completed_at = {now}, updated_at = {now},
                 visible_after = NULL, {NO_LEASE}, {NO_PARTIAL_TEXT}
             WHERE organisation_id = $1 AND job_id = $2 AND status IN {WORKING} RETURNING *",
            now = E::NOW
        ))
        .text(org)
        .text(job_id)
        .text(message);
        match self.fetch(s, job_from_row).await?.pop() {
            Some(job) => Ok(job),
            None => match self.get(org, job_id).await? {
                Some(_) => Err(JobsError::NotCancellable),
                None => Err(JobsError::NotFound),
            },
        }
    }

    async fn expirable(
        &self,
        retention: Option<Duration>,
        limit: u32,
    ) -> Result<Vec<Job>, JobsError> {
        // The shorter of the server's retention ($1, NULL: none) and the job's own.
        let kept_ms = "CASE WHEN $1 IS NULL THEN retention_ms WHEN retention_ms IS NULL THEN $1
                            WHEN retention_ms < $1 THEN retention_ms ELSE $1 END";
        let s = Stmt::new(format!(
            "SELECT * FROM jobs
             WHERE status IN ('DONE', 'FAILED') AND expired_at IS NULL AND completed_at IS NOT NULL
               AND ({kept_ms}) IS NOT NULL AND completed_at <= {cutoff}
             ORDER BY completed_at LIMIT {limit}",
            cutoff = E::later(&format!("(-1 * ({kept_ms}))"))
        ))
        .opt_millis(retention);
        self.fetch(s, job_from_row).await
    }

    async fn mark_expired(&self, job_id: &str) -> Result<bool, JobsError> {
        let s = Stmt::new(format!(
            "UPDATE jobs SET expired_at = {now}, updated_at = {now}
             WHERE job_id = $1 AND expired_at IS NULL AND status IN ('DONE', 'FAILED')",
            now = E::NOW
        ))
        .text(job_id);
        Ok(execute(self, s).await? == 1)
    }

    async fn release_hold(&self, org: &str, job_id: &str) -> Result<(), JobsError> {
        let s = Stmt::new(
            "UPDATE jobs SET visible_after = NULL
             WHERE job_id = $1 AND organisation_id = $2 AND status = 'QUEUED' AND lease_owner IS NULL AND attempts = 0",
        )
        .text(job_id)
        .text(org);
        self.write(Unit::of(vec![Step::Execute(s)]).announcing(true))
            .await?;
        wake(&self.notifier());
        Ok(())
    }

    async fn reserve_upload(
        &self,
        org: &str,
        job_id: &str,
        key: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), JobsError> {
        let now = E::NOW;
        // Housekeeping: reservations a day past their expiry were abandoned.
        let abandoned = Stmt::new("DELETE FROM upload_reservations WHERE expires_at < $1")
            .time(crate::time::now() - chrono::TimeDelta::days(1));
        execute(self, abandoned).await?;
        // No row when a job has the id or another organisation's live reservation holds it
        // (the upsert's WHERE leaves that row alone).
        let upsert = Stmt::new(format!(
            "INSERT INTO upload_reservations (job_id, organisation_id, object_key, expires_at)
             SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE job_id = $1)
             ON CONFLICT (job_id) DO UPDATE SET
                 organisation_id = excluded.organisation_id, object_key = excluded.object_key, expires_at = excluded.expires_at
             WHERE upload_reservations.organisation_id = excluded.organisation_id OR upload_reservations.expires_at <= {now}"
        ))
        .text(job_id)
        .text(org)
        .text(key)
        .time(floor_ms(expires_at));
        let done = self
            .write(Unit::of(vec![Step::Execute(upsert)]).on(job_id))
            .await?;
        if changed_one(&done) {
            Ok(())
        } else {
            Err(JobsError::AlreadyExists)
        }
    }

    async fn upload_pending(&self, key: &str) -> Result<bool, JobsError> {
        let s = Stmt::new(format!(
            "SELECT COUNT(*) AS n FROM upload_reservations WHERE object_key = $1 AND expires_at > {now}",
            now = E::NOW
        ))
        .text(key);
        Ok(self.fetch(s, count_from_row).await?.pop().unwrap_or(0) > 0)
    }

    async fn partial_text(
        &self,
        org: &str,
        job_id: &str,
        from: usize,
    ) -> Result<Option<String>, JobsError> {
        // SUBSTR counts characters from 1 in both SQLite and PostgreSQL.
        let mut s = Stmt::new(String::new());
        let org_p = s.param(Arg::Text(Some(org.to_string())));
        let job_p = s.param(Arg::Text(Some(job_id.to_string())));
        let from_p = s.param(Arg::Int(i64::try_from(from).unwrap_or(i64::MAX) + 1));
        s.sql = format!(
            "SELECT SUBSTR(partial_text, CAST({from_p} AS INTEGER)) AS rest FROM jobs
             WHERE organisation_id = {org_p} AND job_id = {job_p}"
        );
        Ok(self.fetch(s, |r| r.opt_text("rest")).await?.pop().flatten())
    }

    async fn take_reservation(&self, org: &str, job_id: &str) -> Result<Option<String>, JobsError> {
        let s = Stmt::new(
            "SELECT object_key FROM upload_reservations WHERE job_id = $1 AND organisation_id = $2",
        )
        .text(job_id)
        .text(org);
        Ok(self.fetch(s, |r| r.text("object_key")).await?.pop())
    }

    async fn corrections(&self, org: &str, job_id: &str) -> Result<Option<Corrections>, JobsError> {
        sql_corrections::corrections(self, org, job_id).await
    }

    async fn set_corrections(
        &self,
        org: &str,
        job_id: &str,
        revision: u64,
        document: &Value,
    ) -> Result<Option<u64>, JobsError> {
        sql_corrections::set_corrections(self, org, job_id, revision, document).await
    }

    async fn claim_idempotency_key(
        &self,
        org: &str,
        key: &str,
        lifetime: Duration,
        abandoned_after: Duration,
    ) -> Result<Idempotency, JobsError> {
        use crate::time::ago;
        let forget = Stmt::new(
            "DELETE FROM idempotency_keys WHERE organisation_id = $1 AND idempotency_key = $2
             AND ((fingerprint IS NOT NULL AND created_at <= $3) OR (fingerprint IS NULL AND created_at <= $4))",
        )
        .text(org)
        .text(key)
        .time(ago(lifetime))
        .time(ago(abandoned_after));
        execute(self, forget).await?;
        // The row may vanish between a refused insert and the read (its request failed and
        // released it): then try again.
        for _ in 0..3 {
            let insert = Stmt::new(format!(
                "INSERT INTO idempotency_keys (organisation_id, idempotency_key, created_at)
                 VALUES ($1, $2, {}) ON CONFLICT DO NOTHING",
                E::NOW
            ))
            .text(org)
            .text(key);
            if execute(self, insert).await? == 1 {
                return Ok(Idempotency::Claimed);
            }
            let read = Stmt::new(
                "SELECT fingerprint, CAST(status_code AS TEXT) AS status_code, response FROM idempotency_keys
                 WHERE organisation_id = $1 AND idempotency_key = $2",
            )
            .text(org)
            .text(key);
            let row = self
                .fetch(read, |r| {
                    Ok((
                        r.opt_text("fingerprint")?,
                        r.opt_text("status_code")?,
                        r.opt_text("response")?,
                    ))
                })
                .await?
                .pop();
            match row {
                None => continue,
                Some((Some(fingerprint), Some(status), Some(body))) => {
                    let status = status.parse().map_err(|_| {
                        JobsError::Database(format!("bad idempotency status code {status:?}"))
                    })?;
                    return Ok(Idempotency::Answered(IdempotentResponse {
                        fingerprint,
                        status,
                        body,
                    }));
                }
                Some(_) => return Ok(Idempotency::InFlight),
            }
        }
        Ok(Idempotency::InFlight)
    }

    async fn record_idempotent_response(
        &self,
        org: &str,
        key: &str,
        response: &IdempotentResponse,
    ) -> Result<(), JobsError> {
        let s = Stmt::new(
            "UPDATE idempotency_keys SET fingerprint = $3, status_code = CAST($4 AS INTEGER), response = $5
             WHERE organisation_id = $1 AND idempotency_key = $2 AND fingerprint IS NULL",
        )
        .text(org)
        .text(key)
        .text(&response.fingerprint)
        .text(response.status.to_string())
        .text(&response.body);
        execute(self, s).await?;
        Ok(())
    }

    async fn release_idempotency_key(&self, org: &str, key: &str) -> Result<(), JobsError> {
        let s = Stmt::new(
            "DELETE FROM idempotency_keys
             WHERE organisation_id = $1 AND idempotency_key = $2 AND fingerprint IS NULL",
        )
        .text(org)
        .text(key);
        execute(self, s).await?;
        Ok(())
    }

    async fn purge_idempotency_keys(&self, lifetime: Duration) -> Result<u64, JobsError> {
        let s = Stmt::new("DELETE FROM idempotency_keys WHERE created_at <= $1")
            .time(crate::time::ago(lifetime));
        execute(self, s).await
    }

    async fn claim(&self, worker_id: &str, lease: Duration) -> Result<Option<Lease>, JobsError> {
        let token = uuid::Uuid::new_v4().simple().to_string();
        let s = Stmt::new(E::claim_sql())
            .text(worker_id)
            .text(&token)
            .millis(lease);
        let claimed = self
            .fetch(s, |r| Ok((job_from_row(r)?, r.time("lease_expires_at")?)))
            .await?
            .pop();
        Ok(claimed.map(|(job, expires_at)| Lease {
            job,
            worker_id: worker_id.to_string(),
            expires_at,
            token,
        }))
    }

    async fn renew(&self, lease: &Lease, lease_for: Duration) -> Result<bool, JobsError> {
        let set = format!(
            "lease_expires_at = {}, heartbeat_at = {}",
            E::later("$3"),
            E::NOW
        );
        Ok(update_held(self, lease, &set, Arg::millis(Some(lease_for))).await? == 1)
    }

    async fn report_progress(&self, lease: &Lease, progress: &Progress) -> Result<(), JobsError> {
        let set = format!("progress = {}, heartbeat_at = {}", E::json("$3"), E::NOW);
        let arg = Arg::Text(Some(json_text(progress)?));
        if update_held(self, lease, &set, arg).await? == 1 {
            Ok(())
        } else {
            Err(JobsError::LeaseLost)
        }
    }

    async fn append_partial_text(&self, lease: &Lease, text: &str) -> Result<(), JobsError> {
        // `||` with NULL is NULL: a job that does not stream keeps none.
        let set = "partial_text = partial_text || $3";
        if update_held(self, lease, set, Arg::Text(Some(text.to_string()))).await? == 1 {
            Ok(())
        } else {
            Err(JobsError::LeaseLost)
        }
    }

    async fn advance(
        &self,
        lease: &Lease,
        status: JobStatus,
        input_metadata: Option<InputMetadata>,
    ) -> Result<(), JobsError> {
        if !matches!(
            status,
            JobStatus::InProgress | JobStatus::Decoding | JobStatus::PostProcessing
        ) {
            // DONE, FAILED, QUEUED and DELETED have their own methods.
            return Err(lease_refusal(self, lease, status).await?);
        }
        let set = format!(
            "input_metadata = COALESCE({}, input_metadata)",
            E::json("$3")
        );
        let meta = input_metadata.as_ref().map(json_text).transpose()?;
        move_held(self, lease, status, &set, vec![meta]).await
    }

    async fn complete(
        &self,
        lease: &Lease,
        output_metadata: OutputMetadata,
    ) -> Result<(), JobsError> {
        let set = format!(
            "output_metadata = {}, progress = {}, completed_at = {}, {NO_LEASE}, {NO_PARTIAL_TEXT}",
            E::json("$3"),
            E::json("$4"),
            E::NOW
        );
        let progress = Progress::done(output_metadata.duration_seconds.unwrap_or(0.0));
        move_held(
            self,
            lease,
            JobStatus::Done,
            &set,
            vec![
                Some(json_text(&output_metadata)?),
                Some(json_text(&progress)?),
            ],
        )
        .await
    }

    async fn fail(&self, lease: &Lease, message: &str) -> Result<(), JobsError> {
        let set = format!(
            "error_message = $3, completed_at = {}, {NO_LEASE}, {NO_PARTIAL_TEXT}",
            E::NOW
        );
        move_held(
            self,
            lease,
            JobStatus::Failed,
            &set,
            vec![Some(message.to_string())],
        )
        .await
    }

    async fn release(&self, lease: &Lease, retry_after: Duration) -> Result<(), JobsError> {
        let s = Stmt::new(format!(
            "UPDATE jobs SET status = 'QUEUED', updated_at = {now}, visible_after = {visible}, {NO_LEASE},
                 progress = NULL, heartbeat_at = NULL
             WHERE {HELD} AND status IN {WORKING}",
            now = E::NOW,
            visible = E::later("$3"),
        ))
        .text(&lease.job.job_id)
        .text(&lease.token)
        .millis(retry_after);
        let now_claimable = retry_after.is_zero();
        let done = self
            .write(Unit::of(vec![Step::Execute(s)]).announcing(now_claimable))
            .await?;
        if !changed_one(&done) {
            return Err(JobsError::LeaseLost);
        }
        if now_claimable {
            wake(&self.notifier());
        }
        Ok(())
    }

    async fn set_input(&self, lease: &Lease, input_key: &str) -> Result<(), JobsError> {
        let set = format!("input_key = $3, updated_at = {}", E::NOW);
        if update_held(self, lease, &set, Arg::Text(Some(input_key.into()))).await? == 1 {
            Ok(())
        } else {
            Err(JobsError::LeaseLost)
        }
    }

    fn notifier(&self) -> Arc<tokio::sync::Notify> {
        Engine::notifier(self)
    }

    async fn claim_delivery(&self, lease: Duration) -> Result<Option<Delivery>, JobsError> {
        sql_webhooks::claim_delivery(self, lease).await
    }

    async fn finish_delivery(
        &self,
        delivery: &Delivery,
        result: &AttemptResult,
    ) -> Result<bool, JobsError> {
        sql_webhooks::finish_delivery(self, delivery, result).await
    }

    async fn deliveries(&self, job_id: &str) -> Result<Vec<DeliveryState>, JobsError> {
        sql_webhooks::deliveries(self, job_id).await
    }

    async fn webhook_secrets(&self, organisation_id: &str) -> Result<WebhookSecrets, JobsError> {
        sql_webhooks::webhook_secrets(self, organisation_id).await
    }

    async fn organisation_webhook_secrets(
        &self,
        organisation_name: &str,
        rotate: bool,
        overlap: Duration,
    ) -> Result<Option<WebhookSecrets>, JobsError> {
        sql_webhooks::organisation_webhook_secrets(self, organisation_name, rotate, overlap).await
    }

    async fn create_key(&self, organisation_name: &str) -> Result<(ApiKey, String), JobsError> {
        let now = E::NOW;
        let org = Stmt::new(format!(
            "INSERT INTO organisations (id, name, created_at) VALUES ($1, $2, {now}) ON CONFLICT (name) DO NOTHING"
        ))
        .text(uuid::Uuid::new_v4().to_string())
        .text(organisation_name);
        execute(self, org).await?;
        let find =
            Stmt::new("SELECT id FROM organisations WHERE name = $1").text(organisation_name);
        let org_id = self
            .fetch(find, |r| r.text("id"))
            .await?
            .pop()
            .ok_or_else(|| JobsError::Database("organisation vanished".into()))?;
        let secret = new_api_key_secret();
        let insert = Stmt::new(format!(
            "INSERT INTO api_keys (id, organisation_id, secret_hash, created_at) VALUES ($1, $2, $3, {now})
             RETURNING id, organisation_id, $4 AS organisation_name, created_at, revoked_at"
        ))
        .text(uuid::Uuid::new_v4().to_string())
        .text(&org_id)
        .text(hash_secret(&secret))
        .text(organisation_name);
        let key = self
            .fetch(insert, key_from_row)
            .await?
            .pop()
            .ok_or_else(|| JobsError::Database("key not created".into()))?;
        Ok((key, secret))
    }

    async fn authenticate(&self, secret: &str) -> Result<Option<ApiKey>, JobsError> {
        let s = Stmt::new(format!(
            "SELECT {KEY_COLUMNS} FROM api_keys k JOIN organisations o ON o.id = k.organisation_id
             WHERE k.secret_hash = $1 AND k.revoked_at IS NULL"
        ))
        .text(hash_secret(secret));
        Ok(self.fetch(s, key_from_row).await?.pop())
    }

    async fn list_keys(&self) -> Result<Vec<ApiKey>, JobsError> {
        let s = Stmt::new(format!(
            "SELECT {KEY_COLUMNS} FROM api_keys k JOIN organisations o ON o.id = k.organisation_id
             ORDER BY k.created_at, k.{}",
            E::KEY_SEQUENCE
        ));
        self.fetch(s, key_from_row).await
    }

    async fn revoke_key(&self, id: &str) -> Result<bool, JobsError> {
        let s = Stmt::new(format!(
            "UPDATE api_keys SET revoked_at = {} WHERE id = $1 AND revoked_at IS NULL",
            E::NOW
        ))
        .text(id);
        Ok(execute(self, s).await? == 1)
    }

    async fn status_counts(&self) -> Result<Vec<(JobStatus, u64)>, JobsError> {
        let s = Stmt::new("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status ORDER BY status");
        let rows = self
            .fetch(s, |r| Ok((r.text("status")?, r.int("n")?)))
            .await?;
        rows.into_iter()
            .map(|(s, n)| Ok((parse_status(&s)?, u64::try_from(n).unwrap_or(0))))
            .collect()
    }
}
