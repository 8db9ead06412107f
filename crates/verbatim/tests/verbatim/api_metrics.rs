//! `GET /metrics` over real HTTP: no key needed, Prometheus text, and the figures follow the
//! store (jobs submitted to a server without workers stay QUEUED), read at most every 5 s.

use crate::server::api::{form_of, wav_part};
use crate::server::{client, Options, Server};
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
    let server = Server::start(dir.path(), Options::no_workers(Vec::new()));
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
    let api = server.api(&key);
    for _ in 0..3 {
        let fields = [("transcription_config", r#"{"language":"en"}"#)];
        api.submit_form(form_of(&fields, wav_part("a.wav", wav.clone())))
            .await;
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
