//! A floor under the rate at which a client sends a request body: an upload that trickles a
//! byte at a time would otherwise hold a connection, an upload slot and a half-written object
//! for as long as the client likes.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use futures::StreamExt;
use tokio::time::Instant;

use crate::AppState;

/// The window over which the rate is averaged; a body that sends nothing for a whole window
/// fails too.
pub const RATE_WINDOW: Duration = Duration::from_secs(30);

pub async fn floor_body_rate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let floor = state.config.min_body_bytes_per_second;
    if floor == 0 {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    next.run(Request::from_parts(parts, floored(body, floor, RATE_WINDOW))).await
}

struct Progress {
    window_start: Instant,
    bytes: u64,
}

fn floored(body: Body, floor: u64, window: Duration) -> Body {
    let chunks = body.into_data_stream();
    let progress = Progress { window_start: Instant::now(), bytes: 0 };
    let stream = futures::stream::unfold(Some((chunks, progress)), move |state| async move {
        let (mut chunks, mut progress) = state?;
        let slow = || std::io::Error::new(std::io::ErrorKind::TimedOut, "the request body arrived too slowly");
        let next = match tokio::time::timeout(window, chunks.next()).await {
            Err(_) => return Some((Err(slow()), None)),
            Ok(None) => return None,
            Ok(Some(Err(e))) => return Some((Err(std::io::Error::other(e)), None)),
            Ok(Some(Ok(chunk))) => chunk,
        };
        progress.bytes += next.len() as u64;
        let elapsed = progress.window_start.elapsed();
        if elapsed >= window {
            if (progress.bytes as f64) < floor as f64 * elapsed.as_secs_f64() {
                return Some((Err(slow()), None));
            }
            progress = Progress { window_start: Instant::now(), bytes: 0 };
        }
        Some((Ok(next), Some((chunks, progress))))
    });
    // Fused: readers may poll again after the end (the upload code drains past a limit).
    Body::from_stream(stream.fuse())
}
