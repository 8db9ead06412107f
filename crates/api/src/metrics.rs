//! `GET /metrics`: the queue as Prometheus gauges, for autoscalers (KEDA, an HPA on an external
//! metric) and dashboards. No auth: the figures are counts across organisations, no job data.
//!
//! The text exposition format is written by hand: two gauges do not justify a metrics registry
//! crate, and the counts come fresh from the store on every scrape (so every API replica
//! answers the same figures, whichever one the scraper reaches).

use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jobs::JobStatus;

use crate::{ApiError, AppState};

pub(crate) async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let counts = state.jobs.status_counts().await.map_err(ApiError::internal)?;
    let count = |s: JobStatus| counts.iter().filter(|(c, _)| *c == s).map(|(_, n)| *n).sum::<u64>();
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        render(count(JobStatus::Queued), JobStatus::ALL.iter().map(|s| (*s, count(*s)))),
    )
        .into_response())
}

fn render(queue_depth: u64, per_status: impl Iterator<Item = (JobStatus, u64)>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# HELP verbatim_queue_depth Jobs waiting for a worker (status QUEUED).");
    let _ = writeln!(out, "# TYPE verbatim_queue_depth gauge");
    let _ = writeln!(out, "verbatim_queue_depth {queue_depth}");
    let _ = writeln!(out, "# HELP verbatim_jobs Jobs in the store by status.");
    let _ = writeln!(out, "# TYPE verbatim_jobs gauge");
    for (status, n) in per_status {
        let _ = writeln!(out, "verbatim_jobs{{status=\"{}\"}} {n}", status.as_str());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_lines_name_every_status() {
        let text = render(2, JobStatus::ALL.iter().map(|s| (*s, if *s == JobStatus::Queued { 2 } else { 0 })));
        assert!(text.contains("\nverbatim_queue_depth 2\n"), "{text}");
        assert!(text.contains("verbatim_jobs{status=\"QUEUED\"} 2\n"), "{text}");
        assert!(text.contains("verbatim_jobs{status=\"IN_PROGRESS\"} 0\n"), "{text}");
        assert_eq!(text.lines().filter(|l| l.starts_with("verbatim_jobs{")).count(), JobStatus::ALL.len());
    }
}
