//! `stream=true`: OpenAI's server-sent events, `transcript.text.delta` as the text is
//! recognised, then `transcript.text.done`. The job streams its text: its worker appends the
//! words that settled (every word before them known) to the job's record about once a second,
//! and each look at the job sends what is new. When the job is DONE the rest of the final text
//! follows (the deltas always add up to the done event's text, unless a second attempt of the
//! job told a different text: then the deltas stop where they were and `done` has the text).
//! The response starts at once, with keep-alive comments while the job waits in the queue, so
//! a proxy does not cut a long wait.

use std::convert::Infallible;
use std::time::Instant;

use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use jobs::Job;
use serde_json::{json, Value};
use tokio::sync::mpsc::Sender;
use tokio_stream::wrappers::ReceiverStream;

use super::render::Rendered;
use super::request::Transcription;
use super::wait::{self, Look};
use crate::AppState;

type Events = Sender<Result<Event, Infallible>>;

pub fn respond(state: AppState, org: String, t: Transcription) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Event, Infallible>>(16);
    tokio::spawn(async move {
        let mut told = Told::default();
        let since = Instant::now();
        let finished = loop {
            match wait::look(&state, &org, &t.job_id, since).await {
                Ok(Look::Working(job)) => {
                    told.more(&state, &org, &job, &tx).await;
                    wait::pause(&state, since).await;
                }
                Ok(Look::Done(finished)) => break Ok(finished),
                Err(e) => break Err(e),
            }
        };
        let events = match finished {
            Ok(finished) => told.rest(&Rendered::new(&finished, t.task)),
            // Past the headers an error can only be an event; OpenAI's clients raise it.
            Err(e) => vec![json!({"error": e.body()})],
        };
        for event in events {
            if !send(&tx, &event).await {
                return;
            }
        }
    });
    Sse::new(ReceiverStream::new(rx))
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// Sends one event; `false` once the client has gone (the job itself goes on).
async fn send(tx: &Events, event: &Value) -> bool {
    tx.send(Ok(Event::default().data(event.to_string())))
        .await
        .is_ok()
}

fn delta(text: &str) -> Value {
    json!({"type": "transcript.text.delta", "delta": text, "logprobs": null})
}

/// What the deltas have said so far.
#[derive(Default)]
struct Told {
    text: String,
    /// Its length in characters: where the job's text goes on.
    chars: usize,
    /// The attempt whose text is being followed: another attempt starts its text again.
    attempt: Option<u32>,
    /// The deltas stopped (another attempt, or the client left).
    stopped: bool,
}

impl Told {
    /// Sends what the job's text has gained since the last look.
    async fn more(&mut self, state: &AppState, org: &str, job: &Job, tx: &Events) {
        if self.stopped || job.attempts == 0 {
            return;
        }
        match self.attempt {
            None => self.attempt = Some(job.attempts),
            Some(attempt) if attempt != job.attempts => {
                self.stopped = !self.text.is_empty();
                self.attempt = Some(job.attempts);
                if self.stopped {
                    return;
                }
            }
            Some(_) => {}
        }
        // A failed look is only a late delta: the next look, or the end, says it.
        let Ok(Some(fresh)) = state.jobs.partial_text(org, &job.job_id, self.chars).await else {
            return;
        };
        if fresh.is_empty() {
            return;
        }
        if !send(tx, &delta(&fresh)).await {
            self.stopped = true;
            return;
        }
        self.chars += fresh.chars().count();
        self.text.push_str(&fresh);
    }

    /// The events once the job is DONE: the rest of the text, then `done`.
    fn rest(&self, r: &Rendered) -> Vec<Value> {
        let mut out: Vec<Value> = if self.text.is_empty() {
            // Nothing streamed (a short job done between two looks): one delta per segment.
            r.segments
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    delta(&if i == 0 {
                        s.text.clone()
                    } else {
                        format!(" {}", s.text)
                    })
                })
                .collect()
        } else {
            match r.text.strip_prefix(&self.text) {
                Some(rest) if !rest.is_empty() => vec![delta(rest)],
                _ => Vec::new(),
            }
        };
        out.push(json!({
            "type": "transcript.text.done",
            "text": r.text,
            "logprobs": null,
            "usage": {"type": "duration", "seconds": r.duration},
        }));
        out
    }
}
