//! One attempt of a delivery: the signed request, and what its answer means for the next one.

use std::time::{Duration, SystemTime};

use blob::fetch::{check_url, classify, FetchError, FetchPolicy};
use jobs::job_config::{Notification, NotificationMethod};
use jobs::{AttemptResult, Delivery};
use reqwest::StatusCode;

use crate::body::Body;
use crate::schedule::{next_wait, parse_retry_after};
use crate::sign;

/// The longest an attempt may take, from the connection to the answer's status line.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// How one attempt went, before the schedule is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Delivered(u16),
    /// Worth trying again (network, timeout, 408, 429, 5xx), after `retry_after` if the
    /// receiver said.
    Transient {
        status: Option<u16>,
        error: String,
        retry_after: Option<Duration>,
    },
    /// Trying again would not help (another 4xx, a redirect, a refused address).
    Permanent {
        status: Option<u16>,
        error: String,
    },
}

/// Sends `body` for `delivery` to `target`, signed with `secrets` (the current one first).
pub async fn send(
    client: &reqwest::Client,
    policy: &FetchPolicy,
    delivery: &Delivery,
    target: &Notification,
    body: &Body,
    secrets: &[&str],
) -> Answer {
    let url = match check_url(target.url.as_str(), policy).await {
        Ok(url) => url,
        Err(e) => return refused(e),
    };
    let mut url = url;
    url.query_pairs_mut()
        .append_pair("id", &delivery.job.job_id)
        .append_pair("status", &delivery.outcome);
    let timestamp = chrono::Utc::now().timestamp();
    let Some(signature) = sign::header(secrets, &delivery.id, timestamp, &body.bytes) else {
        return Answer::Permanent {
            status: None,
            error: "the organisation's webhook secret is not in whsec_ form".into(),
        };
    };
    let method = match target.method {
        NotificationMethod::Post => reqwest::Method::POST,
        NotificationMethod::Put => reqwest::Method::PUT,
    };
    let mut request = client
        .request(method, url)
        .timeout(TIMEOUT)
        .header("webhook-id", &delivery.id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body.bytes.clone());
    if let Some(content_type) = &body.content_type {
        request = request.header(reqwest::header::CONTENT_TYPE, content_type);
    }
    for (name, value) in target.auth_headers.iter().flat_map(|h| h.pairs()) {
        request = request.header(name, value);
    }
    match request.send().await {
        Ok(response) => judge(
            response.status(),
            response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
        ),
        Err(e) if e.is_timeout() => Answer::Transient {
            status: None,
            error: format!("no answer within {} s", TIMEOUT.as_secs()),
            retry_after: None,
        },
        Err(e) => refused(classify(&e)),
    }
}

/// What a refusal of ours or a network failure means.
fn refused(e: FetchError) -> Answer {
    let error = match &e {
        // "input_url connection failed" and the like: what went wrong, without the field name.
        FetchError::Network(what) => format!(
            "could not reach the webhook URL: {}",
            what.strip_prefix("input_url ").unwrap_or(what)
        ),
        _ => e.message_for("the webhook URL"),
    };
    match e {
        FetchError::Network(_) | FetchError::Unresolvable(_) => Answer::Transient {
            status: None,
            error,
            retry_after: None,
        },
        _ => Answer::Permanent {
            status: None,
            error,
        },
    }
}

/// What an answer's status means (Standard Webhooks' and Speechmatics' usual rules): 2xx is
/// delivered; 408, 429 and 5xx are worth another attempt; a redirect is never followed (it
/// could lead inside our network); anything else is final.
pub fn judge(status: StatusCode, retry_after: Option<&str>) -> Answer {
    let code = status.as_u16();
    if status.is_success() {
        return Answer::Delivered(code);
    }
    let error = if status.is_redirection() {
        format!("the receiver answered HTTP {code}; redirects are not followed")
    } else {
        format!("the receiver answered HTTP {code}")
    };
    if code == 408 || code == 429 || status.is_server_error() {
        Answer::Transient {
            status: Some(code),
            error,
            retry_after: retry_after.and_then(|v| parse_retry_after(v, SystemTime::now())),
        }
    } else {
        Answer::Permanent {
            status: Some(code),
            error,
        }
    }
}

/// The result to record: a transient failure is retried while the schedule allows.
pub fn result(delivery: &Delivery, answer: Answer) -> AttemptResult {
    match answer {
        Answer::Delivered(status) => AttemptResult::Delivered { status },
        Answer::Permanent { status, error } => AttemptResult::GaveUp { status, error },
        Answer::Transient {
            status,
            error,
            retry_after,
        } => match next_wait(
            delivery.attempt,
            retry_after,
            delivery.created_at,
            chrono::Utc::now(),
        ) {
            Some(after) => AttemptResult::Retry {
                after,
                status,
                error,
            },
            None => AttemptResult::GaveUp {
                status,
                error: format!("{error}; no attempt left within 24 h"),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(judge(StatusCode::OK, None), Answer::Delivered(200));
        assert_eq!(judge(StatusCode::NO_CONTENT, None), Answer::Delivered(204));
        for code in [408, 429, 500, 502, 503] {
            let answer = judge(StatusCode::from_u16(code).unwrap(), Some("3"));
            assert!(
                matches!(answer, Answer::Transient { status: Some(c), retry_after: Some(d), .. } if c == code && d == Duration::from_secs(3)),
                "{code}: {answer:?}"
            );
        }
        for code in [301, 302, 307, 400, 401, 403, 404, 410, 422] {
            let answer = judge(StatusCode::from_u16(code).unwrap(), None);
            assert!(
                matches!(answer, Answer::Permanent { status: Some(c), .. } if c == code),
                "{code}: {answer:?}"
            );
        }
    }
}
