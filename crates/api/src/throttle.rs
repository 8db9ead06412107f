//! Per-API-key request rates and the number of uploads in flight: one client cannot flood the
//! job store or hold every connection with uploads.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use jobs::ApiKey;
use tokio::sync::Semaphore;

use crate::error::error_response;
use crate::AppState;

pub struct Throttle {
    /// POSTs per API key; `None` when the limit is off.
    posts: Option<DefaultKeyedRateLimiter<String>>,
    uploads: Arc<Semaphore>,
}

impl Throttle {
    pub fn new(posts_per_minute: u32, max_concurrent_uploads: usize) -> Throttle {
        let posts =
            NonZeroU32::new(posts_per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        Throttle {
            posts,
            uploads: Arc::new(Semaphore::new(max_concurrent_uploads.max(1))),
        }
    }
}

fn refusal(status: StatusCode, message: &str, retry_after: Duration) -> Response {
    let mut response = error_response(status, message).into_response();
    let seconds = retry_after.as_secs_f64().ceil().max(1.0) as u64;
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// After authentication: a POST over the key's rate is a 429 with `Retry-After`.
pub async fn limit_post_rate(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::POST {
        if let (Some(limiter), Some(key)) =
            (&state.throttle.posts, request.extensions().get::<ApiKey>())
        {
            if let Err(not_until) = limiter.check_key(&key.id) {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                return refusal(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many requests: slow down and retry later",
                    wait,
                );
            }
        }
    }
    next.run(request).await
}

/// Whether a request carries an upload: a multipart submission or a presigned PUT.
fn is_upload(request: &Request) -> bool {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/"));
    request.method() == Method::PUT || (request.method() == Method::POST && multipart)
}

/// Uploads past the cap get a 503 with `Retry-After` rather than a queue of held connections.
pub async fn cap_uploads(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !is_upload(&request) {
        return next.run(request).await;
    }
    let Ok(_permit) = state.throttle.uploads.clone().try_acquire_owned() else {
        return refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "Too many uploads in progress: retry later",
            Duration::from_secs(5),
        );
    };
    next.run(request).await
}
