//! The job lifecycle Verbatim adds to the contract (issue 14, docs/extensions.md), over real
//! HTTP on both deployments: the fair queue between organisations, cancel, idempotency keys,
//! retention.

use std::time::{Duration, Instant};

use crate::common::fixture;
use crate::server::api::{assert_error, form_of, wav_part, Api, JOBS};
use crate::server::deployment::{Deployment, Kind};
use crate::server::short_clips;
use reqwest::multipart::Form;
use reqwest::{Response, StatusCode};
use serde_json::Value;

crate::server::deployment::on_both_deployments!(
    one_organisation_cannot_starve_another,
    cancel_stops_a_queued_or_working_job,
    idempotency_keys_make_retries_safe,
    files_expire_after_the_retention,
);

const JOB_LIMIT: Duration = Duration::from_secs(300);

/// Submits `wav` as a multipart upload in English; returns the job id.
async fn submit_wav(api: &Api, wav: &[u8]) -> String {
    let fields = [("transcription_config", r#"{"language":"en"}"#)];
    let body = api
        .submit_form(form_of(&fields, wav_part("clip.wav", wav.to_vec())))
        .await;
    body["job_id"].as_str().unwrap().to_string()
}

/// `POST /v1/batch/jobs/{id}/cancel`.
async fn cancel(api: &Api, id: &str) -> Response {
    api.send(api.http.post(api.url(&format!("{JOBS}/{id}/cancel"))))
        .await
}

/// Polls until `check` holds for the job's record; returns the record.
async fn wait_for(api: &Api, id: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + JOB_LIMIT;
    loop {
        let job = api.job(id).await;
        if check(&job) {
            return job;
        }
        assert!(Instant::now() < deadline, "job {id} never {what}: {job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The jobs among `ids` that have started (`started_at` set), with their start times.
async fn started(api: &Api, ids: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for id in ids {
        if let Value::String(at) = &api.job(id).await["started_at"] {
            out.push(at.clone());
        }
    }
    out
}

/// Organisation A queues 20 jobs, then B one; with one worker, no A job starts between B's
/// submission and B's start (B waits for the A job in progress at most).
async fn one_organisation_cannot_starve_another(kind: Kind) {
    let Some(d) = Deployment::start(kind, 1, Vec::new()).await else {
        return;
    };
    let a = d.api(&d.create_key("org-a"));
    let b = d.api(&d.create_key("org-b"));
    let wav = std::fs::read(&short_clips()[0].wav).unwrap();
    let mut a_ids = Vec::new();
    for _ in 0..20 {
        a_ids.push(submit_wav(&a, &wav).await);
    }
    // The worker is busy with A's work when B arrives.
    let deadline = Instant::now() + JOB_LIMIT;
    while started(&a, &a_ids).await.is_empty() {
        assert!(Instant::now() < deadline, "no job of A started");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let b_id = submit_wav(&b, &wav).await;
    // Counted after B's job was accepted: at least every A job started before it.
    let started_then = started(&a, &a_ids).await.len();
    assert!(
        started_then <= a_ids.len() - 2,
        "A's queue ran out before B's job arrived ({started_then} started): the test proves nothing"
    );
    let b_job = b.wait(&b_id, JOB_LIMIT).await;
    assert_eq!(b_job["status"], "DONE", "{b_job}");
    let b_start = b_job["started_at"].as_str().unwrap().to_string();
    // Times are fixed-width RFC 3339 UTC with milliseconds: text order is time order.
    let a_before_b = started(&a, &a_ids)
        .await
        .into_iter()
        .filter(|at| *at < b_start)
        .count();
    assert!(
        a_before_b <= started_then,
        "{a_before_b} jobs of A started before B's (started at {b_start}), only {started_then} had when it was accepted"
    );
}

/// Asserts a job cancelled: FAILED, "Cancelled", finished, and no transcript.
async fn assert_cancelled(api: &Api, job: &Value) {
    assert_eq!(job["status"], "FAILED", "{job}");
    assert_eq!(job["error_message"]["message"], "Cancelled", "{job}");
    assert!(job["completed_at"].is_string(), "{job}");
    let files = api.files(job["job_id"].as_str().unwrap()).await;
    assert_eq!(files["outputs"], serde_json::json!([]), "{files}");
}

/// Cancel ends a QUEUED job and a job being recognised (a 13-minute recording, so it is still
/// working when cancelled); the worker notices at its next heartbeat and stops, so the next job
/// runs; a finished job answers 409 and another organisation's 404.
async fn cancel_stops_a_queued_or_working_job(kind: Kind) {
    let Some(d) = Deployment::start(kind, 1, Vec::new()).await else {
        return;
    };
    let api = d.api(&d.create_key("acme"));
    let rival = d.api(&d.create_key("rival"));
    let long = std::fs::read(&fixture("en_long").wav).unwrap();
    let short = std::fs::read(&short_clips()[0].wav).unwrap();
    let working = submit_wav(&api, &long).await;
    let queued = submit_wav(&api, &short).await;
    wait_for(&api, &working, "DECODING", |j| j["status"] == "DECODING").await;

    assert_error(
        cancel(&rival, &working).await,
        StatusCode::NOT_FOUND,
        "Job not found",
    )
    .await;
    assert_error(
        cancel(&api, "nosuchjob").await,
        StatusCode::NOT_FOUND,
        "Job not found",
    )
    .await;
    for id in [&queued, &working] {
        let r = cancel(&api, id).await;
        assert_eq!(r.status(), StatusCode::OK);
        let job: Value = r.json().await.unwrap();
        assert_eq!(job["job_id"], id.as_str());
        assert_cancelled(&api, &job).await;
    }
    let cancelled = Instant::now();

    // The worker finds its lease gone at its next heartbeat (at most 5 s) and abandons the job.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !d
        .server
        .log()
        .lines()
        .any(|l| l.contains("lease lost") && l.contains(&working))
    {
        assert!(
            Instant::now() < deadline,
            "the worker did not stop the cancelled job; log:\n{}",
            d.server.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "the worker stopped {:?} after the cancel",
        cancelled.elapsed()
    );
    assert_error(
        cancel(&api, &working).await,
        StatusCode::CONFLICT,
        "Job must be QUEUED or in progress to cancel",
    )
    .await;

    // The one worker is free again: the next job runs to the end.
    let next = submit_wav(&api, &short).await;
    let done = api.wait(&next, JOB_LIMIT).await;
    assert_eq!(done["status"], "DONE", "{done}");
    assert_error(
        cancel(&api, &next).await,
        StatusCode::CONFLICT,
        "Job must be QUEUED or in progress to cancel",
    )
    .await;
    // Nothing the stopped worker did lands afterwards.
    for id in [&queued, &working] {
        assert_cancelled(&api, &api.job(id).await).await;
    }
    let r = api.delete(&format!("{JOBS}/{working}")).await;
    assert_eq!(
        r.status(),
        StatusCode::ACCEPTED,
        "a cancelled job is deletable"
    );
}

/// A multipart submission of `wav` with `Idempotency-Key: key` and `metadata`.
async fn post_with_key(api: &Api, key: &str, wav: &[u8], metadata: &str) -> Response {
    let form: Form = form_of(
        &[
            ("transcription_config", r#"{"language":"en"}"#),
            ("metadata", metadata),
        ],
        wav_part("clip.wav", wav.to_vec()),
    );
    api.send(
        api.http
            .post(api.url(JOBS))
            .header("Idempotency-Key", key)
            .multipart(form),
    )
    .await
}

/// The number of the organisation's jobs.
async fn job_count(api: &Api) -> u64 {
    api.get_json(JOBS).await["meta"]["total"].as_u64().unwrap()
}

/// Its status, the header saying it was given again, and its body.
async fn answer_of(r: Response) -> (StatusCode, bool, String) {
    let replayed = r.headers().get("idempotent-replayed").is_some();
    (r.status(), replayed, r.text().await.unwrap())
}

/// A repeated submission with the same Idempotency-Key gets the first answer and makes no
/// second job, whatever the form; another request with the key is 422; a failed request keeps
/// nothing; keys are per organisation; concurrent duplicates make one job.
async fn idempotency_keys_make_retries_safe(kind: Kind) {
    let Some(d) = Deployment::start(kind, 0, Vec::new()).await else {
        return;
    };
    let api = d.api(&d.create_key("acme"));
    let rival = d.api(&d.create_key("rival"));
    let wav = std::fs::read(&short_clips()[0].wav).unwrap();

    let (status, replayed, first) = answer_of(post_with_key(&api, "k-1", &wav, "{}").await).await;
    assert_eq!((status, replayed), (StatusCode::ACCEPTED, false), "{first}");
    let again = answer_of(post_with_key(&api, "k-1", &wav, "{}").await).await;
    assert_eq!(again, (StatusCode::ACCEPTED, true, first.clone()));
    assert_eq!(job_count(&api).await, 1, "no second job");

    // The same key with another request: another metadata, another file, another form.
    let other = r#"{"take": 2}"#;
    for r in [
        post_with_key(&api, "k-1", &wav, other).await,
        post_with_key(&api, "k-1", &wav[..wav.len() - 2], "{}").await,
        api.send(
            api.http
                .post(api.url(JOBS))
                .header("Idempotency-Key", "k-1")
                .json(&serde_json::json!({"mode": "presign", "filename": "a.wav",
                                "transcription_config": {"language": "en"}})),
        )
        .await,
    ] {
        assert_error(
            r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Idempotency-Key was used with a different request",
        )
        .await;
    }
    assert_eq!(job_count(&api).await, 1);

    // Keys are per organisation.
    let (status, _, theirs) = answer_of(post_with_key(&rival, "k-1", &wav, "{}").await).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_ne!(theirs, first);

    // A JSON form: the same object with its keys in another order is the same request.
    let presign = |body: &'static str| {
        api.send(
            api.http
                .post(api.url(JOBS))
                .header("Idempotency-Key", "k-json")
                .header("content-type", "application/json")
                .body(body),
        )
    };
    let (status, _, step1) = answer_of(
        presign(
            r#"{"mode":"presign","filename":"a.wav","transcription_config":{"language":"en"}}"#,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{step1}");
    let again = answer_of(
        presign(r#"{ "transcription_config": {"language": "en"}, "filename": "a.wav", "mode": "presign" }"#)
            .await,
    )
    .await;
    assert_eq!(again, (StatusCode::OK, true, step1));

    // A refused request keeps nothing: the key serves the corrected one.
    let bad = api
        .send(
            api.http
                .post(api.url(JOBS))
                .header("Idempotency-Key", "k-2")
                .multipart(form_of(
                    &[("transcription_config", r#"{"language": 5}"#)],
                    wav_part("clip.wav", wav.clone()),
                )),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let (status, replayed, _) = answer_of(post_with_key(&api, "k-2", &wav, "{}").await).await;
    assert_eq!((status, replayed), (StatusCode::ACCEPTED, false));
    assert_eq!(job_count(&api).await, 2);

    // Concurrent duplicates: one job, one answer for all.
    let answers = futures::future::join_all(
        (0..8).map(|_| async { answer_of(post_with_key(&api, "k-3", &wav, "{}").await).await }),
    )
    .await;
    assert_eq!(job_count(&api).await, 3, "{answers:?}");
    assert_eq!(
        answers.iter().filter(|(_, replayed, _)| !replayed).count(),
        1,
        "{answers:?}"
    );
    for a in &answers {
        assert_eq!(
            (a.0, &a.2),
            (StatusCode::ACCEPTED, &answers[0].2),
            "{answers:?}"
        );
    }

    // A client that hangs up mid-upload leaves the key to its retry.
    let cut = futures::stream::iter([
        Ok::<_, std::io::Error>(wav[..wav.len() / 2].to_vec()),
        Err(std::io::Error::other("the network went away")),
    ]);
    let part = reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(cut))
        .file_name("clip.wav")
        .mime_str("audio/wav")
        .unwrap();
    let form = form_of(&[("transcription_config", r#"{"language":"en"}"#)], part);
    let hung_up = api
        .http
        .post(api.url(JOBS))
        .bearer_auth(&api.key)
        .header("Idempotency-Key", "k-4")
        .multipart(form)
        .send()
        .await;
    assert!(
        hung_up.as_ref().map_or(true, |r| !r.status().is_success()),
        "{hung_up:?}"
    );
    let (status, replayed, _) = answer_of(post_with_key(&api, "k-4", &wav, "{}").await).await;
    assert_eq!((status, replayed), (StatusCode::ACCEPTED, false));
    assert_eq!(job_count(&api).await, 4);

    let r = api
        .send(
            api.http
                .post(api.url(JOBS))
                .header("Idempotency-Key", "k".repeat(256))
                .json(&serde_json::json!({})),
        )
        .await;
    assert_error(
        r,
        StatusCode::BAD_REQUEST,
        "Idempotency-Key must be 1 to 255 printable ASCII characters",
    )
    .await;
}

/// The seconds from `from` to `to`, two RFC 3339 times of a job record.
fn seconds_between(job: &Value, from: &str, to: &str) -> f64 {
    let at = |field: &str| {
        chrono::DateTime::parse_from_rfc3339(job[field].as_str().unwrap())
            .unwrap_or_else(|e| panic!("{field}: {e}: {job}"))
    };
    (at(to) - at(from)).num_milliseconds() as f64 / 1000.0
}

/// With `VERBATIM_RETENTION=60s`, a finished job's input and outputs are purged once it has
/// been over for 60 s (sooner when the job asks for a shorter `retention_seconds`); the record
/// stays with `expired_at`, and `/files` answers 410.
async fn files_expire_after_the_retention(kind: Kind) {
    let retention = 60.0;
    let env = vec![("VERBATIM_RETENTION".to_string(), "60s".to_string())];
    let Some(d) = Deployment::start(kind, 1, env).await else {
        return;
    };
    let api = d.api(&d.create_key("acme"));
    let wav = std::fs::read(&short_clips()[0].wav).unwrap();
    let submit = |extra: Option<(&'static str, &'static str)>| {
        let mut fields = vec![("transcription_config", r#"{"language":"en"}"#)];
        fields.extend(extra);
        api.post_form(form_of(&fields, wav_part("clip.wav", wav.clone())))
    };
    for bad in ["0", "-3", "1.5", "soon"] {
        assert_error(
            api.post_form(form_of(
                &[
                    ("transcription_config", r#"{"language":"en"}"#),
                    ("retention_seconds", bad),
                ],
                wav_part("clip.wav", wav.clone()),
            ))
            .await,
            StatusCode::BAD_REQUEST,
            "retention_seconds must be a whole number of seconds, at least 1",
        )
        .await;
    }
    let kept: Value = submit(None).await.json().await.unwrap();
    let kept = kept["job_id"].as_str().unwrap().to_string();
    let brief: Value = submit(Some(("retention_seconds", "2")))
        .await
        .json()
        .await
        .unwrap();
    let brief = brief["job_id"].as_str().unwrap().to_string();
    for id in [&kept, &brief] {
        let job = api.wait(id, JOB_LIMIT).await;
        assert_eq!(job["status"], "DONE", "{job}");
        assert_eq!(job["expired_at"], Value::Null);
        assert_eq!(api.files(id).await["outputs"].as_array().unwrap().len(), 4);
    }
    let job = api.job(&brief).await;
    assert_eq!(job["job_config"]["retention_seconds"], 2, "{job}");

    for id in [&brief, &kept] {
        let job = wait_for(&api, id, "expired", |j| j["expired_at"].is_string()).await;
        assert_eq!(job["status"], "DONE", "the record stays: {job}");
        let after = seconds_between(&job, "completed_at", "expired_at");
        let own = if id == &brief { 2.0 } else { retention };
        assert!(after >= own, "{id} expired {after} s after it ended: {job}");
        if id == &brief {
            assert!(
                after < retention,
                "the job's shorter retention was not used: {after} s"
            );
        }
        assert_error(
            api.get(&format!("{JOBS}/{id}/files")).await,
            StatusCode::GONE,
            "Job files have expired",
        )
        .await;
        let stored: Vec<String> = d
            .input_files()
            .into_iter()
            .chain(d.output_files())
            .filter(|k| k.contains(id.as_str()))
            .collect();
        assert_eq!(stored, Vec::<String>::new(), "{id}'s files are purged");
    }
    let r = api.delete(&format!("{JOBS}/{kept}")).await;
    assert_eq!(
        r.status(),
        StatusCode::ACCEPTED,
        "an expired job is deletable"
    );
}
