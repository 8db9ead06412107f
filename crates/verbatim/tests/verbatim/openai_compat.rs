//! The OpenAI-compatible routes (docs/extensions.md) driven by the official `openai` Python
//! package (installed by scripts/install-openai-client.sh) against a real `verbatim serve`
//! transcribing real speech: every response format, timestamp granularities, the error shape,
//! model names, and the wait limit that hands back the batch job's id.

use std::path::PathBuf;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::server::api::{form_of, trickling_part, wav_part};
use crate::server::deployment::{Deployment, Kind};
use crate::server::{assert_transcribes, fixtures, repo_root, short_clips, words};

/// The virtual environment's Python, which has the pinned `openai` package.
fn python() -> PathBuf {
    crate::common::venv_tool(
        "VERBATIM_OPENAI_PYTHON",
        "tests/.venv-openai/bin/python",
        "scripts/install-openai-client.sh",
    )
}

fn seconds(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openai_client_transcribes_in_every_format() {
    let d = Deployment::start(Kind::Embedded, 1, Vec::new())
        .await
        .unwrap();
    let key = d.create_key("openai");
    let clip = &short_clips()[0];
    let spanish = fixtures()
        .into_iter()
        .find(|f| f.language == "es" && f.kind == "clip")
        .expect("a Spanish clip in the fixtures' manifest");
    let out = Command::new(python())
        .arg(repo_root().join("crates/verbatim/tests/verbatim/openai_client.py"))
        .arg(format!("{}/v1", d.server.base))
        .arg(&key)
        .arg(&clip.wav)
        .arg(&spanish.wav)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openai_client.py failed:\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        d.server.log()
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reference = &clip.reference;

    let models: Vec<&str> = r["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(
        models.contains(&"whisper-1") && models.contains(&"tiny.en"),
        "{models:?}"
    );

    let text = r["json"]["text"].as_str().unwrap();
    assert_transcribes(text, reference);
    assert_transcribes(r["named_model"]["text"].as_str().unwrap(), reference);
    let plain = r["text"].as_str().unwrap();
    assert_eq!(plain.trim_end(), text, "text and json differ");

    let srt = r["srt"].as_str().unwrap();
    assert!(srt.starts_with("1\n00:00:"), "{srt}");
    assert!(srt.contains(" --> ") && srt.contains(','), "{srt}");
    assert_transcribes(srt, reference);
    let vtt = r["vtt"].as_str().unwrap();
    assert!(vtt.starts_with("WEBVTT\n\n00:00:"), "{vtt}");
    assert_transcribes(vtt, reference);

    // Segments only, by default.
    let v = &r["verbose_segments"];
    assert_eq!(v["task"], "transcribe", "{v}");
    assert_eq!(v["language"], "english", "{v}");
    assert!((seconds(&v["duration"]) - clip.duration).abs() < 0.5, "{v}");
    assert_eq!(v["text"], text);
    assert_eq!(v["words"], Value::Null, "{v}");
    let segments = v["segments"].as_array().unwrap();
    assert!(!segments.is_empty());
    let mut last_end = 0.0;
    for (i, s) in segments.iter().enumerate() {
        assert_eq!(s["id"], i, "{s}");
        for field in [
            "seek",
            "tokens",
            "temperature",
            "avg_logprob",
            "compression_ratio",
            "no_speech_prob",
        ] {
            assert!(!s[field].is_null(), "{field} missing: {s}");
        }
        let (start, end) = (seconds(&s["start"]), seconds(&s["end"]));
        assert!(
            last_end <= start && start < end && end <= clip.duration + 0.5,
            "{s}"
        );
        assert!(seconds(&s["avg_logprob"]) <= 0.0, "{s}");
        assert!((0.0..=1.0).contains(&seconds(&s["no_speech_prob"])), "{s}");
        assert!(seconds(&s["compression_ratio"]) > 0.0, "{s}");
        // Whisper's window offset, in 10 ms frames: at or before the segment.
        assert!(s["seek"].as_f64().unwrap() <= (start * 100.0).ceil(), "{s}");
        // Beam search, or a fallback's temperature.
        let t = seconds(&s["temperature"]);
        assert!(
            [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
                .iter()
                .any(|l| (l - t).abs() < 1e-3),
            "{s}"
        );
        last_end = end;
    }
    let joined: Vec<&str> = segments
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(joined.join(" "), text);
    // The tokens are the decoder's own: the model's tokenizer reads them back as the segment's
    // text. Which model ran depends on the language: a request without one is detected, which
    // moves the job from tiny.en to the multilingual base (see worker::request).
    let tokenizers: Vec<(tokenizers::Tokenizer, u32)> = [("tiny.en", 50256), ("base", 50257)]
        .into_iter()
        .map(|(model, end_of_text)| {
            let path = crate::common::models_dir()
                .join(model)
                .join("tokenizer.json");
            (tokenizers::Tokenizer::from_file(path).unwrap(), end_of_text)
        })
        .collect();
    let spoken = |t: &str| -> String {
        t.chars()
            .filter(|c| c.is_alphanumeric() || c.is_whitespace())
            .collect::<String>()
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut matching = 0;
    for s in segments {
        let tokens: Vec<u32> = s["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_u64().unwrap() as u32)
            .collect();
        assert!(!tokens.is_empty(), "no tokens: {s}");
        let text = spoken(s["text"].as_str().unwrap());
        let reads_back = tokenizers.iter().any(|(tokenizer, end_of_text)| {
            // Below the end-of-text token: text, not timestamps.
            let ids: Vec<u32> = tokens.iter().copied().filter(|t| t < end_of_text).collect();
            spoken(&tokenizer.decode(&ids, true).unwrap()) == text
        });
        if reads_back {
            matching += 1;
        }
    }
    // Word fitting may move a word across a segment's edge now and then.
    assert!(
        matching * 10 >= segments.len() * 8,
        "{matching} of {} segments read back as their text: {v}",
        segments.len()
    );

    // temperature=0.8: every window was first sampled at 0.8, then hotter on a fallback.
    let hot = &r["verbose_hot"];
    let hot_segments = hot["segments"].as_array().unwrap();
    assert!(!hot_segments.is_empty(), "{hot}");
    for s in hot_segments {
        let t = seconds(&s["temperature"]);
        assert!((0.8 - 1e-3..=1.0 + 1e-3).contains(&t), "{s}");
    }

    // Words only: no segments.
    let v = &r["verbose_words"];
    assert_eq!(v["segments"], Value::Null, "{v}");
    let timed = v["words"].as_array().unwrap();
    assert_transcribes(
        &timed
            .iter()
            .map(|w| w["word"].as_str().unwrap())
            .collect::<Vec<_>>()
            .join(" "),
        reference,
    );
    for w in timed {
        assert!(seconds(&w["start"]) <= seconds(&w["end"]), "{w}");
        let word = w["word"].as_str().unwrap();
        assert!(!word.ends_with(['.', ',', '?']), "punctuation in {w}");
    }
    let both = &r["verbose_both"];
    assert!(
        both["words"].is_array() && both["segments"].is_array(),
        "{both}"
    );

    // stream=true: deltas that add up to the text, then the done event.
    let events = r["stream"].as_array().unwrap();
    let (done, deltas) = events.split_last().unwrap();
    assert_eq!(done["type"], "transcript.text.done", "{events:?}");
    assert!(!deltas.is_empty(), "{events:?}");
    let mut streamed = String::new();
    for d in deltas {
        assert_eq!(d["type"], "transcript.text.delta", "{d}");
        streamed += d["delta"].as_str().unwrap();
    }
    assert_eq!(streamed, done["text"].as_str().unwrap());
    assert_transcribes(&streamed, reference);

    // diarized_json: the job ran with speaker diarization; one voice speaks in the clip.
    let v = &r["diarized"];
    assert_eq!(v["task"], "transcribe", "{v}");
    assert_transcribes(v["text"].as_str().unwrap(), reference);
    assert_eq!(v["usage"]["type"], "duration", "{v}");
    let segments = v["segments"].as_array().unwrap();
    assert!(!segments.is_empty(), "{v}");
    for (i, s) in segments.iter().enumerate() {
        assert_eq!(s["type"], "transcript.text.segment", "{s}");
        assert_eq!(s["id"], format!("seg_{i}"), "{s}");
        assert_eq!(s["speaker"], "S1", "{s}");
    }

    // Spanish speech through the multilingual model comes back as English text: English's
    // commonest words make up a good share of it, and few of the Spanish reference's do.
    let v = &r["translation"];
    assert_eq!(
        (&v["task"], &v["language"]),
        (&json!("translate"), &json!("english")),
        "{v}"
    );
    let translated = words(v["text"].as_str().unwrap());
    let english = [
        "the", "a", "of", "and", "to", "in", "is", "that", "it", "was", "with", "his", "he", "i",
        "you", "not",
    ];
    let common = translated
        .iter()
        .filter(|w| english.contains(&w.as_str()))
        .count();
    assert!(
        common * 6 >= translated.len() && translated.len() >= 5,
        "not English: {v}"
    );
    let reference = std::fs::read_to_string(&spanish.reference_path).unwrap();
    let spanish_words: std::collections::HashSet<String> = words(&reference)
        .into_iter()
        .filter(|w| w.len() >= 4)
        .collect();
    let kept = translated
        .iter()
        .filter(|w| spanish_words.contains(*w))
        .count();
    assert!(kept * 4 < translated.len(), "still Spanish: {v}");

    let errors = &r["errors"];
    let word_with_json = &errors["word_with_json"];
    assert_eq!(word_with_json["status"], 400, "{errors}");
    let body = &word_with_json["body"];
    assert_eq!(body["type"], "invalid_request_error", "{body}");
    assert_eq!(body["param"], "timestamp_granularities", "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("verbose_json"),
        "{body}"
    );
    assert!(body.get("code").is_some(), "{body}");
    let unknown = &errors["unknown_model"];
    assert_eq!(unknown["status"], 400, "{errors}");
    assert_eq!(unknown["body"]["param"], "model");
    assert!(
        unknown["message"].as_str().unwrap().contains("whisper-1"),
        "{unknown}"
    );
    assert_eq!(
        errors["unknown_format"]["body"]["param"], "response_format",
        "{errors}"
    );
    let unknown_key = &errors["unknown_key"];
    assert_eq!(unknown_key["status"], 401, "{errors}");
    assert_eq!(unknown_key["class"], "AuthenticationError", "{errors}");
    assert_eq!(unknown_key["body"]["code"], "invalid_api_key", "{errors}");
    assert_eq!(unknown_key["should_retry"], "false", "{errors}");
    let english_only = &errors["english_only_translation"];
    assert_eq!(english_only["status"], 400, "{errors}");
    assert_eq!(
        english_only["body"]["code"], "transcription_failed",
        "{errors}"
    );
    assert!(
        english_only["body"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot translate"),
        "{errors}"
    );

    // Each request that got past its checks was a batch job of the key's organisation: eleven
    // transcriptions and a translation DONE, the English-only translation FAILED; the refused
    // ones left none.
    let list: Value = d
        .api(&key)
        .get("/v1/batch/jobs")
        .await
        .json()
        .await
        .unwrap();
    let jobs = list["items"].as_array().unwrap();
    assert_eq!(jobs.len(), 13, "{list}");
    let done = jobs.iter().filter(|j| j["status"] == "DONE").count();
    assert_eq!(done, 12, "{list}");
    // The temperature went into its job's config, for the decoder.
    let mut temperatures: Vec<f64> = jobs
        .iter()
        .filter_map(|j| j["job_config"]["transcription_config"]["temperature"].as_f64())
        .collect();
    temperatures.sort_by(f64::total_cmp);
    assert_eq!(temperatures, [0.0, 0.8], "{list}");
    // The named-model request's prompt went into its job's config, for the decoder.
    let prompted: Vec<&Value> = jobs
        .iter()
        .filter_map(|j| j["job_config"]["transcription_config"].get("prompt"))
        .collect();
    assert_eq!(prompted, [&json!("Hello there, Verbatim.")], "{list}");
}

/// Past VERBATIM_OPENAI_WAIT the call answers 504 in OpenAI's shape, naming the batch job,
/// which is still queued (this server has no workers) and visible in the batch API.
/// The first `seconds` of a 16 kHz mono 16-bit WAV with the canonical 44-byte header.
fn wav_head(wav: &[u8], seconds: usize) -> Vec<u8> {
    assert_eq!(&wav[36..40], b"data", "not a canonical WAV header");
    let data = &wav[44..(44 + seconds * 32_000).min(wav.len())];
    let mut out = wav[..44].to_vec();
    out[4..8].copy_from_slice(&(36 + data.len() as u32).to_le_bytes());
    out[40..44].copy_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    out
}

/// `stream=true` on a recording long enough to be decoded in several steps: text arrives while
/// the job is still working, and the deltas add up to the final text.
#[tokio::test(flavor = "multi_thread")]
async fn a_stream_sends_text_while_the_job_works() {
    let d = Deployment::start(Kind::Embedded, 1, Vec::new())
        .await
        .unwrap();
    let api = d.api(&d.create_key("openai"));
    let long = std::fs::read(&crate::common::fixture("en_long").wav).unwrap();
    let form = reqwest::multipart::Form::new()
        .text("model", "whisper-1")
        .text("stream", "true")
        .part("file", wav_part("five_minutes.wav", wav_head(&long, 300)));
    let url = api.url("/v1/audio/transcriptions");
    let mut response = api.send(api.http.post(url).multipart(form)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let job_id = response.headers()["x-verbatim-job-id"]
        .to_str()
        .unwrap()
        .to_string();
    let mut buffer = String::new();
    let mut events: Vec<Value> = Vec::new();
    // The job's status when each delta arrived.
    let mut status_at_delta = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) else {
                continue; // a keep-alive comment
            };
            let event: Value = serde_json::from_str(data).unwrap();
            if event["type"] == "transcript.text.delta" {
                status_at_delta.push(api.job(&job_id).await["status"].clone());
            }
            events.push(event);
        }
    }
    let done = events.last().unwrap();
    assert_eq!(done["type"], "transcript.text.done", "{events:?}");
    let deltas: String = events
        .iter()
        .filter(|e| e["type"] == "transcript.text.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert_eq!(deltas, done["text"].as_str().unwrap());
    assert!(words(&deltas).len() > 300, "{deltas}");
    let while_working = status_at_delta.iter().filter(|s| *s != "DONE").count();
    assert!(
        while_working >= 1 && status_at_delta.len() >= 2,
        "no text before the job was done: statuses at each delta {status_at_delta:?}"
    );
    assert_eq!(api.job(&job_id).await["status"], "DONE");
}

#[tokio::test(flavor = "multi_thread")]
async fn past_the_wait_the_error_names_the_batch_job() {
    let env = vec![("VERBATIM_OPENAI_WAIT".to_string(), "1s".to_string())];
    let d = Deployment::start(Kind::Embedded, 0, env).await.unwrap();
    let key = d.create_key("openai-wait");
    let api = d.api(&key);
    let wav = std::fs::read(&short_clips()[0].wav).unwrap();
    // A prompt past its limit is refused in OpenAI's shape, naming the parameter, and queues
    // nothing.
    let long = "word ".repeat(250);
    let form = form_of(
        &[("model", "whisper-1"), ("prompt", long.as_str())],
        wav_part("clip.wav", wav.clone()),
    );
    let refused = api
        .send(
            api.http
                .post(api.url("/v1/audio/transcriptions"))
                .multipart(form),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["param"], "prompt", "{body}");
    assert_eq!(
        body["error"]["message"], "transcription_config.prompt must be 1 to 1000 characters",
        "{body}"
    );
    let form = form_of(&[("model", "whisper-1")], wav_part("clip.wav", wav));
    let started = std::time::Instant::now();
    let response = api
        .send(
            api.http
                .post(api.url("/v1/audio/transcriptions"))
                .multipart(form),
        )
        .await;
    assert!(started.elapsed().as_secs_f64() < 10.0);
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(response.headers()["x-should-retry"], "false");
    let body: Value = response.json().await.unwrap();
    let error = &body["error"];
    assert_eq!(error["code"], "job_still_running", "{body}");
    let message = error["message"].as_str().unwrap();
    let list: Value = api.get("/v1/batch/jobs").await.json().await.unwrap();
    let job = &list["items"][0];
    let id = job["job_id"].as_str().unwrap();
    assert!(
        message.contains(&format!("GET /v1/batch/jobs/{id}")),
        "{message}"
    );
    assert_eq!(job["status"], "QUEUED", "{list}");
}

/// The refusals made before an OpenAI route's handler (the key check, the upload cap, the rate
/// limit, an unknown path) come in OpenAI's shape, as OpenAI's clients read them: 401
/// `invalid_api_key` where the batch routes answer the contract's 403.
#[tokio::test(flavor = "multi_thread")]
async fn refusals_before_the_route_are_in_openais_shape() {
    let env = vec![
        ("VERBATIM_MAX_CONCURRENT_UPLOADS".into(), "1".into()),
        ("VERBATIM_BODY_MIN_RATE".into(), "4096".into()),
        ("VERBATIM_RATE_LIMIT_PER_MINUTE".into(), "3".into()),
        // No workers: a request that got past the refusals would wait for nothing.
        ("VERBATIM_OPENAI_WAIT".into(), "5s".into()),
    ];
    let Some(d) = Deployment::start(Kind::Embedded, 0, env).await else {
        return;
    };
    let (slow, calm, flood) = (
        d.api(&d.create_key("slow")),
        d.api(&d.create_key("calm")),
        d.api(&d.create_key("flood")),
    );
    let transcriptions = calm.url("/v1/audio/transcriptions");
    async fn openai_error(r: reqwest::Response) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let status = r.status();
        let headers = r.headers().clone();
        let body: Value = r.json().await.unwrap();
        let e = &body["error"];
        assert!(
            e["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
        assert!(e["type"].is_string() && e.get("param").is_some(), "{body}");
        assert!(e.get("code").is_some(), "{body}");
        (status, headers, body["error"].clone())
    }
    let retry = |h: &reqwest::header::HeaderMap| {
        h.get("x-should-retry")
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };

    // No key, or one the server does not know.
    let r = calm.http.post(&transcriptions).send().await.unwrap();
    let (status, headers, e) = openai_error(r).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(e["code"], "invalid_api_key", "{e}");
    assert_eq!(retry(&headers).as_deref(), Some("false"));
    let r = calm
        .http
        .get(calm.url("/v1/models"))
        .bearer_auth("sk-not-a-key")
        .send()
        .await
        .unwrap();
    let (status, _, e) = openai_error(r).await;
    assert_eq!(
        (status, &e["code"]),
        (StatusCode::UNAUTHORIZED, &json!("invalid_api_key"))
    );
    // The batch routes keep the contract's answer.
    let r = calm
        .http
        .get(calm.url("/v1/batch/jobs"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error": "API key id not found"})
    );

    // An unknown route under /v1/audio/.
    let r = calm
        .http
        .post(calm.url("/v1/audio/speech"))
        .bearer_auth(&calm.key)
        .send()
        .await
        .unwrap();
    let (status, _, _) = openai_error(r).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Three POSTs a minute per key: the fourth is refused, retryable, and queued nothing.
    for i in 0..4 {
        let r = flood
            .http
            .post(flood.url("/v1/audio/transcriptions"))
            .bearer_auth(&flood.key)
            // Not an upload: the upload cap has no say.
            .json(&json!({"model": "whisper-1"}))
            .send()
            .await
            .unwrap();
        let (status, headers, e) = openai_error(r).await;
        if i < 3 {
            assert_eq!(
                (status, &e["param"]),
                (StatusCode::BAD_REQUEST, &json!("file")),
                "{e}"
            );
        } else {
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{e}");
            assert_eq!(e["type"], "requests", "{e}");
            assert_eq!(e["code"], "rate_limit_exceeded", "{e}");
            assert!(headers.contains_key("retry-after"));
            assert_eq!(retry(&headers).as_deref(), Some("true"));
        }
    }

    // An upload trickling 2 KB/s holds the only upload slot: another is refused, retryable.
    let form = form_of(&[("model", "whisper-1")], trickling_part());
    let held = {
        let post = slow
            .http
            .post(slow.url("/v1/audio/transcriptions"))
            .bearer_auth(&slow.key)
            .multipart(form);
        tokio::spawn(async move { post.send().await.map(|r| r.status()) })
    };
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let form = form_of(&[("model", "whisper-1")], wav_part("a.wav", vec![0u8; 100]));
    let r = calm
        .http
        .post(&transcriptions)
        .bearer_auth(&calm.key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (status, headers, e) = openai_error(r).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{e}");
    assert_eq!(e["type"], "server_error", "{e}");
    assert!(headers.contains_key("retry-after"));
    assert_eq!(retry(&headers).as_deref(), Some("true"));
    held.abort();
}
