//! The contract's `BatchJob` JSON from a stored job, as the api answers it and a webhook's
//! `jobinfo` carries it: internal fields (input location, attempts) stay inside.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::{Job, JobStatus, Stage};

/// A time as the contract writes it: RFC 3339 UTC with milliseconds.
fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn opt_time(t: &Option<DateTime<Utc>>) -> Value {
    t.as_ref().map_or(Value::Null, |t| Value::String(time(t)))
}

/// The `BatchJob` object (contract section 5).
pub fn batch_job(job: &Job) -> Value {
    let mut v = json!({
        "job_id": job.job_id,
        "status": job.status.as_str(),
        "api_key_id": job.api_key_id,
        "organisation_id": job.organisation_id,
        "model_code": job.model_code,
        "job_config": job.job_config,
        "input_metadata": job.input_metadata,
        "output_metadata": job.output_metadata,
        "error_message": job.error_message.as_ref().map(|m| json!({ "message": m })),
        "submitted_at": time(&job.submitted_at),
        "started_at": opt_time(&job.started_at),
        "completed_at": opt_time(&job.completed_at),
        "deleted_at": opt_time(&job.deleted_at),
        "expired_at": opt_time(&job.expired_at),
        "updated_at": time(&job.updated_at),
        "progress": progress(job),
        "heartbeat_at": opt_time(&job.heartbeat_at),
    });
    // The client's own metadata is echoed back only when it sent some.
    if let Some(metadata) = &job.metadata {
        v["metadata"] = metadata.clone();
    }
    v
}

/// The `notifications` of a job's record (docs/extensions.md): one entry per entry of its
/// `notification_config`, in order. `state` is `waiting` until the job ends, then `pending`
/// (being attempted or retried), `delivered` or `failed` (given up).
pub fn notification_states(
    config: &crate::NotificationConfig,
    deliveries: &[crate::DeliveryState],
) -> Value {
    let entries = config.targets().iter().enumerate().map(|(i, target)| {
        let d = deliveries.iter().find(|d| d.target == i);
        let state = match d {
            None => "waiting",
            Some(d) if d.delivered_at.is_some() => "delivered",
            Some(d) if d.gave_up_at.is_some() => "failed",
            Some(_) => "pending",
        };
        json!({
            "url": target.url.as_str(),
            "state": state,
            "attempts": d.map_or(0, |d| d.attempts),
            "last_status": d.and_then(|d| d.last_status),
            "last_error": d.and_then(|d| d.last_error.clone()),
            "delivered_at": opt_time(&d.and_then(|d| d.delivered_at)),
            "next_attempt_at": match d {
                Some(d) if state == "pending" => Value::String(time(&d.next_attempt_at)),
                _ => Value::Null,
            },
        })
    });
    Value::Array(entries.collect())
}

/// `progress` as each state shows it (docs/extensions.md, "Progress and heartbeat"): a job that
/// ended without a result keeps how far it got, with no time left to estimate.
fn progress(job: &Job) -> Value {
    let Some(mut progress) = job.progress.clone() else {
        return Value::Null;
    };
    let ended = matches!(job.status, JobStatus::Failed | JobStatus::Deleted);
    if ended && progress.stage != Stage::Done {
        progress.eta_seconds = None;
    }
    json!(progress)
}
