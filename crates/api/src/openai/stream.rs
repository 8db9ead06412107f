//! `stream=true`: OpenAI's server-sent events, `transcript.text.delta` then
//! `transcript.text.done`. The events go out when the job is DONE, one delta per segment: the
//! worker does not publish partial text while it decodes. The response starts at once, with
//! keep-alive comments while the job runs, so a proxy does not cut a long wait.

use std::convert::Infallible;

use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use tokio_stream::wrappers::ReceiverStream;

use super::render::Rendered;
use super::request::Transcription;
use super::wait;
use crate::AppState;

pub fn respond(state: AppState, org: String, t: Transcription) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Event, Infallible>>(16);
    tokio::spawn(async move {
        let events = match wait::finished(&state, &org, &t.job_id).await {
            Ok((job, doc)) => events(&Rendered::new(&job, &doc, t.task)),
            // Past the headers an error can only be an event; OpenAI's clients raise it.
            Err(e) => vec![json!({"error": e.body()})],
        };
        for event in events {
            // A client gone away ends the sending; the job itself goes on.
            if tx
                .send(Ok(Event::default().data(event.to_string())))
                .await
                .is_err()
            {
                return;
            }
        }
    });
    Sse::new(ReceiverStream::new(rx))
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// The deltas, whose concatenation is the text, then the done event.
fn events(r: &Rendered) -> Vec<Value> {
    let mut out: Vec<Value> = r
        .segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let delta = if i == 0 {
                s.text.clone()
            } else {
                format!(" {}", s.text)
            };
            json!({"type": "transcript.text.delta", "delta": delta, "logprobs": null})
        })
        .collect();
    out.push(json!({
        "type": "transcript.text.done",
        "text": r.text,
        "logprobs": null,
        "usage": {"type": "duration", "seconds": r.duration},
    }));
    out
}
