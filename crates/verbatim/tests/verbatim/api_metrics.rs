//! `GET /metrics` over real HTTP: no key needed, Prometheus text, and the figures follow the
//! store (jobs submitted to a server without workers stay QUEUED), read at most every 5 s.

use crate::server::{client, Options, Server};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;

fn metric(text: &str, name: &str) -> u64 {
    let line = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no {name} in:\n{text}"));
    line.rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("bad value in {line}"))
}

#[tokio::test]
async fn metrics_count_queued_jobs_without_auth() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        Options {
            workers: 0,
            ..Options::default()
        },
    );
    let key = server.create_key("acme");
    let http = client();

    let get_metrics = || async {
        let r = http.get(server.url("/metrics")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with("text/plain"), "{ct}");
        r.text().await.unwrap()
    };

    let before = get_metrics().await;
    assert_eq!(metric(&before, "verbatim_queue_depth"), 0);
    assert_eq!(metric(&before, "verbatim_jobs{status=\"QUEUED\"}"), 0);
    assert_eq!(metric(&before, "verbatim_jobs{status=\"DONE\"}"), 0);
    assert!(
        before.contains("# TYPE verbatim_queue_depth gauge"),
        "{before}"
    );

    let wav = std::fs::read(&crate::server::short_clips()[0].wav).unwrap();
    for _ in 0..3 {
        let form = Form::new()
            .text("transcription_config", r#"{"language":"en"}"#)
            .part(
                "file",
                Part::bytes(wav.clone())
                    .file_name("a.wav")
                    .mime_str("audio/wav")
                    .unwrap(),
            );
        let r = http
            .post(server.url("/v1/batch/jobs"))
            .bearer_auth(&key)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }

    // Within the cache period the figures may still be the old ones; past it they are new.
    let cached = get_metrics().await;
    assert!(metric(&cached, "verbatim_queue_depth") <= 3, "{cached}");
    tokio::time::sleep(std::time::Duration::from_millis(5_500)).await;
    let after = get_metrics().await;
    assert_eq!(metric(&after, "verbatim_queue_depth"), 3, "{after}");
    assert_eq!(
        metric(&after, "verbatim_jobs{status=\"QUEUED\"}"),
        3,
        "{after}"
    );
    assert_eq!(
        metric(&after, "verbatim_jobs{status=\"IN_PROGRESS\"}"),
        0,
        "{after}"
    );
}
