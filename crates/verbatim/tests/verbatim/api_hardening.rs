//! Hostile input against a running server, over real HTTP, on both deployments: a file cannot
//! make the decoder read another organisation's audio, a URL cannot hold a worker, downloads
//! cannot become web pages, configs and names have limits, and no message leaks what lies
//! behind the API (docs/security.md).

use std::path::Path;
use std::time::Duration;

use crate::server::api::{
    assert_failed_saying, download, error_of, form_of, inputs_and_outputs, trickling_part, Api,
    JOBS,
};
use crate::server::deployment::{Deployment, Kind};
use crate::server::{assert_transcribes, client, short_clips, url_input_env, words};
use reqwest::multipart::{Form, Part};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use testkit::https::HttpsServer;

const JOB_LIMIT: Duration = Duration::from_secs(300);

async fn submit_file(api: &Api, job_id: &str, name: &str, bytes: Vec<u8>) {
    let file = Part::bytes(bytes).file_name(name.to_string());
    let fields = [
        ("job_id", job_id),
        ("transcription_config", r#"{"language":"en"}"#),
    ];
    api.submit_form(form_of(&fields, file)).await;
}

/// Every output of a job, downloaded through its signed URL.
async fn outputs(api: &Api, job_id: &str) -> Vec<String> {
    let files = api.files(job_id).await;
    let mut out = Vec::new();
    for o in files["outputs"].as_array().into_iter().flatten() {
        out.push(download(&api.http, o["download_url"].as_str().unwrap()).await);
    }
    out
}

/// Every signed download of a job (input and outputs) comes as an attachment of its format's
/// own type; the API's own downloads also say `nosniff` (S3 cannot be told to).
async fn assert_downloads_are_attachments(api: &Api, d: &Deployment, job_id: &str) {
    let files = api.files(job_id).await;
    let all = inputs_and_outputs(&files);
    assert!(!all.is_empty(), "{files}");
    for file in all {
        let object_key = file["key"].as_str().unwrap();
        let ext = object_key.rsplit('.').next().unwrap();
        let expected = match ext {
            "wav" => "audio/wav",
            "mp3" => "audio/mpeg",
            "json" => "application/json",
            "txt" => "text/plain; charset=utf-8",
            "srt" => "application/x-subrip",
            "vtt" => "text/vtt; charset=utf-8",
            other => panic!("unexpected extension {other}"),
        };
        let url = file["download_url"].as_str().unwrap();
        let r = api.http.get(url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{file}");
        let header = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(header("content-type"), expected, "{file}");
        let name = object_key.rsplit('/').next().unwrap();
        assert_eq!(
            header("content-disposition"),
            format!("attachment; filename=\"{name}\""),
            "{file}"
        );
        if !d.is_fleet() {
            assert_eq!(header("x-content-type-options"), "nosniff", "{file}");
        }
    }
}

/// An HLS playlist whose one segment is `target`, with four ADTS frame headers in a comment line:
/// the shape that once got another organisation's recording decoded into the attacker's job.
fn playlist_pointing_at(target: &Path) -> Vec<u8> {
    let mut bytes = format!(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:30\n#EXTINF:30.0,\nfile:{}\n#EXT-X-ENDLIST\n# ",
        target.display()
    )
    .into_bytes();
    for _ in 0..4 {
        let mut frame = vec![b'A'; 64];
        frame[..7].copy_from_slice(&[0xFF, 0xF9, 0x60, 0x40, 0x08, 0x1F, 0xFC]);
        bytes.extend(frame);
    }
    bytes.push(b'\n');
    bytes
}

fn mp3_of(wav: &Path, dir: &Path) -> Vec<u8> {
    let out = dir.join("victim.mp3");
    let status = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-i"])
        .arg(wav)
        .args(["-c:a", "libmp3lame", "-b:a", "64k"])
        .arg(&out)
        .status()
        .expect("ffmpeg");
    assert!(status.success());
    std::fs::read(out).unwrap()
}

async fn a_playlist_cannot_read_another_organisations_audio(kind: Kind) {
    let clip = short_clips().remove(0);
    let dir = tempfile::tempdir().unwrap();
    let Some(d) = Deployment::start(kind, 1, Vec::new()).await else {
        return;
    };
    let victim = d.api(&d.create_key("victim"));
    let attacker = d.api(&d.create_key("attacker"));

    submit_file(
        &victim,
        "victim1",
        "talk.mp3",
        mp3_of(&clip.wav, dir.path()),
    )
    .await;
    let job = victim.wait("victim1", JOB_LIMIT).await;
    assert_eq!(job["status"], "DONE", "{job}");
    assert_downloads_are_attachments(&victim, &d, "victim1").await;
    // An "audio" upload that is really a web page is still served as audio, as an attachment.
    let page = b"<html><body><script>alert(document.cookie)</script></body></html>".repeat(20);
    let html = Part::bytes(page)
        .file_name("page.wav")
        .mime_str("text/html");
    let fields = [("job_id", "page1"), ("transcription_config", "{}")];
    attacker.submit_form(form_of(&fields, html.unwrap())).await;
    let job = attacker.wait("page1", JOB_LIMIT).await;
    assert_eq!(job["status"], "FAILED", "{job}");
    assert_downloads_are_attachments(&attacker, &d, "page1").await;

    let victim_path = d.input_path("inputs/victim1.mp3");
    assert!(
        victim_path.exists(),
        "the victim's input should be at {}",
        victim_path.display()
    );

    submit_file(
        &attacker,
        "attack1",
        "song.aac",
        playlist_pointing_at(&victim_path),
    )
    .await;
    submit_file(
        &attacker,
        "attack2",
        "song.aac",
        playlist_pointing_at(&dir.path().join("gone.mp3")),
    )
    .await;
    let mut messages = Vec::new();
    let victim_words: Vec<String> = words(&clip.reference)
        .into_iter()
        .filter(|w| w.len() >= 5)
        .collect();
    for id in ["attack1", "attack2"] {
        let job = attacker.wait(id, JOB_LIMIT).await;
        assert_eq!(job["status"], "FAILED", "{job}");
        let message = job["error_message"]["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            !message.contains('/') && !message.contains("victim"),
            "{message}"
        );
        for text in outputs(&attacker, id).await.iter().chain([&message]) {
            let found: Vec<&String> = victim_words
                .iter()
                .filter(|w| words(text).contains(w))
                .collect();
            assert!(
                found.is_empty(),
                "the victim's words {found:?} reached the attacker: {text}"
            );
        }
        messages.push(message);
    }
    // A present and a missing target fail alike: no oracle for what exists on the server.
    assert_eq!(messages[0], messages[1]);
}

async fn submit_url(api: &Api, job_id: &str, url: &str) {
    api.submit_json(
        &json!({"input_url": url, "job_id": job_id, "transcription_config": {"language": "en"}}),
    )
    .await;
}

/// One worker; a URL that drips a byte every half second would hold it for ever. The job fails
/// at its time limit, and the next organisation's job runs. Proxy variables in the server's
/// environment (a dead proxy here) are ignored, and every redirect hop is still checked.
async fn a_stuck_job_fails_at_its_deadline_and_others_run(kind: Kind) {
    let clips = short_clips();
    let dir = tempfile::tempdir().unwrap();
    let https = HttpsServer::start(&clips[1].wav, dir.path()).await;
    let mut env = url_input_env(&https.ca_path);
    env.extend([
        ("VERBATIM_JOB_TIMEOUT".into(), "20".into()),
        ("HTTPS_PROXY".into(), "http://127.0.0.1:9".into()),
        ("ALL_PROXY".into(), "http://127.0.0.1:9".into()),
        // The fleet's S3 client may use the environment's proxy; the S3 server is on 127.0.0.1.
        ("NO_PROXY".into(), "127.0.0.1".into()),
    ]);
    let Some(d) = Deployment::start(kind, 1, env).await else {
        return;
    };
    let slow = d.api(&d.create_key("slow"));
    let other = d.api(&d.create_key("other"));

    let started = std::time::Instant::now();
    submit_url(&slow, "drip1", &https.url("/slow")).await;
    submit_file(
        &other,
        "other1",
        "talk.wav",
        std::fs::read(&clips[0].wav).unwrap(),
    )
    .await;
    submit_url(&other, "viaproxy1", &https.url("/redirect")).await;
    submit_url(&other, "private1", &https.url("/redirect-ip")).await;

    let job = slow.wait("drip1", JOB_LIMIT).await;
    let failed_after = started.elapsed();
    assert_eq!(job["status"], "FAILED", "{job}");
    assert_eq!(
        job["error_message"]["message"], "Job exceeded its time limit",
        "{job}"
    );
    assert!(
        failed_after < Duration::from_secs(90),
        "the stuck job took {failed_after:?} to fail"
    );

    let job = other.wait("other1", JOB_LIMIT).await;
    assert_eq!(job["status"], "DONE", "{job}");
    let job = other.wait("viaproxy1", JOB_LIMIT).await;
    assert_eq!(job["status"], "DONE", "HTTPS_PROXY must not be used: {job}");
    let text = outputs(&other, "viaproxy1").await.join(" ");
    assert_transcribes(&text, &clips[1].reference);
    let job = other.wait("private1", JOB_LIMIT).await;
    assert_failed_saying(&job, "private or reserved");
}

/// With the default settings a dripping URL fails on its rate, long before the total timeout.
#[tokio::test]
async fn a_slow_drip_download_fails_on_its_rate() {
    let clips = short_clips();
    let dir = tempfile::tempdir().unwrap();
    let https = HttpsServer::start(&clips[0].wav, dir.path()).await;
    let env = url_input_env(&https.ca_path);
    let Some(d) = Deployment::start(Kind::Embedded, 1, env).await else {
        return;
    };
    let key = d.api(&d.create_key("acme"));
    let started = std::time::Instant::now();
    submit_url(&key, "drip2", &https.url("/slow")).await;
    let job = key.wait("drip2", JOB_LIMIT).await;
    assert_failed_saying(&job, "too slowly");
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "took {:?}",
        started.elapsed()
    );
}

/// Asserts that `r` has the status `ok` when `refusal` is `None`, else that it is a 400 whose
/// message starts with `refusal`.
async fn assert_answer(r: Response, ok: StatusCode, refusal: Option<&str>) {
    let status = r.status();
    let answer: Value = r.json().await.unwrap();
    match refusal {
        None => assert_eq!(status, ok, "{answer}"),
        Some(message) => {
            assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
            assert!(
                answer["error"].as_str().unwrap().starts_with(message),
                "{answer} (wanted {message})"
            );
        }
    }
}

/// At each limit a request is accepted; one past it is a 400 naming the limit.
async fn configs_and_names_have_limits(kind: Kind) {
    let Some(d) = Deployment::start(kind, 0, Vec::new()).await else {
        return;
    };
    let key = d.api(&d.create_key("acme"));
    let vocab = |entries: usize, sounds: usize| {
        let entry = json!({"content": "gnocchi", "sounds_like": vec!["nyohki"; sounds]});
        json!({"language": "en", "additional_vocab": vec![entry; entries]})
    };
    let big = |bytes: usize| json!({"details": {"note": "x".repeat(bytes)}});
    let presign = |filename: String, transcription_config: Value, extra: Value| {
        let mut body = json!({"mode": "presign", "filename": filename, "transcription_config": transcription_config});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let name = |len: usize| format!("{}.wav", "a".repeat(len - 4));
    let cases: Vec<(Value, Option<&str>)> = vec![
        (
            presign(name(255), vocab(1000, 10), json!({"tracking": big(16_000)})),
            None,
        ),
        (
            presign(name(20), vocab(1001, 1), json!({})),
            Some("transcription_config.additional_vocab has more than 1000 entries"),
        ),
        (
            presign(name(20), vocab(1, 11), json!({})),
            Some("transcription_config.additional_vocab[0].sounds_like has more than 10 entries"),
        ),
        (
            presign(name(20), vocab(0, 0), json!({"tracking": big(17_000)})),
            Some("tracking is larger than 16 KB"),
        ),
        (
            presign(name(256), vocab(0, 0), json!({})),
            Some("filename must be a plain file name"),
        ),
        (
            presign("my talk.wav".into(), vocab(0, 0), json!({})),
            Some("filename must be a plain file name"),
        ),
        (
            presign("talk\u{e9}.wav".into(), vocab(0, 0), json!({})),
            Some("filename must be a plain file name"),
        ),
    ];
    for (body, refusal) in cases {
        assert_answer(key.post_json(&body).await, StatusCode::OK, refusal).await;
    }
    // The multipart form (no workers here: an accepted job stays queued).
    let multipart = |job_id: &str, config: Value, metadata: Value| {
        Form::new()
            .text("job_id", job_id.to_string())
            .text("transcription_config", config.to_string())
            .text("metadata", metadata.to_string())
            .part("file", Part::bytes(vec![0u8; 100]).file_name("a.wav"))
    };
    let cases = [
        (multipart("fits", vocab(1000, 10), big(16_000)), None),
        (
            multipart("vocab", vocab(1001, 1), json!({})),
            Some("transcription_config.additional_vocab has more than 1000 entries"),
        ),
        (
            multipart("meta", vocab(0, 0), big(17_000)),
            Some("metadata is larger than 16 KB"),
        ),
    ];
    for (form, refusal) in cases {
        assert_answer(key.post_form(form).await, StatusCode::ACCEPTED, refusal).await;
    }
    assert_eq!(
        d.input_files(),
        vec!["inputs/fits.wav".to_string()],
        "refused uploads leave nothing behind"
    );
}

/// A server-side fault (here a CA file that is not there) fails the job with a message that
/// names no server path; the path goes to the log, with the job id. The server still starts,
/// and the job's webhook waits, retried, for the settings to be fixed.
#[tokio::test]
async fn messages_name_no_server_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing_ca = dir.path().join("secret-folder").join("ca.pem");
    let env = url_input_env(&missing_ca);
    let Some(d) = Deployment::start(Kind::Embedded, 1, env).await else {
        return;
    };
    let key = d.api(&d.create_key("acme"));
    // With a webhook: its delivery depends on the same settings.
    key.submit_json(
        &json!({"input_url": "https://localhost:9/a.wav", "job_id": "pathless1",
        "transcription_config": {"language": "en"},
        "notification_config": [{"url": "https://localhost:9/hook"}]}),
    )
    .await;
    let job = key.wait("pathless1", JOB_LIMIT).await;
    assert_eq!(job["status"], "FAILED", "{job}");
    let message = job["error_message"]["message"].as_str().unwrap();
    assert!(
        !message.contains("secret-folder") && !message.contains('/'),
        "{message}"
    );
    assert!(message.contains("not configured correctly"), "{message}");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let job = key.job("pathless1").await;
        let hook = &job["notifications"][0];
        if hook["attempts"].as_u64() >= Some(1) && !hook["last_error"].is_null() {
            assert_eq!(
                (hook["state"].as_str(), hook["last_error"].as_str()),
                (
                    Some("pending"),
                    Some("webhook delivery is not configured correctly on the server")
                ),
                "{job}"
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = d.server.log();
    assert!(
        log.lines()
            .any(|l| l.contains("secret-folder") && l.contains("pathless1")),
        "{log}"
    );
}

/// A connection that sends its request head slowly, or nothing at all, is closed at the
/// header-read timeout.
#[tokio::test]
async fn slow_or_silent_connections_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let env = vec![("VERBATIM_HTTP_HEADER_TIMEOUT".into(), "2s".into())];
    let Some(d) = Deployment::start(Kind::Embedded, 0, env).await else {
        return;
    };
    let addr = d.server.base.trim_start_matches("http://").to_string();
    for partial in [&b""[..], b"GET /health HTTP/1.1\r\nHost: x\r\n"] {
        let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
        tcp.write_all(partial).await.unwrap();
        let started = std::time::Instant::now();
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(20), tcp.read_to_end(&mut buf)).await;
        assert!(
            read.is_ok(),
            "the server kept a connection open for 20 s after {partial:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "closed only after {:?}",
            started.elapsed()
        );
    }
    // A prompt client is served as before.
    let r = client().get(d.server.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// One upload slot, a body-rate floor, five POSTs a minute per key, a metrics token.
#[tokio::test]
async fn uploads_rates_and_metrics_are_bounded() {
    let env = vec![
        ("VERBATIM_MAX_CONCURRENT_UPLOADS".into(), "1".into()),
        ("VERBATIM_BODY_MIN_RATE".into(), "4096".into()),
        ("VERBATIM_RATE_LIMIT_PER_MINUTE".into(), "5".into()),
        ("VERBATIM_METRICS_TOKEN".into(), "s3cret-token".into()),
    ];
    let Some(d) = Deployment::start(Kind::Embedded, 0, env).await else {
        return;
    };
    let (slow, flood, calm) = (
        d.api(&d.create_key("slow")),
        d.api(&d.create_key("flood")),
        d.api(&d.create_key("calm")),
    );

    // An upload trickling 2 KB/s holds the only slot until the rate floor ends it.
    let form = form_of(&[("transcription_config", "{}")], trickling_part());
    let started = std::time::Instant::now();
    let slow_upload = {
        let post = slow.http.post(slow.url(JOBS)).bearer_auth(&slow.key);
        tokio::spawn(async move { post.multipart(form).send().await.map(|r| r.status()) })
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let file = Part::bytes(vec![0u8; 100]).file_name("a.wav");
    let r = calm
        .post_form(form_of(&[("transcription_config", "{}")], file))
        .await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().contains_key("retry-after"));
    let (_, message) = error_of(r).await;
    assert!(message.starts_with("Too many uploads"), "{message}");

    // Five POSTs a minute per key: the sixth is refused; another key is not.
    for i in 0..6 {
        let r = flood.post_json(&json!({"transcription_config": {}})).await;
        if i < 5 {
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "POST {i}");
        } else {
            assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
            let wait: u64 = r.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=60).contains(&wait), "Retry-After {wait}");
            let (_, message) = error_of(r).await;
            assert!(message.starts_with("Too many requests"), "{message}");
        }
    }
    let r = calm.post_json(&json!({"transcription_config": {}})).await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "another key keeps its own budget"
    );

    // The metrics token.
    let metrics = calm.http.get(calm.url("/metrics"));
    assert_eq!(
        metrics.send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    for (token, status) in [
        ("wrong", StatusCode::UNAUTHORIZED),
        ("s3cret-token", StatusCode::OK),
    ] {
        let r = calm.with_key(token).get("/metrics").await;
        assert_eq!(r.status(), status, "{token}");
    }

    // The trickle ends with an error at the end of the first 30 s window, storing nothing.
    let outcome = slow_upload.await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the trickle lasted {:?}",
        started.elapsed()
    );
    assert!(
        outcome.as_ref().map_or(true, |s| s.is_client_error()),
        "{outcome:?}"
    );
    assert_eq!(d.input_files(), Vec::<String>::new());
}

/// Two uploads race for one job id: one wins (202), the other gets 409, and the stored input is
/// exactly the winner's bytes (the loser cleans up only what it wrote).
async fn concurrent_submissions_with_one_id_keep_the_winners_input(kind: Kind) {
    let Some(d) = Deployment::start(kind, 0, Vec::new()).await else {
        return;
    };
    let key = d.api(&d.create_key("acme"));
    for round in 0..4u8 {
        let job_id = format!("race{round}");
        let bodies: Vec<Vec<u8>> = (0..2u8).map(|i| vec![round * 2 + i + 1; 400_000]).collect();
        let send = |body: Vec<u8>| {
            let file = Part::bytes(body).file_name("a.wav");
            let fields = [("job_id", job_id.as_str()), ("transcription_config", "{}")];
            key.post_form(form_of(&fields, file))
        };
        let (a, b) = tokio::join!(send(bodies[0].clone()), send(bodies[1].clone()));
        let statuses = [a.status(), b.status()];
        let winners: Vec<usize> = (0..2)
            .filter(|i| statuses[*i] == StatusCode::ACCEPTED)
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {statuses:?}");
        assert!(
            statuses.contains(&StatusCode::CONFLICT),
            "round {round}: {statuses:?}"
        );
        let stored = d.read_input(&format!("inputs/{job_id}.wav"));
        assert!(
            stored == bodies[winners[0]],
            "round {round}: the stored input is not the winner's upload"
        );
    }
    let left: Vec<String> = d.input_files();
    assert_eq!(
        left,
        (0..4)
            .map(|r| format!("inputs/race{r}.wav"))
            .collect::<Vec<_>>(),
        "no staging object stays"
    );
}

/// After step 3 the upload URL can no longer change the job's input (the API's own URL refuses;
/// an S3 URL writes a staging key nothing reads), and an upload never completed is swept.
async fn presigned_uploads_are_single_use_and_swept(kind: Kind) {
    let env = vec![("VERBATIM_ORPHAN_AGE".into(), "3s".into())];
    let Some(d) = Deployment::start(kind, 0, env).await else {
        return;
    };
    let key = d.api(&d.create_key("acme"));
    let step1 = |job_id: &'static str| {
        let key = &key;
        async move {
            let body = json!({
                "mode": "presign", "filename": "talk.wav", "content_type": "audio/wav", "job_id": job_id,
                "transcription_config": {}});
            key.post_json(&body).await.json::<Value>().await.unwrap()
        }
    };
    let put = |url: String, body: Vec<u8>| {
        key.http
            .put(url)
            .header("content-type", "audio/wav")
            .body(body)
            .send()
    };

    let upload = step1("once1").await;
    let url = upload["upload"]["url"].as_str().unwrap().to_string();
    assert_eq!(
        put(url.clone(), vec![1u8; 5000]).await.unwrap().status(),
        StatusCode::OK
    );
    key.submit_json(
        &json!({"s3_key": "inputs/once1/talk.wav", "job_id": "once1", "transcription_config": {}}),
    )
    .await;
    let again = put(url, vec![2u8; 7000]).await.unwrap().status();
    if !d.is_fleet() {
        assert_eq!(
            again,
            StatusCode::FORBIDDEN,
            "the API's upload URL is single-use"
        );
    }
    assert_eq!(
        d.read_input("inputs/once1/talk.wav"),
        vec![1u8; 5000],
        "the job's input is what step 3 accepted"
    );

    // An upload whose step 3 never comes is removed once it is older than the orphan age.
    let upload = step1("never1").await;
    let url = upload["upload"]["url"].as_str().unwrap().to_string();
    assert_eq!(
        put(url, vec![3u8; 5000]).await.unwrap().status(),
        StatusCode::OK
    );
    assert!(
        d.input_files()
            .iter()
            .any(|f| f.starts_with("uploads/never1.")),
        "{:?}",
        d.input_files()
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while d.input_files().iter().any(|f| f.starts_with("uploads/")) {
        assert!(
            std::time::Instant::now() < deadline,
            "orphans left: {:?}",
            d.input_files()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        d.input_files()
            .contains(&"inputs/once1/talk.wav".to_string()),
        "a job's input is never swept"
    );
}

crate::server::deployment::on_both_deployments!(
    a_playlist_cannot_read_another_organisations_audio,
    a_stuck_job_fails_at_its_deadline_and_others_run,
    configs_and_names_have_limits,
    concurrent_submissions_with_one_id_keep_the_winners_input,
    presigned_uploads_are_single_use_and_swept,
);
