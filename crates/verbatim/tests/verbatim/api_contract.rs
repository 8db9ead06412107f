//! The contract's requests and every error row, over real HTTP against `verbatim serve` with no
//! workers (jobs stay QUEUED, so nothing here waits on recognition). Speech runs in api_speech.rs.

use std::time::Duration;

use crate::server::api::{accepted, assert_error, error_of, form_of, wav_part, Api, JOBS};
use crate::server::deployment::{Deployment, Kind};
use reqwest::multipart::{Form, Part};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

const LANGS: [&str; 55] = [
    "ar", "ba", "be", "bg", "bn", "ca", "cs", "cy", "da", "de", "el", "en", "eo", "es", "et", "eu",
    "fa", "fi", "fr", "ga", "gl", "he", "hi", "hr", "hu", "ia", "id", "it", "ja", "ko", "lt", "lv",
    "mn", "mr", "ms", "mt", "nl", "no", "pl", "pt", "ro", "ru", "sk", "sl", "sv", "sw", "ta", "th",
    "tl", "tr", "ug", "uk", "ur", "vi", "zh",
];
const LIMIT: u64 = 2 << 20;

crate::server::deployment::on_both_deployments!(
    auth_is_required_everywhere_and_keys_are_walls,
    multipart_job_record_files_and_delete_rule,
    submit_validation_errors,
    list_filters_sorting_pages_and_errors,
    presign_three_steps_and_signed_put_rules,
    multipart_over_the_limit_is_413_and_leaves_nothing,
    expired_signed_urls_are_refused,
);

struct Ctx {
    d: Deployment,
    api: Api,
}

/// The API with no workers (jobs stay QUEUED) and a 2 MB upload limit; `None` when the fleet
/// services are missing outside CI.
async fn start(kind: Kind) -> Option<Ctx> {
    let d = Deployment::start(
        kind,
        0,
        vec![("VERBATIM_MAX_UPLOAD_BYTES".into(), LIMIT.to_string())],
    )
    .await?;
    let api = d.api(&d.create_key("acme"));
    Some(Ctx { d, api })
}

fn wav_bytes(seconds: f32) -> Vec<u8> {
    // A real RIFF/WAVE header over silence: enough for the api, which never decodes.
    let samples = (16000.0 * seconds) as u32;
    let data_len = samples * 2;
    let mut v = Vec::with_capacity(44 + data_len as usize);
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&(36 + data_len).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&16000u32.to_le_bytes());
    v.extend_from_slice(&32000u32.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&16u16.to_le_bytes());
    v.extend_from_slice(b"data");
    v.extend_from_slice(&data_len.to_le_bytes());
    v.resize(44 + data_len as usize, 0);
    v
}

fn form(config: &str, extra: &[(&str, &str)]) -> Form {
    let fields: Vec<(&str, &str)> = extra
        .iter()
        .copied()
        .chain([("transcription_config", config)])
        .collect();
    form_of(&fields, wav_part("talk.wav", wav_bytes(0.5)))
}

impl Ctx {
    async fn submit(&self, extra: &[(&str, &str)]) -> String {
        let body = self
            .api
            .submit_form(form(r#"{"language":"en"}"#, extra))
            .await;
        assert_eq!(body["status"], "QUEUED");
        body["job_id"].as_str().unwrap().to_string()
    }

    fn input_files(&self) -> Vec<String> {
        self.d.input_files()
    }

    /// Asserts the 413 of an upload past the limit, and that it left nothing behind.
    async fn assert_too_large(&self, r: Response, why: &str) {
        let message = "File too large. Maximum size is 2 MB.";
        assert_error(r, StatusCode::PAYLOAD_TOO_LARGE, message).await;
        assert_eq!(self.input_files(), Vec::<String>::new(), "{why}");
    }

    /// A PUT to a signed URL, with this Content-Type when there is one.
    async fn put(
        &self,
        url: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        let mut put = self.api.http.put(url).body(body);
        if let Some(content_type) = content_type {
            put = put.header("content-type", content_type);
        }
        put.send().await.unwrap()
    }
}

/// Asserts the answer to a submission that is accepted as `job_id`, queued.
async fn assert_queued(r: Response, job_id: &str) {
    assert_eq!(
        accepted(r).await,
        json!({"job_id": job_id, "status": "QUEUED"})
    );
}

async fn auth_is_required_everywhere_and_keys_are_walls(kind: Kind) {
    let Some(c) = start(kind).await else { return };
    let job = c.submit(&[("job_id", "walled1")]).await;
    assert_eq!(job, "walled1");
    let paths = [
        ("GET", "/v1/batch/jobs".to_string()),
        ("POST", "/v1/batch/jobs".to_string()),
        ("GET", format!("/v1/batch/jobs/{job}")),
        ("DELETE", format!("/v1/batch/jobs/{job}")),
        ("GET", format!("/v1/batch/jobs/{job}/files")),
    ];
    for (method, path) in &paths {
        for auth in [
            None,
            Some("Bearer vb_nope"),
            Some("Basic abc"),
            Some("Bearer "),
            Some(c.api.key.as_str()),
        ] {
            // The real key without "Bearer" is malformed too.
            let mut req = c.api.http.request(method.parse().unwrap(), c.api.url(path));
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            let (status, msg) = error_of(req.send().await.unwrap()).await;
            assert_eq!(
                (status, msg.as_str()),
                (StatusCode::FORBIDDEN, "API key id not found"),
                "{method} {path} {auth:?}"
            );
        }
    }
    // Another organisation sees nothing of this job: exactly as if it did not exist.
    let other = c.api.with_key(&c.d.create_key("globex"));
    for (method, path) in &paths[2..] {
        let r = other
            .send(c.api.http.request(method.parse().unwrap(), c.api.url(path)))
            .await;
        assert_eq!(
            error_of(r).await,
            (StatusCode::NOT_FOUND, "Job not found".into()),
            "{method} {path}"
        );
    }
    let list: Value = other.get("/v1/batch/jobs").await.json().await.unwrap();
    assert_eq!(list["meta"]["total"], 0);
    // ...and cannot take its id either (ids are unique across organisations).
    let r = other.post_form(form("{}", &[("job_id", "walled1")])).await;
    assert_error(r, StatusCode::CONFLICT, "Job ID already exists").await;

    // A revoked key is refused.
    let out = c.d.cli(&["keys", "list"]);
    let listing = String::from_utf8(out.stdout).unwrap();
    let globex_id = listing
        .lines()
        .find(|l| l.contains("globex"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let out = c.d.cli(&["keys", "revoke", &globex_id]);
    assert!(out.status.success());
    assert_error(
        other.get("/v1/batch/jobs").await,
        StatusCode::FORBIDDEN,
        "API key id not found",
    )
    .await;
    assert!(
        !listing.contains(&other.key),
        "keys list must never show a secret"
    );
}

async fn multipart_job_record_files_and_delete_rule(kind: Kind) {
    let Some(c) = start(kind).await else { return };
    let r = c
        .api
        .post_form(form(
            r#"{"language":"en","operating_point":"standard"}"#,
            &[
                ("job_id", "myjob123"),
                ("metadata", r#"{"customer":"x"}"#),
                (
                    "tracking",
                    r#"{"title":"t","reference":"r","tags":["a"],"details":{"k":1}}"#,
                ),
                (
                    "output_config",
                    r#"{"srt_overrides":{"max_line_length":20,"max_lines":1}}"#,
                ),
                ("model_code", "slng/speechmatics/batch:15.0.0"),
            ],
        ))
        .await;
    assert_queued(r, "myjob123").await;

    let job: Value = c.api.get_json("/v1/batch/jobs/myjob123").await;
    for field in [
        "job_id",
        "status",
        "api_key_id",
        "organisation_id",
        "model_code",
        "job_config",
        "input_metadata",
        "output_metadata",
        "error_message",
        "submitted_at",
        "started_at",
        "completed_at",
        "deleted_at",
        "expired_at",
        "updated_at",
    ] {
        assert!(job.get(field).is_some(), "BatchJob lacks {field}: {job}");
    }
    assert_eq!(job["status"], "QUEUED");
    assert_eq!(job["model_code"], "slng/speechmatics/batch:15.0.0");
    assert_eq!(job["job_config"]["type"], "transcription");
    assert_eq!(job["job_config"]["transcription_config"]["language"], "en");
    assert_eq!(job["job_config"]["tracking"]["tags"], json!(["a"]));
    assert_eq!(
        job["job_config"]["output_config"]["srt_overrides"]["max_line_length"],
        20
    );
    assert_eq!(job["input_metadata"]["source"], "upload");
    assert_eq!(job["input_metadata"]["format"], "wav");
    assert_eq!(job["input_metadata"]["size_bytes"], wav_bytes(0.5).len());
    assert_eq!(job["output_metadata"], json!({}));
    assert_eq!(job["error_message"], Value::Null);
    assert!(chrono_like(job["submitted_at"].as_str().unwrap()));
    assert!(
        job.get("input_key").is_none() && job.get("attempts").is_none(),
        "internal fields leak: {job}"
    );

    // Before DONE: the input and no outputs; its signed URL downloads the bytes without a key.
    let files: Value = c.api.get_json("/v1/batch/jobs/myjob123/files").await;
    assert_eq!(files["job_id"], "myjob123");
    assert_eq!(files["outputs"], json!([]));
    let input = &files["inputs"][0];
    assert_eq!(input["key"], "inputs/myjob123.wav");
    assert_eq!(
        input["s3_uri"],
        format!("s3://{}/inputs/myjob123.wav", c.d.input_bucket)
    );
    let url = input["download_url"].as_str().unwrap();
    assert!(url.starts_with(c.d.signed_url_base()), "{url}");
    let got = c.api.http.get(url).send().await.unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.bytes().await.unwrap().to_vec(), wav_bytes(0.5));
    // A changed byte anywhere in the signed part is refused (S3 answers in its own XML).
    let expires = if c.d.is_fleet() {
        "X-Amz-Expires="
    } else {
        "expires="
    };
    for tampered in [
        url.replace("myjob123.wav", "myjob124.wav"),
        flip_last_hex(url),
        url.replace(expires, &format!("{expires}1")),
    ] {
        let r = c.api.http.get(&tampered).send().await.unwrap();
        assert!(
            matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{tampered}"
        );
        if !c.d.is_fleet() {
            error_of(r).await;
        }
    }
    // A GET URL does not allow PUT.
    let r = c.put(url, None, "x").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(c.d.read_input("inputs/myjob123.wav"), wav_bytes(0.5));

    // Not DONE or FAILED: 409; the job and its input stay.
    let r = c.api.delete("/v1/batch/jobs/myjob123").await;
    assert_error(
        r,
        StatusCode::CONFLICT,
        "Job must be DONE or FAILED to delete",
    )
    .await;
    assert!(c.input_files().contains(&"inputs/myjob123.wav".to_string()));

    // Same id again: 409, and the first job's input is untouched.
    let r = c.api.post_form(form("{}", &[("job_id", "myjob123")])).await;
    assert_error(r, StatusCode::CONFLICT, "Job ID already exists").await;
    assert_eq!(c.d.read_input("inputs/myjob123.wav"), wav_bytes(0.5));

    // A job_id part after the file part still names the job and its key.
    let f = Form::new()
        .text("transcription_config", "{}")
        .part("file", Part::bytes(wav_bytes(0.2)).file_name("late.mp3"))
        .text("job_id", "lateid");
    let r = c.api.post_form(f).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let files: Value = c.api.get_json("/v1/batch/jobs/lateid/files").await;
    assert_eq!(files["inputs"][0]["key"], "inputs/lateid.mp3");
    let on_disk = c.input_files();
    assert_eq!(
        on_disk.iter().filter(|f| f.ends_with(".mp3")).count(),
        1,
        "the staging copy is gone: {on_disk:?}"
    );

    // A generated id has the contract's shape.
    let id = c.submit(&[]).await;
    assert!(
        id.len() == 35
            && id.starts_with("job")
            && id[3..]
                .chars()
                .all(|ch| ch.is_ascii_hexdigit() && !ch.is_ascii_uppercase())
    );
}

fn chrono_like(s: &str) -> bool {
    s.len() >= 20 && s.ends_with('Z') && s.as_bytes()[10] == b'T'
}

fn flip_last_hex(url: &str) -> String {
    let mut s = url.to_string();
    let last = s.pop().unwrap();
    s.push(if last == '0' { '1' } else { '0' });
    s
}

async fn submit_validation_errors(kind: Kind) {
    let Some(c) = start(kind).await else { return };
    let cases: Vec<(Form, StatusCode, &str)> = vec![
        (form(r#"{"language":"xx"}"#, &[]), StatusCode::BAD_REQUEST, "Unsupported language: xx"),
        (form(r#"{"langauge":"en"}"#, &[]), StatusCode::BAD_REQUEST, "Unknown field in transcription_config: langauge"),
        (form(r#"{"output_locale":"en-XX"}"#, &[]), StatusCode::BAD_REQUEST, "Unsupported output_locale: en-XX"),
        (form(r#"{"domain":""}"#, &[]), StatusCode::BAD_REQUEST, "transcription_config.domain must be 1 to 64 characters"),
        (form(r#"{"diarization":"speakers"}"#, &[]), StatusCode::BAD_REQUEST, "Invalid transcription_config.diarization: speakers"),
        (form(r#"{"operating_point":"fast"}"#, &[]), StatusCode::BAD_REQUEST, "Invalid transcription_config.operating_point"),
        (form(r#"{"enable_entities":"yes"}"#, &[]), StatusCode::BAD_REQUEST, "transcription_config.enable_entities must be a boolean"),
        (form(r#"{"additional_vocab":[{"sounds_like":["x"]}]}"#, &[]), StatusCode::BAD_REQUEST, "transcription_config.additional_vocab[0].content"),
        (form("{}", &[("output_config", r#"{"srt":{}}"#)]), StatusCode::BAD_REQUEST, "Unknown field in output_config: srt"),
        (form("{}", &[("tracking", r#"{"titel":"x"}"#)]), StatusCode::BAD_REQUEST, "Unknown field in tracking: titel"),
        (form("{}", &[("model_code", "acme/nope:1")]), StatusCode::BAD_REQUEST, "Unknown model_code: acme/nope:1"),
        (form("{}", &[("job_id", "bad-id")]), StatusCode::BAD_REQUEST, "job_id must be alphanumeric"),
        (form("{}", &[("metadata", "[1,2]")]), StatusCode::BAD_REQUEST, "metadata must be a JSON object"),
        (form("not json", &[]), StatusCode::BAD_REQUEST, "transcription_config must be valid JSON"),
        (Form::new().text("transcription_config", "{}"), StatusCode::BAD_REQUEST, "file is required"),
        (
            Form::new().part("file", Part::bytes(wav_bytes(0.1)).file_name("a.wav")),
            StatusCode::BAD_REQUEST,
            "transcription_config is required",
        ),
        (
            Form::new().text("transcription_config", "{}").part("file", Part::bytes(vec![1, 2, 3]).file_name("a.exe")),
            StatusCode::BAD_REQUEST,
            "Unsupported file format: a.exe. Supported: wav, mp3, flac, aac, ogg, m4a, mp4, amr, mpeg",
        ),
    ];
    for (f, status, message) in cases {
        let (s, m) = error_of(c.api.post_form(f).await).await;
        assert!(
            s == status && m.starts_with(message),
            "{s} {m} (wanted {status} {message})"
        );
    }
    // Nothing was left behind by the refused uploads.
    assert_eq!(c.input_files(), Vec::<String>::new());

    // JSON forms.
    let cases = vec![
        (
            json!({"input_url": "http://example.com/a.wav", "transcription_config": {}}),
            "input_url must use https",
        ),
        (
            json!({"input_url": "https://example.com/a.wav"}),
            "transcription_config is required",
        ),
        (
            json!({"input_url": "https://example.com/a.wav", "transcription_config": {"x": 1}}),
            "Unknown field in transcription_config: x",
        ),
        (
            json!({"input_url": "https://example.com/a.wav", "transcription_config": {}, "job_id": "a b"}),
            "job_id must be alphanumeric",
        ),
        (
            json!({"mode": "presign", "transcription_config": {}}),
            "filename is required",
        ),
        (
            json!({"mode": "presign", "filename": "../x.wav", "transcription_config": {}}),
            "filename must be a plain file name",
        ),
        (
            json!({"mode": "other", "filename": "x.wav", "transcription_config": {}}),
            "mode must be \"presign\"",
        ),
        (
            json!({"s3_key": "inputs/abc/x.wav", "transcription_config": {}}),
            "job_id is required with s3_key",
        ),
        (json!({"transcription_config": {}}), "Missing input"),
        (json!([1]), "Request body must be a JSON object"),
    ];
    // A URL must not reach the server's own network.
    let private_hosts = [
        ("https://127.0.0.1/a.wav", "127.0.0.1"),
        ("https://10.1.2.3/a.wav", "10.1.2.3"),
        (
            "https://169.254.169.254/latest/meta-data/",
            "169.254.169.254",
        ),
        ("https://[fd00:ec2::254]/a", "[fd00:ec2::254]"),
        ("https://localhost:9/a.wav", "localhost"),
    ];
    let private_host_cases = private_hosts.map(|(url, host)| {
        (
            json!({"input_url": url, "transcription_config": {}}),
            format!("input_url host {host} resolves to a private or reserved address"),
        )
    });
    let cases = cases
        .into_iter()
        .map(|(body, message)| (body, message.to_string()))
        .chain(private_host_cases);
    for (body, message) in cases {
        let (s, m) = error_of(c.api.post_json(&body).await).await;
        assert!(
            s == StatusCode::BAD_REQUEST && m.starts_with(&message),
            "{body}: {s} {m} (wanted {message})"
        );
    }
    // Not JSON, a content type that is neither form, unknown routes and methods: still {"error"}.
    for (content_type, body, status, message) in [
        (
            "application/json",
            "{oops",
            StatusCode::BAD_REQUEST,
            "Request body must be valid JSON",
        ),
        ("text/plain", "hi", StatusCode::UNSUPPORTED_MEDIA_TYPE, ""),
    ] {
        let post = c.api.http.post(c.api.url(JOBS));
        let post = post.header("content-type", content_type).body(body);
        let (s, m) = error_of(c.api.send(post).await).await;
        assert!(s == status && m.starts_with(message), "{s} {m}");
    }
    let r = c.api.http.get(c.api.url("/v1/nothing")).send().await;
    assert_error(r.unwrap(), StatusCode::NOT_FOUND, "Not found").await;
    let r = c.api.send(c.api.http.patch(c.api.url(JOBS))).await;
    assert_eq!(error_of(r).await.0, StatusCode::METHOD_NOT_ALLOWED);
    for bad in ["job-1", "job_1", "a%20b"] {
        let (s, m) = error_of(c.api.get(&format!("/v1/batch/jobs/{bad}")).await).await;
        assert_eq!(
            (s, m.as_str()),
            (StatusCode::BAD_REQUEST, "job_id must be alphanumeric"),
            "{bad}"
        );
        let r = c.api.delete(&format!("/v1/batch/jobs/{bad}")).await;
        assert_eq!(error_of(r).await.0, StatusCode::BAD_REQUEST);
        assert_eq!(
            error_of(c.api.get(&format!("/v1/batch/jobs/{bad}/files")).await)
                .await
                .0,
            StatusCode::BAD_REQUEST
        );
    }
    assert_error(
        c.api.get("/v1/batch/jobs/nosuchjob").await,
        StatusCode::NOT_FOUND,
        "Job not found",
    )
    .await;

    // Every contract language and "auto" pass (presign step 1 creates no job, so it is cheap).
    for lang in LANGS.iter().chain(&["auto"]) {
        let r = c.api.post_json(&json!({"mode": "presign", "filename": "a.wav", "transcription_config": {"language": lang}})).await;
        assert_eq!(r.status(), StatusCode::OK, "{lang}");
    }
}

async fn list_filters_sorting_pages_and_errors(kind: Kind) {
    let Some(c) = start(kind).await else { return };
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(c.submit(&[("job_id", &format!("list{i}"))]).await);
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    // One job under another model code (installed models are model codes too).
    let other_model = form("{}", &[("job_id", "other1"), ("model_code", "tiny.en")]);
    c.api.submit_form(other_model).await;

    let list = |q: &'static str| {
        let c = &c;
        async move {
            let r = c.api.get(&format!("/v1/batch/jobs{q}")).await;
            assert_eq!(r.status(), StatusCode::OK, "{q}");
            r.json::<Value>().await.unwrap()
        }
    };
    let ids_of = |v: &Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["job_id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };

    let all = list("").await;
    assert_eq!(
        all["meta"],
        json!({"page": 1, "page_size": 20, "total": 6, "pages": 1})
    );
    assert_eq!(
        ids_of(&all)[..5],
        ["other1", "list4", "list3", "list2", "list1"],
        "newest first by default"
    );

    let asc = list("?sort_order=asc&page_size=2&page=2").await;
    assert_eq!(ids_of(&asc), ["list2", "list3"]);
    assert_eq!(
        asc["meta"],
        json!({"page": 2, "page_size": 2, "total": 6, "pages": 3})
    );
    assert_eq!(ids_of(&list("?page=9").await), Vec::<String>::new());

    let by_model = list("?model_code=tiny.en").await;
    assert_eq!(ids_of(&by_model), ["other1"]);
    let sorted = list("?sort_by=model_code&sort_order=desc").await;
    assert_eq!(ids_of(&sorted)[0], "other1");
    assert_eq!(list("?status=DONE,FAILED").await["meta"]["total"], 0);
    assert_eq!(list("?status=QUEUED").await["meta"]["total"], 6);
    assert_eq!(list("?status=POST_PROCESSING").await["meta"]["total"], 0);
    assert_eq!(list("?sort_by=status").await["meta"]["total"], 6);

    let third: Value = c.api.get_json("/v1/batch/jobs/list2").await;
    let t = third["submitted_at"].as_str().unwrap().replace('+', "%2B");
    let after: Value = c
        .api
        .get_json(&format!(
            "/v1/batch/jobs?submitted_after={t}&sort_order=asc"
        ))
        .await;
    assert_eq!(ids_of(&after), ["list3", "list4", "other1"]);
    let before: Value = c
        .api
        .get_json(&format!(
            "/v1/batch/jobs?submitted_before={t}&sort_order=asc"
        ))
        .await;
    assert_eq!(ids_of(&before), ["list0", "list1"]);

    for (q, message) in [
        ("status=BOGUS", "Invalid status value(s): BOGUS. Allowed: DECODING, DELETED, DONE, FAILED, IN_PROGRESS, QUEUED"),
        ("page=0", "Invalid page: 0"),
        ("page=abc", "Invalid page: abc"),
        ("page_size=0", "Invalid page_size: 0"),
        ("page_size=101", "Invalid page_size: 101"),
        ("sort_by=name", "Invalid sort_by: name"),
        ("sort_order=sideways", "Invalid sort_order: sideways"),
        ("submitted_after=yesterday", "Invalid submitted_after: yesterday"),
        ("submitted_before=2026-02-30T00:00:00Z", "Invalid submitted_before"),
    ] {
        let (s, m) = error_of(c.api.get(&format!("/v1/batch/jobs?{q}")).await).await;
        assert!(s == StatusCode::BAD_REQUEST && m.starts_with(message), "{q}: {s} {m}");
    }
}

async fn presign_three_steps_and_signed_put_rules(kind: Kind) {
    let Some(c) = start(kind).await else { return };
    let r = c.api.post_json(&json!({"mode": "presign", "filename": "audio.wav", "content_type": "audio/wav", "job_id": "pre1",
                   "transcription_config": {"language": "en"}, "tracking": {"title": "x"}}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let step1: Value = r.json().await.unwrap();
    assert_eq!(step1["job_id"], "pre1");
    assert_eq!(step1["transcription_config"]["language"], "en");
    assert_eq!(step1["tracking"], json!({"title": "x"}));
    assert!(step1.get("output_config").is_none());
    let (input, output) = (&c.d.input_bucket, &c.d.output_bucket);
    assert_eq!(
        step1["input_s3_uri"],
        format!("s3://{input}/inputs/pre1/audio.wav")
    );
    assert_eq!(
        step1["output_s3_prefix"],
        format!("s3://{output}/outputs/pre1/")
    );
    let upload = &step1["upload"];
    assert_eq!(upload["s3_key"], "inputs/pre1/audio.wav");
    assert_eq!(
        upload["s3_uri"],
        format!("s3://{input}/inputs/pre1/audio.wav")
    );
    assert_eq!(upload["expires_in"], 1800);
    assert_eq!(upload["headers"], json!({"Content-Type": "audio/wav"}));
    let url = upload["url"].as_str().unwrap();
    assert!(url.starts_with(c.d.signed_url_base()), "{url}");
    // No job exists yet.
    assert_eq!(
        c.api.get("/v1/batch/jobs/pre1").await.status(),
        StatusCode::NOT_FOUND
    );

    // Step 3 before the upload: refused, and the reservation survives.
    let step3 = json!({"s3_key": "inputs/pre1/audio.wav", "job_id": "pre1", "transcription_config": {"language": "en"},
                       "metadata": {"m": 1}});
    let (s, m) = error_of(c.api.post_json(&step3).await).await;
    assert!(
        s == StatusCode::BAD_REQUEST && m.starts_with("Nothing was uploaded"),
        "{m}"
    );

    // Step 2: a tampered signature is refused by whoever checks it (the API, or S3 itself).
    let r = c
        .put(&flip_last_hex(url), Some("audio/wav"), wav_bytes(0.1))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    if c.d.is_fleet() {
        // S3 cannot cap the size of a presigned PUT (object_store signs only `host`, see
        // blob/src/s3.rs): step 3 refuses an oversized upload with the same 413 and deletes it,
        // and the reservation stays, so the client can upload a smaller file.
        let r = c
            .put(url, Some("audio/wav"), vec![0u8; LIMIT as usize + 1])
            .await;
        assert!(r.status().is_success(), "{}", r.status());
        // The URL writes a staging key of the reservation; step 3 moves it under inputs/.
        let staged = c.input_files();
        assert!(
            staged.len() == 1
                && staged[0].starts_with("uploads/pre1.")
                && staged[0].ends_with("/audio.wav"),
            "{staged:?}"
        );
        let r = c.api.post_json(&step3).await;
        c.assert_too_large(r, "the oversized upload is deleted")
            .await;
        assert_eq!(
            c.api.get("/v1/batch/jobs/pre1").await.status(),
            StatusCode::NOT_FOUND
        );
    } else {
        // The API's own signed PUT needs exactly the signed Content-Type; over the limit is 413.
        let r = c
            .put(url, Some("application/octet-stream"), wav_bytes(0.1))
            .await;
        assert_eq!(error_of(r).await.0, StatusCode::FORBIDDEN);
        let r = c.put(url, None, wav_bytes(0.1)).await;
        assert_eq!(error_of(r).await.0, StatusCode::FORBIDDEN);
        let r = c
            .put(url, Some("audio/wav"), vec![0u8; LIMIT as usize + 1])
            .await;
        c.assert_too_large(r, "nothing left by the refused PUT")
            .await;
    }
    let r = c.put(url, Some("audio/wav"), wav_bytes(0.5)).await;
    assert_eq!(r.status(), StatusCode::OK);

    // Another organisation cannot finish someone else's upload.
    let other = c.api.with_key(&c.d.create_key("globex"));
    let (s, _) = error_of(other.post_json(&step3).await).await;
    assert!(s == StatusCode::BAD_REQUEST || s == StatusCode::CONFLICT);
    // Step 3 with a key outside the job's folder.
    let (s, m) = error_of(c.api.post_json(&json!({"s3_key": "inputs/other/audio.wav", "job_id": "pre1", "transcription_config": {}})).await).await;
    assert!(
        s == StatusCode::BAD_REQUEST && m.starts_with("s3_key must be"),
        "{m}"
    );

    assert_queued(c.api.post_json(&step3).await, "pre1").await;
    let job: Value = c.api.get_json("/v1/batch/jobs/pre1").await;
    assert_eq!(job["input_metadata"]["source"], "presigned");
    assert_eq!(job["input_metadata"]["size_bytes"], wav_bytes(0.5).len());
    assert_eq!(job["metadata"], json!({"m": 1}));
    assert_eq!(
        job["job_config"]["tracking"],
        Value::Null,
        "tracking was not sent in step 3"
    );
    let files: Value = c.api.get_json("/v1/batch/jobs/pre1/files").await;
    assert_eq!(files["inputs"][0]["key"], "inputs/pre1/audio.wav");
    // Step 3 twice: the job exists.
    assert_error(
        c.api.post_json(&step3).await,
        StatusCode::CONFLICT,
        "Job ID already exists",
    )
    .await;
    // A taken id cannot be presigned again.
    let r = c.api.post_json(&json!({"mode": "presign", "filename": "b.wav", "job_id": "pre1", "transcription_config": {}})).await;
    assert_error(r, StatusCode::CONFLICT, "Job ID already exists").await;
}

async fn multipart_over_the_limit_is_413_and_leaves_nothing(kind: Kind) {
    let Some(c) = start(kind).await else { return };
    let big = |len: usize| {
        let file = Part::bytes(vec![7u8; len]).file_name("big.wav");
        form_of(&[("job_id", "big1"), ("transcription_config", "{}")], file)
    };
    let r = c.api.post_form(big(LIMIT as usize + 10)).await;
    c.assert_too_large(r, "the refused upload left nothing")
        .await;
    assert_eq!(
        c.api.get("/v1/batch/jobs/big1").await.status(),
        StatusCode::NOT_FOUND
    );
    // The id is free again, and a file of exactly the limit is accepted.
    c.api.submit_form(big(LIMIT as usize)).await;
}

async fn expired_signed_urls_are_refused(kind: Kind) {
    let Some(c) = start(kind).await else { return };
    let id = c.submit(&[]).await;
    let store: Box<dyn blob::BlobStore> = if c.d.is_fleet() {
        // Signed like the fleet's API signs (same endpoint, bucket, and the AWS credentials that
        // scripts/start-test-services.sh exports to every process).
        let env: std::collections::HashMap<_, _> = c.d.env.iter().cloned().collect();
        let config = blob::S3Config {
            endpoint: Some(env["VERBATIM_S3_ENDPOINT"].clone()),
            region: env["VERBATIM_S3_REGION"].clone(),
            input_bucket: env["VERBATIM_INPUT_BUCKET"].clone(),
            output_bucket: env["VERBATIM_OUTPUT_BUCKET"].clone(),
            aws: ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
                .into_iter()
                .filter_map(|k| Some((k.to_string(), std::env::var(k).ok()?)))
                .collect(),
        };
        Box::new(blob::S3BlobStore::open(config).unwrap())
    } else {
        // Signed with the server's own key (in its data folder) through the blob crate.
        Box::new(
            blob::LocalBlobStore::open(&c.d.server.data_dir, &c.d.server.base, "input", "output")
                .unwrap(),
        )
    };
    let url = store
        .presign(
            blob::Access::Get,
            blob::Bucket::Input,
            &format!("inputs/{id}.wav"),
            "audio/wav",
            Duration::from_secs(1),
        )
        .await
        .unwrap();
    assert_eq!(
        c.api.http.get(&url).send().await.unwrap().status(),
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = c.api.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    if !c.d.is_fleet() {
        assert_eq!(error_of(r).await.1, "Signed URL has expired");
    }
}
