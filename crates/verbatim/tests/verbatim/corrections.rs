//! Transcript corrections (docs/extensions.md), over real HTTP on both deployments: a real
//! two-speaker recording, diarized; speakers renamed and a word fixed through `PATCH
//! .../transcript`; every output served afterwards says so with the same timings; concurrent
//! changes converge; dropping the corrections gives back the original files byte for byte.

use std::time::Duration;

use crate::common::fixture;
use crate::server::api::{assert_error, download, error_of, form_of, wav_part, Api, JOBS};
use crate::server::assert_transcribes;
use crate::server::deployment::{Deployment, Kind};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

crate::server::deployment::on_both_deployments!(corrections_rename_speakers_and_fix_words);

const JOB_LIMIT: Duration = Duration::from_secs(300);
const FORMATS: [&str; 4] = ["json", "txt", "srt", "vtt"];

async fn patch(api: &Api, id: &str, body: &Value) -> Response {
    let url = api.url(&format!("{JOBS}/{id}/transcript"));
    api.send(api.http.patch(url).json(body)).await
}

async fn ok_json(r: Response) -> Value {
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// Every output of a DONE job, in FORMATS order, downloaded from its signed URL.
async fn outputs(api: &Api, id: &str) -> Vec<String> {
    let files = api.files(id).await;
    let mut texts = Vec::new();
    for format in FORMATS {
        let output = files["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["format"] == format)
            .unwrap_or_else(|| panic!("no {format} output: {files}"));
        texts.push(download(&api.http, output["download_url"].as_str().unwrap()).await);
    }
    texts
}

/// The cue timing lines of an srt or vtt (`00:00:01,000 --> 00:00:02,500`).
fn timings(subtitles: &str) -> Vec<&str> {
    subtitles.lines().filter(|l| l.contains("-->")).collect()
}

/// Each json word result's times and speaker.
fn json_words(json: &str) -> Vec<(f64, f64, String, String)> {
    let doc: Value = serde_json::from_str(json).unwrap();
    doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "word")
        .map(|r| {
            let alternative = &r["alternatives"][0];
            (
                r["start_time"].as_f64().unwrap(),
                r["end_time"].as_f64().unwrap(),
                alternative["content"].as_str().unwrap().to_string(),
                alternative["speaker"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn corrections_rename_speakers_and_fix_words(kind: Kind) {
    let Some(d) = Deployment::start(kind, 1, Vec::new()).await else {
        return;
    };
    let api = d.api(&d.create_key("org1"));
    let turns = fixture("two_speakers_turns");
    let fields = [(
        "transcription_config",
        r#"{"language":"en","diarization":"speaker"}"#,
    )];
    let submitted = api
        .submit_form(form_of(
            &fields,
            wav_part("turns.wav", std::fs::read(&turns.wav).unwrap()),
        ))
        .await;
    let id = submitted["job_id"].as_str().unwrap().to_string();
    let transcript_path = format!("{JOBS}/{id}/transcript");
    let early = api.get(&transcript_path).await;
    if early.status() != StatusCode::OK {
        let (status, message) = error_of(early).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(
            message.starts_with(
                "The transcript can be read and corrected once the job is DONE; it is "
            ),
            "{message}"
        );
    }
    let job = api.wait(&id, JOB_LIMIT).await;
    assert_eq!(job["status"], "DONE", "{job}");

    // The view: every word with its index, times and speaker label.
    let view = ok_json(api.get(&transcript_path).await).await;
    assert_eq!(
        (view["revision"].clone(), view["speakers"].clone()),
        (json!(0), json!({}))
    );
    let words = view["words"].as_array().unwrap();
    let text: Vec<&str> = words.iter().map(|w| w["text"].as_str().unwrap()).collect();
    assert_transcribes(&text.join(" "), &turns.reference());
    for (i, w) in words.iter().enumerate() {
        assert_eq!(w["index"], i);
        assert!(
            w["start"].as_f64().unwrap() <= w["end"].as_f64().unwrap(),
            "{w}"
        );
        assert!(w.get("original").is_none(), "{w}");
    }
    let labels: std::collections::BTreeSet<&str> =
        words.iter().filter_map(|w| w["speaker"].as_str()).collect();
    assert!(labels.contains("S1") && labels.contains("S2"), "{labels:?}");
    let original = outputs(&api, &id).await;
    assert!(original[2].contains("[S1] "), "{}", original[2]);

    // Rename S1, fix the first word.
    let first = words[0]["text"].as_str().unwrap().to_string();
    let changed = ok_json(
        patch(
            &api,
            &id,
            &json!({"speakers": {"S1": "Alice"}, "words": [{"index": 0, "text": "Zebra"}]}),
        )
        .await,
    )
    .await;
    assert_eq!(changed["revision"], 1);
    assert_eq!(changed["speakers"], json!({"S1": "Alice"}));
    assert_eq!(changed["words"][0]["text"], "Zebra");
    assert_eq!(changed["words"][0]["original"], first.as_str());
    assert_eq!(
        changed["words"][0]["speaker"], words[0]["speaker"],
        "labels stay in the view"
    );
    assert_eq!(ok_json(api.get(&transcript_path).await).await, changed);

    let corrected = outputs(&api, &id).await;
    let [json_out, txt, srt, vtt] = [0, 1, 2, 3].map(|i| corrected[i].as_str());
    assert!(srt.contains("[Alice] ") && !srt.contains("[S1]"), "{srt}");
    assert!(srt.contains("[S2] "), "{srt}");
    assert!(
        vtt.contains("<v Alice>") && !vtt.contains("<v S1>"),
        "{vtt}"
    );
    assert!(txt.contains("Alice:") && !txt.contains("S1:"), "{txt}");
    for (format, text) in FORMATS.iter().zip(&corrected) {
        assert!(text.contains("Zebra"), "{format}: {text}");
    }
    assert_eq!(timings(srt), timings(&original[2]), "srt timings kept");
    assert_eq!(timings(vtt), timings(&original[3]), "vtt timings kept");
    let (before, after) = (json_words(&original[0]), json_words(json_out));
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!((b.0, b.1), (a.0, a.1), "json word times kept");
        let renamed = if b.3 == "S1" { "Alice" } else { b.3.as_str() };
        assert_eq!(a.3, renamed);
    }

    // Refusals name what is wrong, and change nothing.
    let n = words.len();
    for (body, message) in [
        (
            json!({"speakers": {"S9": "Zed"}}),
            "speakers.S9: the transcript has no speaker \"S9\"".to_string(),
        ),
        (
            json!({"words": [{"index": n, "text": "x"}]}),
            format!(
                "words[0].index: the transcript has {n} words (0 to {})",
                n - 1
            ),
        ),
        (
            json!({"words": [{"index": 1, "text": " "}]}),
            "words[0].text: must not be empty (null restores the original)".to_string(),
        ),
    ] {
        assert_error(
            patch(&api, &id, &body).await,
            StatusCode::BAD_REQUEST,
            &message,
        )
        .await;
    }
    let (status, message) = error_of(patch(&api, &id, &json!(["not", "an", "object"])).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        message.starts_with("The body must be a JSON object"),
        "{message}"
    );
    let stranger = api.with_key(&d.create_key("org2"));
    assert_error(
        patch(&stranger, &id, &json!({"speakers": {"S1": "Eve"}})).await,
        StatusCode::NOT_FOUND,
        "Job not found",
    )
    .await;
    assert_error(
        stranger.get(&transcript_path).await,
        StatusCode::NOT_FOUND,
        "Job not found",
    )
    .await;
    assert_eq!(
        ok_json(api.get(&transcript_path).await).await["revision"],
        1
    );

    // Concurrent renames: none is lost (each is a revision), and the files show the last one.
    let renames = (0..6).map(|i| {
        let api = api.with_key(&api.key);
        let id = id.clone();
        tokio::spawn(async move {
            ok_json(patch(&api, &id, &json!({"speakers": {"S2": format!("Bob{i}")}})).await).await
        })
    });
    for rename in renames.collect::<Vec<_>>() {
        rename.await.unwrap();
    }
    let last = ok_json(api.get(&transcript_path).await).await;
    assert_eq!(last["revision"], 7, "{}", last["speakers"]);
    let bob = last["speakers"]["S2"].as_str().unwrap().to_string();
    let srt = &outputs(&api, &id).await[2];
    assert!(
        srt.contains(&format!("[{bob}] ")) && srt.contains("[Alice] "),
        "{bob}: {srt}"
    );

    // Dropping the corrections gives the engine's files back, byte for byte.
    let reset_url = api.url(&format!("{transcript_path}/corrections"));
    let reset = ok_json(api.send(api.http.delete(&reset_url)).await).await;
    assert_eq!(
        (reset["revision"].clone(), reset["speakers"].clone()),
        (json!(8), json!({}))
    );
    assert_eq!(reset["words"], view["words"]);
    assert_eq!(outputs(&api, &id).await, original);

    // A deleted job's transcript is gone, and a change cannot bring its files back.
    assert_eq!(
        api.delete(&format!("{JOBS}/{id}")).await.status(),
        StatusCode::ACCEPTED
    );
    let (status, message) =
        error_of(patch(&api, &id, &json!({"speakers": {"S1": "Alice"}})).await).await;
    assert_eq!(
        (status, message.as_str()),
        (
            StatusCode::CONFLICT,
            "The transcript can be read and corrected once the job is DONE; it is DELETED"
        )
    );
    assert!(
        d.output_files().iter().all(|f| !f.contains(id.as_str())),
        "{:?}",
        d.output_files()
    );
}
