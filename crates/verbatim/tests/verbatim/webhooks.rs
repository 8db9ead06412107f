//! Webhooks (issue 14, docs/extensions.md) over real HTTP on both deployments: Speechmatics'
//! `notification_config` delivered to an HTTPS receiver in the test, signed as Standard Webhooks
//! with the organisation's secret, retried by the rules, durable across a `kill -9`.

use std::time::{Duration, Instant};

use crate::server::api::{assert_error, form_of, wav_part, Api};
use crate::server::deployment::{Deployment, Kind};
use crate::server::{short_clips, url_input_env};
use reqwest::StatusCode;
use serde_json::{json, Value};
use testkit::webhook_receiver::{Received, Reply, WebhookReceiver};

crate::server::deployment::on_both_deployments!(
    webhooks_arrive_signed_in_speechmatics_shape,
    webhooks_are_retried_by_the_rules,
    webhooks_survive_a_kill_9,
);

const JOB_LIMIT: Duration = Duration::from_secs(300);

/// Submits a short clip with `notification_config`; returns the job id.
async fn submit_notified(api: &Api, notification_config: &Value) -> String {
    let wav = std::fs::read(&short_clips()[0].wav).unwrap();
    let config = notification_config.to_string();
    let fields = [
        ("transcription_config", r#"{"language":"en"}"#),
        ("notification_config", config.as_str()),
    ];
    let body = api
        .submit_form(form_of(&fields, wav_part("clip.wav", wav)))
        .await;
    body["job_id"].as_str().unwrap().to_string()
}

/// Waits until `path` has received `count` requests; returns them.
async fn received(receiver: &WebhookReceiver, path: &str, count: usize) -> Vec<Received> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = receiver.received(path);
        if got.len() >= count {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "{path} received {} of {count} requests",
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The organisation's signing secret, from `verbatim webhooks secret`.
fn secret(d: &Deployment, organisation: &str, rotate: bool) -> String {
    let mut args = vec!["webhooks", "secret", "--organisation", organisation];
    if rotate {
        args.push("--rotate");
    }
    let out = d.cli(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(secret.starts_with("whsec_"), "{secret}");
    secret
}

/// Whether `secret` signed the request (any of its `webhook-signature` values), recomputed over
/// its id, timestamp and exact body as a receiver does.
fn signed_by(r: &Received, secret: &str) -> bool {
    let id = r.header("webhook-id").expect("webhook-id");
    let timestamp: i64 = r
        .header("webhook-timestamp")
        .expect("webhook-timestamp")
        .parse()
        .unwrap();
    let expected = notify::sign::signature(secret, id, timestamp, &r.body).unwrap();
    r.header("webhook-signature")
        .expect("webhook-signature")
        .split(' ')
        .any(|s| s == expected)
}

/// The parts of a multipart body by name: (file name, content type, content).
fn parts(r: &Received) -> Vec<(String, String, String, String)> {
    let content_type = r.header("content-type").unwrap();
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .unwrap_or_else(|| panic!("not multipart: {content_type}"));
    let body = String::from_utf8(r.body.to_vec()).unwrap();
    let mut out = Vec::new();
    for part in body.split(&format!("--{boundary}")).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let (head, content) = part
            .trim_start_matches("\r\n")
            .split_once("\r\n\r\n")
            .unwrap();
        let field = |key: &str| {
            head.split(&format!("{key}=\""))
                .nth(1)
                .map(|rest| rest.split('"').next().unwrap().to_string())
                .unwrap_or_default()
        };
        let part_type = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Type: "))
            .unwrap_or_default()
            .to_string();
        out.push((
            field("name"),
            field("filename"),
            part_type,
            content.strip_suffix("\r\n").unwrap_or(content).to_string(),
        ));
    }
    out
}

/// One job with three webhooks: a JSON transcript with an auth header (POST), jobinfo + txt +
/// srt as multipart (PUT), and nothing (empty list); each arrives once with `id` and `status`,
/// signed with the organisation's secret; the job's record shows them delivered. After a
/// rotation, a delivery carries two signatures, the new secret's and the old one's.
async fn webhooks_arrive_signed_in_speechmatics_shape(kind: Kind) {
    let dir = tempfile::tempdir().unwrap();
    let receiver = WebhookReceiver::start(dir.path()).await;
    let Some(d) = Deployment::start(kind, 1, url_input_env(&receiver.ca_path)).await else {
        return;
    };
    let api = d.api(&d.create_key("acme"));
    let secret = secret(&d, "acme", false);
    assert_eq!(
        secret,
        self::secret(&d, "acme", false),
        "the secret is stable"
    );

    let config = json!([
        {"url": receiver.url("/json"), "contents": ["transcript.json-v2"],
         "auth_headers": ["Authorization: Bearer hook-token"]},
        {"url": receiver.url("/multi"), "method": "put",
         "contents": ["jobinfo", "transcript.txt", "transcript.srt"]},
        {"url": receiver.url("/empty"), "contents": []},
    ]);
    let id = submit_notified(&api, &config).await;
    let job = api.wait(&id, JOB_LIMIT).await;
    assert_eq!(job["status"], "DONE", "{job}");
    assert_eq!(job["job_config"]["notification_config"][1]["method"], "put");

    let query = format!("id={id}&status=success");
    let json_hook = &received(&receiver, "/json", 1).await[0];
    assert_eq!(json_hook.method, "POST");
    assert_eq!(json_hook.query, query);
    assert_eq!(json_hook.header("authorization"), Some("Bearer hook-token"));
    assert_eq!(json_hook.header("content-type"), Some("application/json"));
    let transcript: Value = serde_json::from_slice(&json_hook.body).unwrap();
    assert!(
        transcript["results"]
            .as_array()
            .is_some_and(|r| !r.is_empty()),
        "{transcript}"
    );
    assert_eq!(
        json_hook.header("webhook-id"),
        Some(format!("msg_{id}_0").as_str())
    );
    let sent_at: i64 = json_hook
        .header("webhook-timestamp")
        .unwrap()
        .parse()
        .unwrap();
    assert!((chrono::Utc::now().timestamp() - sent_at).abs() < 120);
    assert!(signed_by(json_hook, &secret), "{json_hook:?}");

    let multi = &received(&receiver, "/multi", 1).await[0];
    assert_eq!(multi.method, "PUT");
    assert_eq!(multi.query, query);
    assert!(signed_by(multi, &secret));
    let got = parts(multi);
    let names: Vec<&str> = got.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(names, ["jobinfo", "transcript.txt", "transcript.srt"]);
    let jobinfo: Value = serde_json::from_str(&got[0].3).unwrap();
    assert_eq!(
        (jobinfo["job_id"].as_str(), jobinfo["status"].as_str()),
        (Some(id.as_str()), Some("DONE"))
    );
    assert_eq!(got[1].1, format!("{id}.txt"));
    assert!(got[1].2.starts_with("text/plain"), "{got:?}");
    crate::server::assert_transcribes(&got[1].3, &short_clips()[0].reference);
    assert!(got[2].3.contains(" --> "), "{}", got[2].3);
    assert_eq!(got[2].2, "text/plain; charset=utf-8", "{got:?}");

    let empty = &received(&receiver, "/empty", 1).await[0];
    assert!(empty.body.is_empty());
    assert_eq!(empty.header("content-type"), None);
    assert!(signed_by(empty, &secret));

    // The record shows each delivery.
    let deadline = Instant::now() + Duration::from_secs(30);
    let job = loop {
        let job = api.job(&id).await;
        let states: Vec<&str> = job["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["state"].as_str().unwrap())
            .collect();
        if states == ["delivered"; 3] {
            break job;
        }
        assert!(Instant::now() < deadline, "{job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for n in job["notifications"].as_array().unwrap() {
        assert_eq!(
            (n["attempts"].as_u64(), n["last_status"].as_u64()),
            (Some(1), Some(200)),
            "{n}"
        );
        assert!(
            n["delivered_at"].is_string() && n["last_error"].is_null(),
            "{n}"
        );
    }
    assert_eq!(job["notifications"][0]["url"], receiver.url("/json"));
    // Nothing is sent twice.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for path in ["/json", "/multi", "/empty"] {
        assert_eq!(receiver.received(path).len(), 1, "{path}");
    }

    // A rotation: the new secret and, for 24 h, the old one both sign.
    let rotated = self::secret(&d, "acme", true);
    assert_ne!(rotated, secret);
    let id = submit_notified(
        &api,
        &json!([{"url": receiver.url("/rotated"), "contents": ["jobinfo"]}]),
    )
    .await;
    let hook = &received(&receiver, "/rotated", 1).await[0];
    assert_eq!(hook.query, format!("id={id}&status=success"));
    assert_eq!(
        hook.header("webhook-signature").unwrap().split(' ').count(),
        2
    );
    assert!(
        signed_by(hook, &rotated) && signed_by(hook, &secret),
        "{hook:?}"
    );
    assert!(
        !signed_by(hook, &self::secret(&d, "acme", true)),
        "a newer secret did not sign it"
    );
    let jobinfo: Value = serde_json::from_slice(&hook.body).unwrap();
    assert_eq!(jobinfo["job_id"], id.as_str());

    // Another organisation has a secret of its own.
    d.create_key("rival");
    assert_ne!(self::secret(&d, "rival", false), rotated);
}

/// 503 and 429 are retried (at about 5 s, and after Retry-After), with the same webhook-id, and
/// so are an answer that takes longer than 15 s and a refused connection; 410 and a redirect end
/// the delivery after one attempt; a failed job reports `status=error` and
/// leaves out the transcript it does not have; bad URLs are refused at submission.
async fn webhooks_are_retried_by_the_rules(kind: Kind) {
    let dir = tempfile::tempdir().unwrap();
    let receiver = WebhookReceiver::start(dir.path()).await;
    let Some(d) = Deployment::start(kind, 1, url_input_env(&receiver.ca_path)).await else {
        return;
    };
    let api = d.api(&d.create_key("acme"));
    receiver.script("/flaky", vec![Reply::status(503)]);
    receiver.script(
        "/busy",
        vec![Reply::status(429).with_header("retry-after", "1")],
    );
    receiver.script("/gone", vec![Reply::status(410)]);
    receiver.script(
        "/moved",
        vec![Reply::status(302).with_header("location", &receiver.url("/json"))],
    );
    receiver.script(
        "/slow",
        vec![Reply::status(200).after(Duration::from_secs(20))],
    );
    let config = json!([
        {"url": receiver.url("/flaky"), "contents": ["jobinfo"]},
        {"url": receiver.url("/busy"), "contents": ["jobinfo"]},
        {"url": receiver.url("/gone"), "contents": ["jobinfo"]},
    ]);
    let id = submit_notified(&api, &config).await;
    let moved = submit_notified(&api, &json!([{"url": receiver.url("/moved")}])).await;
    // Port 1 on localhost: nothing listens, the connection is refused.
    let unreachable = "https://localhost:1/hook";
    let stalled = submit_notified(
        &api,
        &json!([{"url": receiver.url("/slow"), "contents": []}, {"url": unreachable, "contents": []}]),
    )
    .await;

    let flaky = received(&receiver, "/flaky", 2).await;
    let gap = flaky[1].at - flaky[0].at;
    assert!(
        gap >= Duration::from_millis(4500) && gap < Duration::from_secs(20),
        "{gap:?}"
    );
    assert_eq!(flaky[0].header("webhook-id"), flaky[1].header("webhook-id"));
    let busy = received(&receiver, "/busy", 2).await;
    let gap = busy[1].at - busy[0].at;
    assert!(
        gap >= Duration::from_millis(900) && gap < Duration::from_millis(4500),
        "Retry-After: 1 gave {gap:?}"
    );
    received(&receiver, "/gone", 1).await;
    received(&receiver, "/moved", 1).await;

    let job = api.job(&id).await;
    let n = &job["notifications"];
    assert_eq!(
        (
            n[0]["state"].as_str(),
            n[0]["attempts"].as_u64(),
            n[0]["last_status"].as_u64()
        ),
        (Some("delivered"), Some(2), Some(200)),
        "{job}"
    );
    assert_eq!(
        (n[1]["state"].as_str(), n[1]["attempts"].as_u64()),
        (Some("delivered"), Some(2)),
        "{job}"
    );
    assert_eq!(
        (
            n[2]["state"].as_str(),
            n[2]["attempts"].as_u64(),
            n[2]["last_status"].as_u64()
        ),
        (Some("failed"), Some(1), Some(410)),
        "{job}"
    );
    assert_eq!(
        n[2]["last_error"], "the receiver answered HTTP 410",
        "{job}"
    );
    let moved_job = api.job(&moved).await;
    let m = &moved_job["notifications"][0];
    assert_eq!(
        (m["state"].as_str(), m["last_status"].as_u64()),
        (Some("failed"), Some(302)),
        "{moved_job}"
    );
    assert!(
        receiver.received("/json").is_empty(),
        "the redirect was followed"
    );

    // No answer within 15 s: tried again, and the second (prompt) answer delivers it; the refused
    // connection waits for its next attempt.
    let slow = received(&receiver, "/slow", 2).await;
    let gap = slow[1].at - slow[0].at;
    assert!(
        gap >= Duration::from_secs(19),
        "retried before the timeout: {gap:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let job = api.job(&stalled).await;
        let n = &job["notifications"];
        if n[0]["state"] == "delivered" {
            assert_eq!(n[0]["attempts"], 2, "{job}");
            assert_eq!(n[1]["state"], "pending", "{job}");
            assert!(n[1]["attempts"].as_u64() >= Some(1), "{job}");
            assert!(n[1]["last_status"].is_null(), "{job}");
            assert_eq!(
                n[1]["last_error"], "could not reach the webhook URL: connection failed",
                "{job}"
            );
            assert!(n[1]["next_attempt_at"].is_string(), "{job}");
            break;
        }
        assert!(Instant::now() < deadline, "{job}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A job that fails: status=error, its jobinfo says why, the transcript it lacks is left out.
    let not_audio = b"this is not audio at all".to_vec();
    let config = json!([{"url": receiver.url("/failed"), "contents": ["jobinfo", "transcript"]}])
        .to_string();
    let body = api
        .submit_form(form_of(
            &[
                ("transcription_config", r#"{"language":"en"}"#),
                ("notification_config", &config),
            ],
            wav_part("clip.wav", not_audio),
        ))
        .await;
    let failed_id = body["job_id"].as_str().unwrap();
    let failed = &received(&receiver, "/failed", 1).await[0];
    assert_eq!(failed.query, format!("id={failed_id}&status=error"));
    let got = parts(failed);
    assert_eq!(got.len(), 1, "{got:?}");
    let jobinfo: Value = serde_json::from_str(&got[0].3).unwrap();
    assert_eq!(jobinfo["status"], "FAILED");
    assert!(jobinfo["error_message"]["message"].is_string(), "{jobinfo}");

    // Nothing more arrives for the ended deliveries.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(receiver.received("/gone").len(), 1);
    assert_eq!(receiver.received("/moved").len(), 1);
    assert_eq!(receiver.received("/flaky").len(), 2);

    // Bad configurations are refused at submission, naming the entry.
    let wav = std::fs::read(&short_clips()[0].wav).unwrap();
    for (config, message) in [
        (json!([{"url": "http://localhost/hook"}]), "notification_config[0].url must use https"),
        (
            json!([{"url": receiver.url("/ok")}, {"url": "https://10.1.2.3/hook"}]),
            "notification_config[1].url host 10.1.2.3 resolves to a private or reserved address",
        ),
        (json!(vec![json!({"url": "https://a.example"}); 4]), "notification_config must list 1 to 3 notifications"),
        (
            json!([{"url": receiver.url("/ok"), "contents": ["data"]}]),
            "Invalid notification_config[0].contents[0]: data. Allowed: jobinfo, transcript, transcript.json-v2, transcript.txt, transcript.srt",
        ),
    ] {
        let config = config.to_string();
        let r = api
            .post_form(form_of(
                &[("transcription_config", r#"{"language":"en"}"#), ("notification_config", &config)],
                wav_part("clip.wav", wav.clone()),
            ))
            .await;
        assert_error(r, StatusCode::BAD_REQUEST, message).await;
    }
}

/// A delivery whose first attempt failed is still made after the server is killed with
/// SIGKILL and started again: it lives in the job store, not in the process.
async fn webhooks_survive_a_kill_9(kind: Kind) {
    let dir = tempfile::tempdir().unwrap();
    let receiver = WebhookReceiver::start(dir.path()).await;
    let Some(mut d) = Deployment::start(kind, 1, url_input_env(&receiver.ca_path)).await else {
        return;
    };
    let key = d.create_key("acme");
    let api = d.api(&key);
    receiver.script("/later", vec![Reply::status(500)]);
    let id = submit_notified(
        &api,
        &json!([{"url": receiver.url("/later"), "contents": ["jobinfo"]}]),
    )
    .await;
    let first = received(&receiver, "/later", 1).await;
    // Killed once the failed attempt is recorded (an attempt cut off unrecorded is retried too,
    // but only when its claim runs out, a minute later).
    let deadline = Instant::now() + Duration::from_secs(30);
    while api.job(&id).await["notifications"][0]["last_status"] != 500 {
        assert!(
            Instant::now() < deadline,
            "the failed attempt was not recorded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    d.server.kill9();
    d.server.restart();
    let both = received(&receiver, "/later", 2).await;
    assert_eq!(first[0].header("webhook-id"), both[1].header("webhook-id"));
    let api = d.api(&key);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let job = api.job(&id).await;
        let n = &job["notifications"][0];
        if n["state"] == "delivered" {
            assert_eq!(
                (n["attempts"].as_u64(), n["last_status"].as_u64()),
                (Some(2), Some(200)),
                "{job}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "{job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        receiver.received("/later").len(),
        2,
        "delivered once more, no more"
    );
}
