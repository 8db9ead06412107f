//! Real jobs end to end: real speech through the real tiny.en model, submitted every way the
//! contract allows (multipart, presigned upload, URL input from an HTTPS server inside the test),
//! the outputs downloaded through their signed URLs, a corrupt file failing readably, and delete
//! purging what it must.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::server::deployment::{Deployment, Kind};
use crate::server::{assert_transcribes, client, short_clips, wait_finished, Server};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};
use testkit::https::HttpsServer;

const JOB_LIMIT: Duration = Duration::from_secs(300);

async fn download(http: &reqwest::Client, url: &str) -> String {
    let r = http.get(url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{url}");
    r.text().await.unwrap()
}

async fn files(http: &reqwest::Client, server: &Server, key: &str, id: &str) -> Value {
    let r = http
        .get(server.url(&format!("/v1/batch/jobs/{id}/files")))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// Checks a DONE job's record and outputs; returns the srt text.
async fn check_done(
    http: &reqwest::Client,
    d: &Deployment,
    key: &str,
    job: &Value,
    reference: &str,
    source: &str,
) -> String {
    let server = &d.server;
    let id = job["job_id"].as_str().unwrap();
    assert_eq!(job["status"], "DONE", "{job}");
    assert_eq!(job["error_message"], Value::Null);
    for stamp in ["started_at", "completed_at", "updated_at"] {
        assert!(job[stamp].is_string(), "{stamp} missing: {job}");
    }
    let input = &job["input_metadata"];
    assert_eq!(input["source"], source, "{job}");
    assert!(input["size_bytes"].as_u64().unwrap() > 1000, "{job}");
    assert!(input["duration_seconds"].as_f64().unwrap() > 2.0, "{job}");
    assert!(
        input["format"].is_string() && input["mime_type"].is_string(),
        "{job}"
    );
    assert_ne!(job["output_metadata"], json!({}));

    let files = files(http, server, key, id).await;
    assert_eq!(files["inputs"].as_array().unwrap().len(), 1, "{files}");
    let outputs = files["outputs"].as_array().unwrap();
    let formats: Vec<&str> = outputs
        .iter()
        .map(|o| o["format"].as_str().unwrap())
        .collect();
    for f in ["json", "txt", "srt"] {
        assert!(formats.contains(&f), "{f} missing: {files}");
    }
    let mut srt = String::new();
    for o in outputs {
        let format = o["format"].as_str().unwrap();
        assert_eq!(o["key"], format!("outputs/{id}.{format}"));
        assert_eq!(
            o["s3_uri"],
            format!("s3://{}/outputs/{id}.{format}", d.output_bucket)
        );
        assert!(
            o["download_url"]
                .as_str()
                .unwrap()
                .starts_with(d.signed_url_base()),
            "{o}"
        );
        let body = download(http, o["download_url"].as_str().unwrap()).await;
        match format {
            "json" => {
                let v: Value = serde_json::from_str(&body).unwrap();
                assert_eq!(v["format"], "2.9");
                let text: Vec<&str> = v["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|r| r["type"] == "word")
                    .map(|r| r["alternatives"][0]["content"].as_str().unwrap())
                    .collect();
                assert_transcribes(&text.join(" "), reference);
            }
            "txt" => assert_transcribes(&body, reference),
            "srt" => {
                assert!(
                    body.starts_with("1\n") || body.starts_with("1\r\n"),
                    "{body}"
                );
                assert!(body.contains(" --> "), "{body}");
                assert_transcribes(&body, reference);
                srt = body;
            }
            _ => {}
        }
    }
    srt
}

async fn real_speech_every_input_form_then_delete(kind: Kind) {
    let clips = short_clips();
    let dir = tempfile::tempdir().unwrap();
    let https = HttpsServer::start(&clips[2].wav, dir.path()).await;
    let env = vec![
        ("VERBATIM_URL_ALLOW_HOSTS".into(), "localhost".into()),
        (
            "VERBATIM_URL_CA_CERT".into(),
            https.ca_path.display().to_string(),
        ),
    ];
    let Some(d) = Deployment::start(kind, 1, env).await else {
        return;
    };
    let server = &d.server;
    let key = d.create_key("acme");
    let http = client();
    let post = |body: reqwest::RequestBuilder| async { body.send().await.unwrap() };

    // 1. Multipart, with srt_overrides that must reach the renderer.
    let form = Form::new()
        .text("job_id", "speech1")
        .text("transcription_config", r#"{"language":"en"}"#)
        .text(
            "output_config",
            r#"{"srt_overrides":{"max_line_length":20,"max_lines":1}}"#,
        )
        .part(
            "file",
            Part::bytes(std::fs::read(&clips[0].wav).unwrap())
                .file_name("speech.wav")
                .mime_str("audio/wav")
                .unwrap(),
        );
    let r = post(
        http.post(server.url("/v1/batch/jobs"))
            .bearer_auth(&key)
            .multipart(form),
    )
    .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);

    // 2. Presign: step 1, PUT, step 3.
    let r = post(http.post(server.url("/v1/batch/jobs")).bearer_auth(&key).json(&json!({
        "mode": "presign", "filename": "clip.wav", "content_type": "audio/wav", "transcription_config": {"language": "en"}}))).await;
    assert_eq!(r.status(), StatusCode::OK);
    let step1: Value = r.json().await.unwrap();
    let presigned_id = step1["job_id"].as_str().unwrap().to_string();
    let r = http
        .put(step1["upload"]["url"].as_str().unwrap())
        .header("content-type", "audio/wav")
        .body(std::fs::read(&clips[1].wav).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = post(http.post(server.url("/v1/batch/jobs")).bearer_auth(&key).json(&json!({
        "s3_key": step1["upload"]["s3_key"], "job_id": presigned_id, "transcription_config": {"language": "en"}}))).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);

    // 3. URL input, through a redirect, from the HTTPS server with its self-signed certificate.
    let r = post(http.post(server.url("/v1/batch/jobs")).bearer_auth(&key).json(&json!({
        "input_url": https.url("/redirect"), "job_id": "byurl1", "transcription_config": {"language": "auto"}}))).await;
    assert_eq!(
        r.status(),
        StatusCode::ACCEPTED,
        "{}",
        r.text().await.unwrap()
    );
    // A redirect to an address that is not allow-listed fails the job, readably.
    let r = post(
        http.post(server.url("/v1/batch/jobs"))
            .bearer_auth(&key)
            .json(&json!({
        "input_url": https.url("/redirect-ip"), "job_id": "byurl2", "transcription_config": {}})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);

    // Endless redirects stop after five.
    let r = post(
        http.post(server.url("/v1/batch/jobs"))
            .bearer_auth(&key)
            .json(&json!({
        "input_url": https.url("/loop"), "job_id": "byurl3", "transcription_config": {}})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);

    // 4. A corrupt file.
    let form = Form::new()
        .text("job_id", "corrupt1")
        .text("transcription_config", "{}")
        .part(
            "file",
            Part::bytes(b"RIFF\x00\x00\x00\x00WAVEthis is not audio at all".repeat(50))
                .file_name("broken.wav"),
        );
    let r = post(
        http.post(server.url("/v1/batch/jobs"))
            .bearer_auth(&key)
            .multipart(form),
    )
    .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);

    let job = wait_finished(&http, &server.base, &key, "speech1", JOB_LIMIT).await;
    let srt = check_done(&http, &d, &key, &job, &clips[0].reference, "upload").await;
    for line in srt
        .lines()
        .filter(|l| !l.contains("-->") && l.parse::<u32>().is_err())
    {
        assert!(
            line.chars().count() <= 20,
            "srt_overrides.max_line_length 20 not applied: {line:?}\n{srt}"
        );
    }
    let job = wait_finished(&http, &server.base, &key, &presigned_id, JOB_LIMIT).await;
    check_done(&http, &d, &key, &job, &clips[1].reference, "presigned").await;
    let job = wait_finished(&http, &server.base, &key, "byurl1", JOB_LIMIT).await;
    check_done(&http, &d, &key, &job, &clips[2].reference, "url").await;
    let by_url_files = files(&http, server, &key, "byurl1").await;
    assert!(
        by_url_files["inputs"][0]["key"]
            .as_str()
            .unwrap()
            .starts_with("inputs/byurl1"),
        "{by_url_files}"
    );

    for id in ["byurl2", "corrupt1"] {
        let job = wait_finished(&http, &server.base, &key, id, JOB_LIMIT).await;
        assert_eq!(job["status"], "FAILED", "{job}");
        let message = job["error_message"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("error_message object: {job}"));
        assert!(
            message.len() > 10 && !message.contains("panicked"),
            "{message}"
        );
        assert_eq!(job["error_message"].as_object().unwrap().len(), 1);
        let files = files(&http, server, &key, id).await;
        assert_eq!(files["outputs"], json!([]), "a FAILED job has no outputs");
    }
    let job = wait_finished(&http, &server.base, &key, "byurl2", JOB_LIMIT).await;
    assert!(
        job["error_message"]["message"]
            .as_str()
            .unwrap()
            .contains("private or reserved"),
        "{job}"
    );
    let job = wait_finished(&http, &server.base, &key, "byurl3", JOB_LIMIT).await;
    assert_eq!(job["status"], "FAILED", "{job}");
    assert!(
        job["error_message"]["message"]
            .as_str()
            .unwrap()
            .contains("redirected more than 5 times"),
        "{job}"
    );

    // Delete: 202, record kept as DELETED, files gone (lists empty, old URLs dead), 409 again.
    let before = files(&http, server, &key, "speech1").await;
    // What the worker wrote is exactly what /files lists (and, below, what DELETE purges): no
    // object of the job's in either bucket that the listing leaves out, or the other way round.
    let listed: BTreeSet<String> = before["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .chain(before["outputs"].as_array().unwrap())
        .map(|f| f["key"].as_str().unwrap().to_string())
        .collect();
    let stored: BTreeSet<String> = d
        .input_files()
        .into_iter()
        .chain(d.output_files())
        .filter(|f| f.contains("speech1"))
        .collect();
    assert_eq!(stored, listed);
    assert_eq!(before["outputs"].as_array().unwrap().len(), 4, "{before}");
    let old_urls: Vec<String> = before["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .chain(before["outputs"].as_array().unwrap())
        .map(|f| f["download_url"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        old_urls.len(),
        1 + before["outputs"].as_array().unwrap().len()
    );
    let r = http
        .delete(server.url("/v1/batch/jobs/speech1"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"job_id": "speech1", "status": "DELETED"})
    );
    let job: Value = http
        .get(server.url("/v1/batch/jobs/speech1"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(job["status"], "DELETED");
    assert!(job["deleted_at"].is_string());
    assert_eq!(
        files(&http, server, &key, "speech1").await,
        json!({"job_id": "speech1", "inputs": [], "outputs": []})
    );
    for url in old_urls {
        let r = http.get(&url).send().await.unwrap();
        assert!(
            matches!(r.status(), StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
            "{url} still works"
        );
        if !d.is_fleet() {
            // S3 answers in its own XML; the API's signed URLs in the contract's JSON.
            let body: Value = r.json().await.unwrap();
            assert!(body["error"].is_string());
        }
    }
    assert!(
        !d.input_files().iter().any(|f| f.contains("speech1")),
        "{:?}",
        d.input_files()
    );
    assert!(
        !d.output_files().iter().any(|f| f.contains("speech1")),
        "{:?}",
        d.output_files()
    );
    assert!(
        d.output_files().iter().any(|f| f.contains(&presigned_id)),
        "other jobs' outputs stay: {:?}",
        d.output_files()
    );
    let r = http
        .delete(server.url("/v1/batch/jobs/speech1"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // A FAILED job can be deleted too; the list filter sees both.
    let r = http
        .delete(server.url("/v1/batch/jobs/corrupt1"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let list: Value = http
        .get(server.url("/v1/batch/jobs?status=DELETED"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["meta"]["total"], 2);
}

/// transcription_config options reach API jobs (the CLI tests in options_cli.rs cover each
/// option in depth; this pins that the worker reads them from `job_config`): the same real clip
/// with and without entities, locale and vocabulary, and `auto` reporting its language.
#[tokio::test]
async fn options_reach_api_jobs() {
    let Some(d) = Deployment::start(Kind::Embedded, 1, Vec::new()).await else {
        return;
    };
    let key = d.create_key("acme");
    let http = client();
    let sonnet = crate::server::repo_root().join("tests/fixtures/cache/clips/en_sonnet_001.wav");
    let audio = std::fs::read(&sonnet)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/fetch-test-data.sh)", sonnet.display()));
    // "From fairest creatures we desire increase": the vocabulary turns real recognised words into
    // a value and a spelling the other passes act on, with the spoken words' times.
    let vocab = json!([{"content": "$5", "sounds_like": ["increase"]}, {"content": "color", "sounds_like": ["fairest"]}]);
    let configs = [
        (
            "opton",
            json!({"language": "en", "additional_vocab": vocab, "enable_entities": true, "output_locale": "en-GB", "domain": "poetry"}),
        ),
        (
            "optoff",
            json!({"language": "en", "additional_vocab": vocab}),
        ),
        ("optauto", json!({"language": "auto"})),
        (
            "optenh",
            json!({"language": "en", "operating_point": "enhanced"}),
        ),
    ];
    for (id, config) in &configs {
        let form = Form::new()
            .text("job_id", id.to_string())
            .text("transcription_config", config.to_string())
            .part(
                "file",
                Part::bytes(audio.clone())
                    .file_name("sonnet.wav")
                    .mime_str("audio/wav")
                    .unwrap(),
            );
        let r = http
            .post(d.server.url("/v1/batch/jobs"))
            .bearer_auth(&key)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    let mut outputs = std::collections::HashMap::new();
    for (id, _) in &configs {
        let job = wait_finished(&http, &d.server.base, &key, id, JOB_LIMIT).await;
        assert_eq!(job["status"], "DONE", "{job}");
        let files = files(&http, &d.server, &key, id).await;
        let mut by_format = std::collections::HashMap::new();
        for o in files["outputs"].as_array().unwrap() {
            by_format.insert(
                o["format"].as_str().unwrap().to_string(),
                download(&http, o["download_url"].as_str().unwrap()).await,
            );
        }
        outputs.insert(*id, (job, by_format));
    }
    let results = |id: &str| -> Vec<Value> {
        let json: Value = serde_json::from_str(&outputs[id].1["json"]).unwrap();
        json["results"].as_array().unwrap().clone()
    };

    let (job, on) = &outputs["opton"];
    assert_eq!(
        job["job_config"]["transcription_config"]["domain"],
        "poetry"
    );
    let entity = results("opton")
        .into_iter()
        .find(|r| r["type"] == "entity")
        .expect("an entity result");
    assert_eq!(entity["entity_class"], "money");
    assert_eq!(
        entity["written_form"][0]["alternatives"][0]["content"],
        "$5"
    );
    let words: Vec<String> = results("opton")
        .iter()
        .map(|r| {
            r["alternatives"][0]["content"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        words.iter().any(|w| w == "colour") && !words.iter().any(|w| w == "color"),
        "{words:?}"
    );
    for format in ["txt", "srt", "vtt"] {
        assert!(
            on[format].contains("colour") && !on[format].contains("color"),
            "{format}: {}",
            on[format]
        );
    }
    let (_, off) = &outputs["optoff"];
    assert!(!results("optoff").iter().any(|r| r["type"] == "entity"));
    assert!(
        off["txt"].contains("color") && !off["txt"].contains("colour"),
        "{}",
        off["txt"]
    );

    let (job, _) = &outputs["optauto"];
    assert_eq!(job["output_metadata"]["language"], "en", "{job}");
    assert_eq!(results("optauto")[0]["alternatives"][0]["language"], "en");

    // The operating point picks the model and how it runs: tiny.en int8, base float32.
    assert_eq!(outputs["optoff"].0["output_metadata"]["model"], "tiny.en");
    assert_eq!(
        outputs["optoff"].0["output_metadata"]["compute_type"],
        "int8"
    );
    let (job, enhanced) = &outputs["optenh"];
    assert_eq!(job["output_metadata"]["model"], "base", "{job}");
    assert_eq!(job["output_metadata"]["compute_type"], "float32", "{job}");
    assert!(
        enhanced["txt"].to_lowercase().contains("fairest creatures"),
        "{}",
        enhanced["txt"]
    );
}

crate::server::deployment::on_both_deployments!(real_speech_every_input_form_then_delete,);
