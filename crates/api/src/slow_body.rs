//! A floor under the rate at which a client sends a request body: an upload that trickles a
//! byte at a time would otherwise hold a connection, an upload slot and a half-written object
//! for as long as the client likes.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use blob::fetch::RateFloor;
use futures::StreamExt;

use crate::AppState;

/// The window over which the rate is averaged; a body that sends nothing for a whole window
/// fails too.
pub const RATE_WINDOW: Duration = Duration::from_secs(30);

pub async fn floor_body_rate(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let floor = state.config.min_body_bytes_per_second;
    if floor == 0 {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    next.run(Request::from_parts(
        parts,
        floored(body, floor, RATE_WINDOW),
    ))
    .await
}

fn floored(body: Body, floor: u64, window: Duration) -> Body {
    let chunks = body.into_data_stream();
    let rate = RateFloor::new(floor, window);
    let stream = futures::stream::unfold(Some((chunks, rate)), move |state| async move {
        let (mut chunks, mut rate) = state?;
        let slow = || {
            std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body arrived too slowly",
            )
        };
        let next = match tokio::time::timeout(window, chunks.next()).await {
            Err(_) => return Some((Err(slow()), None)),
            Ok(None) => return None,
            Ok(Some(Err(e))) => return Some((Err(std::io::Error::other(e)), None)),
            Ok(Some(Ok(chunk))) => chunk,
        };
        if rate.record(next.len() as u64).is_err() {
            return Some((Err(slow()), None));
        }
        Some((Ok(next), Some((chunks, rate))))
    });
    // Fused: readers may poll again after the end (the upload code drains past a limit).
    Body::from_stream(stream.fuse())
}
