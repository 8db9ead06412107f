//! Real jobs end to end: real speech through the real tiny.en model, submitted every way the
//! contract allows (multipart, presigned upload, URL input from an HTTPS server inside the test),
//! the outputs downloaded through their signed URLs, a corrupt file failing readably, and delete
//! purging what it must.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::common::{assert_five_dollars, entities};
use crate::server::api::{
    accepted, assert_failed_saying, download, form_of, inputs_and_outputs, wav_part, Api,
};
use crate::server::deployment::{Deployment, Kind};
use crate::server::{assert_transcribes, short_clips, url_input_env};
use reqwest::multipart::Part;
use reqwest::StatusCode;
use serde_json::{json, Value};
use testkit::https::HttpsServer;

const JOB_LIMIT: Duration = Duration::from_secs(300);

/// Checks a DONE job's record and outputs; returns the srt text.
async fn check_done(
    api: &Api,
    d: &Deployment,
    job: &Value,
    reference: &str,
    source: &str,
) -> String {
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

    let files = api.files(id).await;
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
        let body = download(&api.http, o["download_url"].as_str().unwrap()).await;
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
    let env = url_input_env(&https.ca_path);
    let Some(d) = Deployment::start(kind, 1, env).await else {
        return;
    };
    let api = d.api(&d.create_key("acme"));

    // 1. Multipart, with srt_overrides that must reach the renderer.
    let fields = [
        ("job_id", "speech1"),
        ("transcription_config", r#"{"language":"en"}"#),
        (
            "output_config",
            r#"{"srt_overrides":{"max_line_length":20,"max_lines":1}}"#,
        ),
    ];
    let speech = wav_part("speech.wav", std::fs::read(&clips[0].wav).unwrap());
    api.submit_form(form_of(&fields, speech)).await;

    // 2. Presign: step 1, PUT, step 3.
    let r = api.post_json(&json!({
        "mode": "presign", "filename": "clip.wav", "content_type": "audio/wav", "transcription_config": {"language": "en"}})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let step1: Value = r.json().await.unwrap();
    let presigned_id = step1["job_id"].as_str().unwrap().to_string();
    let r = api
        .http
        .put(step1["upload"]["url"].as_str().unwrap())
        .header("content-type", "audio/wav")
        .body(std::fs::read(&clips[1].wav).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    api.submit_json(&json!({
        "s3_key": step1["upload"]["s3_key"], "job_id": presigned_id, "transcription_config": {"language": "en"}}))
        .await;

    // 3. URL input, through a redirect, from the HTTPS server with its self-signed certificate;
    // a redirect to an address that is not allow-listed fails the job, readably; endless
    // redirects stop after five.
    for (path, job_id, language) in [
        ("/redirect", "byurl1", "auto"),
        ("/redirect-ip", "byurl2", ""),
        ("/loop", "byurl3", ""),
    ] {
        let config = if language.is_empty() {
            json!({})
        } else {
            json!({ "language": language })
        };
        api.submit_json(&json!({
            "input_url": https.url(path), "job_id": job_id, "transcription_config": config}))
            .await;
    }

    // 4. A corrupt file.
    let corrupt = Part::bytes(b"RIFF\x00\x00\x00\x00WAVEthis is not audio at all".repeat(50))
        .file_name("broken.wav");
    let fields = [("job_id", "corrupt1"), ("transcription_config", "{}")];
    api.submit_form(form_of(&fields, corrupt)).await;

    let job = api.wait("speech1", JOB_LIMIT).await;
    let srt = check_done(&api, &d, &job, &clips[0].reference, "upload").await;
    for line in srt
        .lines()
        .filter(|l| !l.contains("-->") && l.parse::<u32>().is_err())
    {
        assert!(
            line.chars().count() <= 20,
            "srt_overrides.max_line_length 20 not applied: {line:?}\n{srt}"
        );
    }
    let job = api.wait(&presigned_id, JOB_LIMIT).await;
    check_done(&api, &d, &job, &clips[1].reference, "presigned").await;
    let job = api.wait("byurl1", JOB_LIMIT).await;
    check_done(&api, &d, &job, &clips[2].reference, "url").await;
    let by_url_files = api.files("byurl1").await;
    assert!(
        by_url_files["inputs"][0]["key"]
            .as_str()
            .unwrap()
            .starts_with("inputs/byurl1"),
        "{by_url_files}"
    );

    for id in ["byurl2", "corrupt1"] {
        let job = api.wait(id, JOB_LIMIT).await;
        assert_eq!(job["status"], "FAILED", "{job}");
        let message = job["error_message"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("error_message object: {job}"));
        assert!(
            message.len() > 10 && !message.contains("panicked"),
            "{message}"
        );
        assert_eq!(job["error_message"].as_object().unwrap().len(), 1);
        let files = api.files(id).await;
        assert_eq!(files["outputs"], json!([]), "a FAILED job has no outputs");
    }
    let job = api.wait("byurl2", JOB_LIMIT).await;
    assert_failed_saying(&job, "private or reserved");
    let job = api.wait("byurl3", JOB_LIMIT).await;
    assert_failed_saying(&job, "redirected more than 5 times");

    // Delete: 202, record kept as DELETED, files gone (lists empty, old URLs dead), 409 again.
    let before = api.files("speech1").await;
    // What the worker wrote is exactly what /files lists and the outputs' source (kept for
    // transcript corrections, docs/extensions.md), and, below, what DELETE purges: no other
    // object of the job's in either bucket, and nothing listed that is not stored.
    let listed: BTreeSet<String> = inputs_and_outputs(&before)
        .iter()
        .map(|f| f["key"].as_str().unwrap().to_string())
        .collect();
    let mut stored: BTreeSet<String> = d
        .input_files()
        .into_iter()
        .chain(d.output_files())
        .filter(|f| f.contains("speech1"))
        .collect();
    assert!(stored.remove("outputs/speech1.source.json"), "{stored:?}");
    assert_eq!(stored, listed);
    assert_eq!(before["outputs"].as_array().unwrap().len(), 4, "{before}");
    let old_urls: Vec<String> = inputs_and_outputs(&before)
        .iter()
        .map(|f| f["download_url"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        old_urls.len(),
        1 + before["outputs"].as_array().unwrap().len()
    );
    assert_eq!(
        accepted(api.delete("/v1/batch/jobs/speech1").await).await,
        json!({"job_id": "speech1", "status": "DELETED"})
    );
    let job = api.job("speech1").await;
    assert_eq!(job["status"], "DELETED");
    assert!(job["deleted_at"].is_string());
    assert_eq!(
        api.files("speech1").await,
        json!({"job_id": "speech1", "inputs": [], "outputs": []})
    );
    for url in old_urls {
        let r = api.http.get(&url).send().await.unwrap();
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
    let r = api.delete("/v1/batch/jobs/speech1").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // A FAILED job can be deleted too; the list filter sees both.
    let r = api.delete("/v1/batch/jobs/corrupt1").await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let list = api.get_json("/v1/batch/jobs?status=DELETED").await;
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
    let api = d.api(&d.create_key("acme"));
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
        let config = config.to_string();
        let fields = [("job_id", *id), ("transcription_config", config.as_str())];
        let sonnet = wav_part("sonnet.wav", audio.clone());
        api.submit_form(form_of(&fields, sonnet)).await;
    }
    let mut outputs = std::collections::HashMap::new();
    for (id, _) in &configs {
        let job = api.wait(id, JOB_LIMIT).await;
        assert_eq!(job["status"], "DONE", "{job}");
        let files = api.files(id).await;
        let mut by_format = std::collections::HashMap::new();
        for o in files["outputs"].as_array().unwrap() {
            by_format.insert(
                o["format"].as_str().unwrap().to_string(),
                download(&api.http, o["download_url"].as_str().unwrap()).await,
            );
        }
        outputs.insert(*id, (job, by_format));
    }
    let transcript = |id: &str| -> Value { serde_json::from_str(&outputs[id].1["json"]).unwrap() };
    let results =
        |id: &str| -> Vec<Value> { transcript(id)["results"].as_array().unwrap().clone() };

    let (job, on) = &outputs["opton"];
    assert_eq!(
        job["job_config"]["transcription_config"]["domain"],
        "poetry"
    );
    assert_five_dollars(&transcript("opton"));
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
    assert!(entities(&transcript("optoff")).is_empty());
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
