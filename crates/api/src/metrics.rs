//! `GET /metrics`: the queue as Prometheus gauges, for autoscalers (KEDA, an HPA on an external
//! metric) and dashboards. No auth: the figures are counts across organisations, no job data.
//!
//! The text exposition format is written by hand: two gauges do not justify a metrics registry
//! crate. The counts come from the store (so every API replica answers the same figures,
//! whichever one the scraper reaches), at most once per [`FRESH_FOR`]: a flood of scrapes costs
//! the database one query per period. `VERBATIM_METRICS_TOKEN` puts the route behind a token.

use std::fmt::Write;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jobs::JobStatus;

use crate::{ApiError, AppState};

/// How long one reading of the counts is served.
pub(crate) const FRESH_FOR: Duration = Duration::from_secs(5);

/// The last exposition and when it was read; the lock also makes concurrent scrapes wait for
/// one refresh instead of each querying the store.
#[derive(Default)]
pub(crate) struct Cache(tokio::sync::Mutex<Option<(Instant, String)>>);

pub(crate) async fn metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = &state.config.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !same(given.trim().as_bytes(), token.as_bytes()) {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "A valid metrics token is required",
            ));
        }
    }
    let mut cached = state.metrics.0.lock().await;
    let text = match cached.as_ref() {
        Some((at, text)) if at.elapsed() < FRESH_FOR => text.clone(),
        _ => {
            let counts = state
                .jobs
                .status_counts()
                .await
                .map_err(ApiError::internal)?;
            let count = |s: JobStatus| {
                counts
                    .iter()
                    .filter(|(c, _)| *c == s)
                    .map(|(_, n)| *n)
                    .sum::<u64>()
            };
            let text = render(
                count(JobStatus::Queued),
                JobStatus::ALL.iter().map(|s| (*s, count(*s))),
            );
            *cached = Some((Instant::now(), text.clone()));
            text
        }
    };
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// Equality that takes as long whatever the first differing byte (the token is a secret).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn render(queue_depth: u64, per_status: impl Iterator<Item = (JobStatus, u64)>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP verbatim_queue_depth Jobs waiting for a worker (status QUEUED)."
    );
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
        let text = render(
            2,
            JobStatus::ALL
                .iter()
                .map(|s| (*s, if *s == JobStatus::Queued { 2 } else { 0 })),
        );
        assert!(text.contains("\nverbatim_queue_depth 2\n"), "{text}");
        assert!(
            text.contains("verbatim_jobs{status=\"QUEUED\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("verbatim_jobs{status=\"IN_PROGRESS\"} 0\n"),
            "{text}"
        );
        assert_eq!(
            text.lines()
                .filter(|l| l.starts_with("verbatim_jobs{"))
                .count(),
            JobStatus::ALL.len()
        );
    }
}
