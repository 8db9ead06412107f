//! The statements of webhook deliveries and signing secrets, written once over an [`Engine`]
//! like the rest of the store (`sql_store.rs` delegates here). Deliveries themselves are created
//! by the database, in the statement that ends their job (the `jobs_notify` trigger of migration
//! 0006), so only claiming, recording and reading them is here.

use std::time::Duration;

use crate::delivery::{new_webhook_secret, AttemptResult, Delivery, DeliveryState, WebhookSecrets};
use crate::engine::{job_from_row, Arg, Columns, Engine, Step, Stmt, Unit};
use crate::JobsError;

/// Deliveries not yet delivered or given up.
const PENDING: &str = "delivered_at IS NULL AND gave_up_at IS NULL";

fn not_held(now: &str) -> String {
    format!("(lease_expires_at IS NULL OR lease_expires_at <= {now})")
}

pub(crate) async fn claim_delivery<E: Engine>(
    e: &E,
    lease: Duration,
) -> Result<Option<Delivery>, JobsError> {
    let now = E::NOW;
    let token = uuid::Uuid::new_v4().simple().to_string();
    // The conditions are repeated outside the subquery so the UPDATE re-checks them on the row
    // it changes: of two claimers that picked the same delivery, the second changes nothing.
    let mut s = Stmt::new(String::new());
    let token_p = s.param(Arg::Text(Some(token.clone())));
    let until = E::later(&s.param(Arg::millis(Some(lease))));
    s.sql = format!(
        "UPDATE notifications SET lease_token = {token_p}, lease_expires_at = {until}, attempts = attempts + 1
         WHERE {PENDING} AND {held} AND notification_id = (
             SELECT n.notification_id FROM notifications n
             WHERE n.delivered_at IS NULL AND n.gave_up_at IS NULL AND n.next_attempt_at <= {now}
               AND (n.lease_expires_at IS NULL OR n.lease_expires_at <= {now})
             ORDER BY n.next_attempt_at, n.notification_id LIMIT 1)
         RETURNING notification_id, job_id, target, outcome, attempts, created_at",
        held = not_held(now),
    );
    let claimed = e
        .fetch(s, |r| {
            Ok((
                r.text("notification_id")?,
                r.text("job_id")?,
                r.int("target")?,
                r.text("outcome")?,
                r.int("attempts")?,
                r.time("created_at")?,
            ))
        })
        .await?;
    let Some((id, job_id, target, outcome, attempts, created_at)) = claimed.into_iter().next()
    else {
        return Ok(None);
    };
    let job = e
        .fetch(
            Stmt::new("SELECT * FROM jobs WHERE job_id = $1").text(&job_id),
            job_from_row,
        )
        .await?
        .pop()
        .ok_or_else(|| JobsError::Database(format!("delivery {id} of a missing job {job_id}")))?;
    Ok(Some(Delivery {
        id,
        job,
        target: usize::try_from(target).unwrap_or(usize::MAX),
        outcome,
        attempt: u32::try_from(attempts).unwrap_or(u32::MAX),
        created_at,
        token,
    }))
}

pub(crate) async fn finish_delivery<E: Engine>(
    e: &E,
    delivery: &Delivery,
    result: &AttemptResult,
) -> Result<bool, JobsError> {
    let now = E::NOW;
    let mut s = Stmt::new(String::new())
        .text(&delivery.id)
        .text(&delivery.token);
    let (status, error) = match result {
        AttemptResult::Delivered { status } => (Some(*status), None),
        AttemptResult::Retry { status, error, .. } | AttemptResult::GaveUp { status, error } => {
            (*status, Some(error.clone()))
        }
    };
    let status_p = s.param(Arg::Text(status.map(|c| c.to_string())));
    let error_p = s.param(Arg::Text(error));
    let ends = match result {
        AttemptResult::Delivered { .. } => format!("delivered_at = {now}"),
        AttemptResult::GaveUp { .. } => format!("gave_up_at = {now}"),
        AttemptResult::Retry { after, .. } => {
            format!(
                "next_attempt_at = {}",
                E::later(&s.param(Arg::millis(Some(*after))))
            )
        }
    };
    s.sql = format!(
        "UPDATE notifications SET lease_token = NULL, lease_expires_at = NULL,
             last_status = CAST({status_p} AS INTEGER), last_error = {error_p}, {ends}
         WHERE notification_id = $1 AND lease_token = $2"
    );
    let done = e.write(Unit::of(vec![Step::Execute(s)])).await?;
    Ok(done.first().is_some_and(|w| w.affected == 1))
}

pub(crate) async fn deliveries<E: Engine>(
    e: &E,
    job_id: &str,
) -> Result<Vec<DeliveryState>, JobsError> {
    let s = Stmt::new(
        "SELECT target, attempts, CAST(last_status AS TEXT) AS last_status, last_error,
                delivered_at, gave_up_at, next_attempt_at
         FROM notifications WHERE job_id = $1 ORDER BY target",
    )
    .text(job_id);
    e.fetch(s, state_from_row).await
}

fn state_from_row(r: &dyn Columns) -> Result<DeliveryState, JobsError> {
    Ok(DeliveryState {
        target: usize::try_from(r.int("target")?).unwrap_or(usize::MAX),
        attempts: u32::try_from(r.int("attempts")?).unwrap_or(u32::MAX),
        last_status: r.opt_text("last_status")?.and_then(|s| s.parse().ok()),
        last_error: r.opt_text("last_error")?,
        delivered_at: r.opt_time("delivered_at")?,
        gave_up_at: r.opt_time("gave_up_at")?,
        next_attempt_at: r.time("next_attempt_at")?,
    })
}

/// The organisation's secrets, made on first use.
pub(crate) async fn webhook_secrets<E: Engine>(
    e: &E,
    organisation_id: &str,
) -> Result<WebhookSecrets, JobsError> {
    let insert = Stmt::new(format!(
        "INSERT INTO webhook_secrets (organisation_id, secret, created_at) VALUES ($1, $2, {})
         ON CONFLICT DO NOTHING",
        E::NOW
    ))
    .text(organisation_id)
    .text(new_webhook_secret());
    e.write(Unit::of(vec![Step::Execute(insert)])).await?;
    let read = Stmt::new(format!(
        "SELECT secret, created_at,
                CASE WHEN previous_until > {now} THEN previous_secret END AS previous_secret,
                CASE WHEN previous_until > {now} THEN previous_until END AS previous_until
         FROM webhook_secrets WHERE organisation_id = $1",
        now = E::NOW
    ))
    .text(organisation_id);
    e.fetch(read, |r| {
        let previous = match (
            r.opt_text("previous_secret")?,
            r.opt_time("previous_until")?,
        ) {
            (Some(secret), Some(until)) => Some((secret, until)),
            _ => None,
        };
        Ok(WebhookSecrets {
            secret: r.text("secret")?,
            created_at: r.time("created_at")?,
            previous,
        })
    })
    .await?
    .pop()
    .ok_or_else(|| JobsError::Database("webhook secret vanished".into()))
}

/// The secrets of the organisation named `name` (`None`: no such organisation), after replacing
/// the secret when `rotate`; the replaced one keeps signing for `overlap`.
pub(crate) async fn organisation_webhook_secrets<E: Engine>(
    e: &E,
    name: &str,
    rotate: bool,
    overlap: Duration,
) -> Result<Option<WebhookSecrets>, JobsError> {
    let org = e
        .fetch(
            Stmt::new("SELECT id FROM organisations WHERE name = $1").text(name),
            |r| r.text("id"),
        )
        .await?
        .pop();
    let Some(org) = org else {
        return Ok(None);
    };
    webhook_secrets(e, &org).await?;
    if rotate {
        let mut s = Stmt::new(String::new())
            .text(&org)
            .text(new_webhook_secret());
        let until = E::later(&s.param(Arg::millis(Some(overlap))));
        s.sql = format!(
            "UPDATE webhook_secrets SET previous_secret = secret, previous_until = {until},
                 secret = $2, created_at = {now}
             WHERE organisation_id = $1",
            now = E::NOW
        );
        e.write(Unit::of(vec![Step::Execute(s)])).await?;
    }
    webhook_secrets(e, &org).await.map(Some)
}
