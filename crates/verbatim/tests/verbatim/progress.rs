//! Progress while a job works (issue 14, docs/extensions.md "Progress"), over real HTTP on both
//! deployments: `progress` follows the audio really recognised, `heartbeat_at` the worker's
//! signs of life, and each state shows what the documentation says.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::common::fixture;
use crate::server::api::{form_of, wav_part, Api, JOBS};
use crate::server::deployment::{Deployment, Kind};
use crate::server::short_clips;

crate::server::deployment::on_both_deployments!(
    a_queued_job_shows_neither_progress_nor_heartbeat,
    progress_and_heartbeat_follow_a_working_job,
);

const JOB_LIMIT: Duration = Duration::from_secs(300);
/// The longest a working job's `heartbeat_at` may stand still (docs/extensions.md).
const HEARTBEAT_LIMIT: chrono::TimeDelta = chrono::TimeDelta::seconds(10);
/// Growths of `audio_seconds_done` to see before the long job is cancelled.
const GROWTHS: usize = 3;
/// Moves of `heartbeat_at` to see before the long job is cancelled.
const HEARTBEATS: usize = 2;
/// How long to watch the long job work at least: several lease renewals.
const WATCH: Duration = Duration::from_secs(20);

/// Submits `wav` as a multipart upload in English; returns the answer: the job as created.
async fn submit_wav(api: &Api, wav: &[u8]) -> Value {
    let fields = [("transcription_config", r#"{"language":"en"}"#)];
    api.submit_form(form_of(&fields, wav_part("clip.wav", wav.to_vec())))
        .await
}

fn time(job: &Value, field: &str) -> Option<DateTime<Utc>> {
    job[field].as_str().map(|t| t.parse().unwrap())
}

fn is_working(job: &Value) -> bool {
    ["IN_PROGRESS", "DECODING", "POST_PROCESSING"].contains(&job["status"].as_str().unwrap())
}

/// What the polls of the long job saw.
struct Seen {
    polls: usize,
    /// Each value `audio_seconds_done` took, in order.
    done: Vec<f64>,
    /// Each value `heartbeat_at` took while the job worked, in order.
    heartbeats: Vec<DateTime<Utc>>,
    /// The longest a poll found the heartbeat standing still.
    oldest_heartbeat: chrono::TimeDelta,
}

impl Seen {
    /// Checks one poll of the working job against the rules of docs/extensions.md.
    fn check(&mut self, job: &Value, asked_at: DateTime<Utc>) {
        self.polls += 1;
        let heartbeat = time(job, "heartbeat_at").unwrap_or_else(|| panic!("no heartbeat: {job}"));
        let age = asked_at - heartbeat;
        assert!(age <= HEARTBEAT_LIMIT, "heartbeat {age} old: {job}");
        self.oldest_heartbeat = self.oldest_heartbeat.max(age);
        if self.heartbeats.last() != Some(&heartbeat) {
            self.heartbeats.push(heartbeat);
        }
        let progress = &job["progress"];
        if progress.is_null() {
            assert!(self.done.is_empty(), "progress vanished: {job}");
            return;
        }
        assert_eq!(progress["stage"], "transcribing", "{job}");
        let duration = job["input_metadata"]["duration_seconds"].as_f64().unwrap();
        let done = progress["audio_seconds_done"].as_f64().unwrap();
        let fraction = progress["fraction"].as_f64().unwrap();
        assert!(
            (0.0..=duration).contains(&done),
            "{done} of {duration} s: {job}"
        );
        assert!((0.0..=1.0).contains(&fraction), "{job}");
        assert!((fraction - done / duration).abs() < 1e-3, "{job}");
        match progress["eta_seconds"].as_f64() {
            Some(eta) => assert!(eta >= 0.0, "{job}"),
            None => assert!(
                progress["eta_seconds"].is_null() && done == 0.0,
                "no eta though {done} s are done: {job}"
            ),
        }
        match self.done.last() {
            Some(&last) if done < last => {
                panic!("audio_seconds_done went from {last} to {done}: {job}")
            }
            Some(&last) if done == last => {}
            _ => self.done.push(done),
        }
    }

    /// Enough seen to stop: progress that grew, a heartbeat that moved.
    fn enough(&self) -> bool {
        self.done.len() > GROWTHS && self.heartbeats.len() > HEARTBEATS
    }
}

/// No worker: a QUEUED job has both fields, null.
async fn a_queued_job_shows_neither_progress_nor_heartbeat(kind: Kind) {
    let Some(d) = Deployment::start(kind, 0, Vec::new()).await else {
        return;
    };
    let api = d.api(&d.create_key("acme"));
    let submitted = submit_wav(&api, &std::fs::read(&short_clips()[0].wav).unwrap()).await;
    let job = api.job(submitted["job_id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "QUEUED", "{job}");
    for field in ["progress", "heartbeat_at"] {
        assert_eq!(job.get(field), Some(&Value::Null), "{field}: {job}");
    }
}

/// Two workers. While a long recording works, its `audio_seconds_done` only grows, within its duration, with `fraction`
/// and `eta_seconds` to match, and its `heartbeat_at` is never older than 10 s. Cancelled, it
/// keeps how far it got (no eta); a short job run beside it ends DONE with all of its audio.
async fn progress_and_heartbeat_follow_a_working_job(kind: Kind) {
    // Windows decoded one at a time: each reports on its own (batched, a report covers a batch
    // of up to 8 windows), so the growth shows within seconds on a busy machine too.
    let sequential = vec![("VERBATIM_BATCH_SIZE".to_string(), "1".to_string())];
    let Some(d) = Deployment::start(kind, 2, sequential).await else {
        return;
    };
    let api = d.api(&d.create_key("acme"));
    let submitted = submit_wav(&api, &std::fs::read(&fixture("en_long").wav).unwrap()).await;
    let long = submitted["job_id"].as_str().unwrap().to_string();

    let mut seen = Seen {
        polls: 0,
        done: Vec::new(),
        heartbeats: Vec::new(),
        oldest_heartbeat: chrono::TimeDelta::zero(),
    };
    let deadline = Instant::now() + JOB_LIMIT;
    let mut working_since = None;
    while !(seen.enough() && working_since.is_some_and(|t: Instant| t.elapsed() >= WATCH)) {
        let asked_at = Utc::now();
        let job = api.job(&long).await;
        assert!(
            Instant::now() < deadline,
            "not enough progress seen in {JOB_LIMIT:?} ({} polls; audio_seconds_done {:?}; {} heartbeats): {job}",
            seen.polls,
            seen.done,
            seen.heartbeats.len()
        );
        assert!(
            job["status"] != "DONE" && job["status"] != "FAILED",
            "the long job ended: {job}"
        );
        if is_working(&job) {
            working_since.get_or_insert_with(Instant::now);
            seen.check(&job, asked_at);
        } else {
            assert_eq!(job["progress"], Value::Null, "{job}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!(
        "{:?}: {} polls over {:.1} s of work; audio_seconds_done took {} values {:?}; heartbeat_at moved {} times, at most {} ms old",
        d.kind,
        seen.polls,
        working_since.unwrap().elapsed().as_secs_f64(),
        seen.done.len(),
        seen.done,
        seen.heartbeats.len() - 1,
        seen.oldest_heartbeat.num_milliseconds(),
    );

    let short = submit_wav(&api, &std::fs::read(&short_clips()[0].wav).unwrap()).await;
    let r = api
        .send(api.http.post(api.url(&format!("{JOBS}/{long}/cancel"))))
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let cancelled = api.job(&long).await;
    assert_eq!(cancelled["status"], "FAILED", "{cancelled}");
    let progress = &cancelled["progress"];
    assert_eq!(progress["stage"], "transcribing", "{cancelled}");
    assert_eq!(progress["eta_seconds"], Value::Null, "{cancelled}");
    assert!(
        progress["audio_seconds_done"].as_f64().unwrap() >= *seen.done.last().unwrap(),
        "{cancelled}"
    );

    let short = short["job_id"].as_str().unwrap();
    let done = api.wait(short, JOB_LIMIT).await;
    assert_eq!(done["status"], "DONE", "{done}");
    let duration = done["input_metadata"]["duration_seconds"].clone();
    assert_eq!(
        done["progress"],
        json!({"stage": "done", "fraction": 1.0, "audio_seconds_done": duration, "eta_seconds": 0.0}),
        "{done}"
    );
    let heartbeat = time(&done, "heartbeat_at").unwrap();
    assert!(heartbeat <= time(&done, "completed_at").unwrap(), "{done}");
    assert!(heartbeat >= time(&done, "started_at").unwrap(), "{done}");
}
