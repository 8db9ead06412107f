//! Restart loses nothing: SIGTERM mid-job (the server stops taking work, finishes or hands back
//! what it holds and exits 0) and kill -9 mid-job; after a restart every job ends DONE exactly
//! once and every accepted upload is still there.

use std::collections::HashMap;
use std::time::Duration;

use crate::server::api::{form_of, Api};
use crate::server::{short_clips, Options, Server};
use reqwest::multipart::Part;

async fn submit(api: &Api, id: &str, wav: &std::path::Path) {
    let file = Part::bytes(std::fs::read(wav).unwrap()).file_name("a.wav");
    let fields = [
        ("job_id", id),
        ("transcription_config", r#"{"language":"en"}"#),
    ];
    api.submit_form(form_of(&fields, file)).await;
}

/// Waits until some job is being worked on (past QUEUED, not finished).
async fn wait_working(api: &Api, ids: &[String]) {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        for id in ids {
            let status = api.job(id).await["status"].as_str().unwrap().to_string();
            if matches!(
                status.as_str(),
                "IN_PROGRESS" | "DECODING" | "POST_PROCESSING"
            ) {
                return;
            }
        }
        assert!(std::time::Instant::now() < deadline, "no job started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn all_done_once(api: &Api, ids: &[String]) {
    let mut completed = HashMap::new();
    for id in ids {
        let j = api.wait(id, Duration::from_secs(300)).await;
        assert_eq!(j["status"], "DONE", "{j}");
        completed.insert(id.clone(), j["completed_at"].clone());
        let files = api.files(id).await;
        assert_eq!(
            files["inputs"].as_array().unwrap().len(),
            1,
            "the accepted upload is still there: {files}"
        );
        assert!(files["outputs"].as_array().unwrap().len() >= 3, "{files}");
    }
    // Done once: nothing completes a job a second time later.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for id in ids {
        let j = api.job(id).await;
        assert_eq!(j["status"], "DONE");
        assert_eq!(j["completed_at"], completed[id], "{id} completed twice");
    }
}

#[tokio::test]
async fn restart_after_sigterm_and_kill9_loses_nothing() {
    let clips = short_clips();
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(
        dir.path(),
        Options {
            workers: 1,
            env: vec![("VERBATIM_LEASE_SECONDS".into(), "6".into())],
        },
    );
    let key = server.create_key("acme");

    // SIGTERM mid-job.
    let ids: Vec<String> = (0..3).map(|i| format!("term{i}")).collect();
    let api = server.api(&key);
    for (i, id) in ids.iter().enumerate() {
        submit(&api, id, &clips[i % clips.len()].wav).await;
    }
    wait_working(&api, &ids).await;
    assert_eq!(
        server.sigterm(),
        Some(0),
        "SIGTERM must exit 0; log:\n{}",
        server.log()
    );
    server.restart();
    all_done_once(&server.api(&key), &ids).await;

    // kill -9 mid-job: the lease runs out and the job is taken up again.
    let ids: Vec<String> = (0..2).map(|i| format!("kill{i}")).collect();
    let api = server.api(&key);
    for (i, id) in ids.iter().enumerate() {
        submit(&api, id, &clips[i % clips.len()].wav).await;
    }
    wait_working(&api, &ids).await;
    server.kill9();
    server.restart();
    all_done_once(&server.api(&key), &ids).await;
}
