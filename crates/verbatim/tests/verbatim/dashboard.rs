//! The web dashboard (issue 16, README "The web dashboard"): served by the binary on both
//! deployments with its headers, and used end to end in a real headless Chromium
//! (dashboard_browser.py, through selenium; scripts/install-browser.sh installs both) against a
//! real `verbatim serve` transcribing a real two-speaker recording.

use std::path::PathBuf;
use std::process::Command;

use reqwest::{header, StatusCode};
use serde_json::Value;

use crate::common::fixtures_dir;
use crate::server::api::{form_of, wav_part};
use crate::server::deployment::{Deployment, Kind};
use crate::server::{assert_transcribes, client, repo_root, short_clips, words};

crate::server::deployment::on_both_deployments!(
    the_page_and_its_assets_are_served_without_a_key,
    a_recording_is_served_in_byte_ranges_for_the_player,
);

/// What the page loads, with the type each must have.
const ASSETS: &[(&str, &str)] = &[
    ("/", "text/html; charset=utf-8"),
    ("/dashboard/app.css", "text/css; charset=utf-8"),
    ("/dashboard/app.js", "text/javascript; charset=utf-8"),
    ("/dashboard/api.js", "text/javascript; charset=utf-8"),
    ("/dashboard/ui.js", "text/javascript; charset=utf-8"),
    ("/dashboard/upload.js", "text/javascript; charset=utf-8"),
    ("/dashboard/jobs.js", "text/javascript; charset=utf-8"),
    ("/dashboard/job.js", "text/javascript; charset=utf-8"),
    ("/dashboard/favicon.svg", "image/svg+xml"),
];

/// The page and every asset, without a key, with their types, revalidated caching (ETag, 304)
/// and, on the page, a Content-Security-Policy that allows no inline script and names where
/// the signed URLs point (the server itself, or S3 in a fleet). The bytes are the source files'.
async fn the_page_and_its_assets_are_served_without_a_key(kind: Kind) {
    let Some(d) = Deployment::start(kind, 0, Vec::new()).await else {
        return;
    };
    let http = client();
    for (path, content_type) in ASSETS {
        let r = http.get(d.server.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let headers = r.headers().clone();
        assert_eq!(headers[header::CONTENT_TYPE], *content_type, "{path}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache", "{path}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        let body = r.bytes().await.unwrap();
        let file = if *path == "/" {
            "index.html"
        } else {
            path.trim_start_matches("/dashboard/")
        };
        let source = std::fs::read(repo_root().join("crates/api/dashboard").join(file)).unwrap();
        assert_eq!(body.as_ref(), source.as_slice(), "{path} is not {file}");

        let etag = headers[header::ETAG].to_str().unwrap();
        let again = http
            .get(d.server.url(path))
            .header(header::IF_NONE_MATCH, etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
    }

    let page = http.get(d.server.url("/")).send().await.unwrap();
    let csp = page.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert_eq!(page.headers()[header::X_FRAME_OPTIONS], "DENY");
    let signed_origin = d.signed_url_base().trim_end_matches('/');
    assert!(
        csp.contains(&format!("media-src 'self' {signed_origin}")),
        "the audio's origin ({signed_origin}) is missing from {csp}"
    );

    let missing = http
        .get(d.server.url("/dashboard/nothing.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"], "Not found");
}

/// The player seeks by asking for byte ranges of the input's signed URL: the server's own signed
/// URLs answer them as S3's do (206 with Content-Range), and, on the embedded store, refuse a
/// range past the end with a 416 in the contract's error shape.
async fn a_recording_is_served_in_byte_ranges_for_the_player(kind: Kind) {
    let Some(d) = Deployment::start(kind, 0, Vec::new()).await else {
        return;
    };
    let api = d.api(&d.create_key("ranges"));
    let wav = std::fs::read(&short_clips()[0].wav).unwrap();
    let size = wav.len();
    let fields = [("transcription_config", r#"{"language":"en"}"#)];
    let job = api
        .submit_form(form_of(&fields, wav_part("clip.wav", wav.clone())))
        .await;
    let files = api.files(text(&job["job_id"])).await;
    let url = text(&files["inputs"][0]["download_url"]).to_string();
    let http = client();
    let get = |range: &str| {
        http.get(&url)
            .header(header::RANGE, range.to_string())
            .send()
    };

    let r = get("bytes=100-1099").await.unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        r.headers()[header::CONTENT_RANGE],
        format!("bytes 100-1099/{size}").as_str()
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), &wav[100..1100]);

    let r = get("bytes=-10").await.unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &wav[size - 10..]);

    let r = get(&format!("bytes={}-", size - 5)).await.unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &wav[size - 5..]);

    let whole = http.get(&url).send().await.unwrap();
    assert_eq!(whole.status(), StatusCode::OK);
    let accepts_ranges = whole.headers().get(header::ACCEPT_RANGES).cloned();
    assert_eq!(whole.bytes().await.unwrap().as_ref(), wav.as_slice());

    if !d.is_fleet() {
        // S3 answers these its own way (XML); the server's own URLs as the contract does.
        assert_eq!(accepts_ranges.unwrap(), "bytes");
        let r = get(&format!("bytes={size}-")).await.unwrap();
        assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(
            r.headers()[header::CONTENT_RANGE],
            format!("bytes */{size}").as_str()
        );
        let body: Value = r.json().await.unwrap();
        assert!(
            text(&body["error"]).starts_with("Range not satisfiable"),
            "{body}"
        );
        // Several ranges: the whole object.
        let r = get("bytes=0-9,20-29").await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.bytes().await.unwrap().len(), size);
    }
}

/// selenium's virtual environment, made by scripts/install-browser.sh.
fn python() -> PathBuf {
    crate::common::venv_tool(
        "VERBATIM_BROWSER_PYTHON",
        "tests/.venv-browser/bin/python",
        "scripts/install-browser.sh",
    )
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// A person's whole round in headless Chromium: a wrong key refused with the API's message,
/// sign-in, two recordings uploaded with byte progress (the two-speaker one through the
/// presigned flow, a short one as multipart, cancelled while queued and deleted), the list
/// following the job to DONE by itself, the job page's words, a click seeking the audio, the
/// highlight following playback, search, S1 renamed "Alice" (the srt says so), a word fixed
/// (the txt and json say so, with its timing), the original restored, the job deleted, sign-out;
/// no console error beyond the refused key. Screenshots go to docs/screenshots/.
#[tokio::test(flavor = "multi_thread")]
async fn a_person_transcribes_reads_corrects_and_deletes_in_chromium() {
    let d = Deployment::start(Kind::Embedded, 1, Vec::new())
        .await
        .unwrap();
    let key = d.create_key("dashboard");
    let api = d.api(&key);
    let two_speakers = fixtures_dir().join("speakers/two_speakers_turns.wav");
    let reference =
        std::fs::read_to_string(fixtures_dir().join("speakers/two_speakers.txt")).unwrap();
    let short = &short_clips()[0];
    let shots = repo_root().join("docs/screenshots");
    let out = Command::new(python())
        .arg(repo_root().join("crates/verbatim/tests/verbatim/dashboard_browser.py"))
        .arg(&d.server.base)
        .arg(&key)
        .arg(&two_speakers)
        .arg(&short.wav)
        .arg(&shots)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dashboard_browser.py failed:\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        d.server.log()
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();

    // Sign-in: the API's own refusal is shown; the key is kept in the tab's session only.
    assert_eq!(r["title"], "Sign in – Verbatim");
    assert_eq!(r["wrong_key_error"], "Sign-in failed: API key id not found");
    let refused = r["wrong_key_console"].as_array().unwrap();
    assert!(
        refused.len() == 1 && text(&refused[0]).contains("403"),
        "only the refused key's 403 may reach the console: {refused:?}"
    );
    assert_eq!(r["key_in_session_storage_before"], 0);
    assert_eq!(r["key_in_session_storage"], true);
    assert_eq!(r["key_in_local_storage"], 0);
    assert_eq!(r["key_after_sign_out"], 0);

    // Uploads: both bars full, the large file through the presigned flow, the small one direct.
    for bar in r["upload_bars"].as_array().unwrap() {
        assert!(bar[1].as_f64().unwrap() > 0.0 && bar[0] == bar[1], "{bar}");
    }
    let long = api.job(text(&r["long_job"])).await;
    let short_job = api.job(text(&r["short_job"])).await;
    assert_eq!(long["input_metadata"]["source"], "presigned", "{long}");
    assert_eq!(
        short_job["input_metadata"]["source"], "upload",
        "{short_job}"
    );
    assert_eq!(
        long["job_config"]["tracking"]["title"],
        "two_speakers_turns.wav"
    );
    assert_eq!(
        long["job_config"]["transcription_config"]["diarization"],
        "speaker"
    );

    // The short job was cancelled while it waited, then deleted.
    assert_eq!(r["short_status_before_cancel"], "QUEUED");
    assert!(
        text(&r["short_row_after_cancel"]).contains("Cancelled"),
        "{}",
        r["short_row_after_cancel"]
    );
    assert_eq!(short_job["status"], "DELETED", "{short_job}");
    assert_eq!(short_job["error_message"]["message"], "Cancelled");

    // The list followed the long job by itself, through working states, to DONE.
    let statuses: Vec<&str> = r["long_statuses_seen"]
        .as_array()
        .unwrap()
        .iter()
        .map(text)
        .collect();
    assert!(
        statuses.len() >= 2 && statuses.contains(&"DONE"),
        "{statuses:?}"
    );
    let row = text(&r["long_row"]);
    assert!(
        row.contains("two_speakers_turns.wav") && row.contains("1:03"),
        "{row}"
    );

    // The job page: the reference's words, both speakers, the recording playable.
    let page_words: Vec<&str> = r["words"].as_array().unwrap().iter().map(text).collect();
    assert_transcribes(&page_words.join(" "), &reference);
    let tags: Vec<&str> = r["speaker_tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(text)
        .collect();
    assert!(tags.contains(&"S1") && tags.contains(&"S2"), "{tags:?}");
    assert!(
        (r["audio_duration"].as_f64().unwrap() - 62.7).abs() < 0.5,
        "{}",
        r["audio_duration"]
    );

    // A click moved the player to the word, which is highlighted; playing moved the highlight on.
    let seek = &r["seek"];
    let start = seek["word_start"].as_f64().unwrap();
    assert!(start > 5.0, "{seek}");
    assert!(
        (seek["after"].as_f64().unwrap() - start).abs() < 0.05,
        "{seek}"
    );
    assert!(seek["before"].as_f64().unwrap() < 1.0, "{seek}");
    assert!(text(&seek["speaking"]).contains("speaking"), "{seek}");
    assert_eq!(r["keyboard_seek"], true);
    let highlighted = r["highlight_after_play"].as_f64().unwrap();
    let played_to = r["time_after_play"].as_f64().unwrap();
    assert!(
        highlighted > start && highlighted <= played_to + 0.01,
        "the highlight ({highlighted}) did not follow the audio from {start} to {played_to}"
    );

    // Search found the word it looked for.
    let search = &r["search"];
    let query = text(&search["query"]).to_lowercase();
    let found = search["highlighted"].as_array().unwrap();
    assert!(
        !found.is_empty()
            && found
                .iter()
                .all(|w| text(w).to_lowercase().contains(&query)),
        "{search}"
    );
    assert!(text(&search["count"]).ends_with(if found.len() == 1 { "match" } else { "matches" }));

    // Corrections: S1 is Alice in the srt; the fixed word is in the txt and the json, keeping
    // its timing; restoring brings back the original everywhere.
    let before = text(&r["srt_before"]);
    assert!(
        !before.contains("Alice") && before.contains("S1"),
        "{before}"
    );
    let renamed = text(&r["srt_after_rename"]);
    assert!(
        renamed.contains("Alice"),
        "the srt after renaming S1:\n{renamed}"
    );
    let original_word = text(&r["word_before_fix"]);
    assert_ne!(original_word, "Verbatim");
    assert!(
        text(&r["word_original_note"]).contains(original_word),
        "{}",
        r["word_original_note"]
    );
    assert!(
        words(text(&r["txt_after_fix"])).contains(&"verbatim".to_string()),
        "{}",
        r["txt_after_fix"]
    );
    let results = r["json_after_fix"]["results"].as_array().unwrap();
    let fixed = results
        .iter()
        .find(|item| item["alternatives"][0]["content"] == "Verbatim")
        .unwrap_or_else(|| panic!("no word Verbatim in the json"));
    assert!(fixed["start_time"].as_f64().unwrap() < fixed["end_time"].as_f64().unwrap());
    let restored = text(&r["srt_after_restore"]);
    assert_eq!(
        restored, before,
        "the srt after restoring is not the original"
    );
    assert!(!words(text(&r["txt_after_restore"])).contains(&"verbatim".to_string()));
    let downloads: Vec<&str> = r["downloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(text)
        .collect();
    for format in ["json", "txt", "srt", "vtt"] {
        assert!(
            downloads.contains(&format!("Download {format}").as_str()),
            "{downloads:?}"
        );
    }

    // Deleted through the page, for real.
    let long = api.job(text(&r["long_job"])).await;
    assert_eq!(long["status"], "DELETED", "{long}");
    assert!(text(&r["notice"]).starts_with("Deleted"), "{}", r["notice"]);

    // Readable at phone width; nothing went wrong in the browser's console.
    assert!(
        r["phone_scroll_width"].as_u64().unwrap() <= r["phone_client_width"].as_u64().unwrap(),
        "the job page is wider than a 375 px phone: {} > {}",
        r["phone_scroll_width"],
        r["phone_client_width"]
    );
    assert_eq!(r["console_severe"], Value::Array(Vec::new()));
    for shot in ["sign-in.png", "jobs.png", "job.png", "job-phone.png"] {
        let size = std::fs::metadata(shots.join(shot)).unwrap().len();
        assert!(size > 10_000, "{shot}: {size} bytes");
    }
}
