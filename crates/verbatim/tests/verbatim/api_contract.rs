//! The contract's requests and every error row, over real HTTP against `verbatim serve` with no
//! workers (jobs stay QUEUED, so nothing here waits on recognition). Speech runs in api_speech.rs.

use std::time::Duration;

use crate::server::client;
use crate::server::deployment::{Deployment, Kind};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
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
    http: reqwest::Client,
    key: String,
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
    let key = d.create_key("acme");
    Some(Ctx {
        d,
        http: client(),
        key,
    })
}

async fn error_of(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let ct = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body: Value = response
        .json()
        .await
        .unwrap_or_else(|e| panic!("error body is not JSON ({ct}): {e}"));
    let obj = body.as_object().expect("error body is an object");
    assert_eq!(obj.len(), 1, "error body has only `error`: {body}");
    (
        status,
        body["error"]
            .as_str()
            .expect("error is a string")
            .to_string(),
    )
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
    let mut f = Form::new();
    for (k, v) in extra {
        f = f.text(k.to_string(), v.to_string());
    }
    f.text("transcription_config", config.to_string()).part(
        "file",
        Part::bytes(wav_bytes(0.5))
            .file_name("talk.wav")
            .mime_str("audio/wav")
            .unwrap(),
    )
}

impl Ctx {
    async fn post_form(&self, key: &str, form: Form) -> reqwest::Response {
        self.http
            .post(self.d.server.url("/v1/batch/jobs"))
            .bearer_auth(key)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }
    async fn post_json(&self, key: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.d.server.url("/v1/batch/jobs"))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .unwrap()
    }
    async fn get(&self, key: &str, path: &str) -> reqwest::Response {
        self.http
            .get(self.d.server.url(path))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
    }
    async fn submit(&self, extra: &[(&str, &str)]) -> String {
        let r = self
            .post_form(&self.key, form(r#"{"language":"en"}"#, extra))
            .await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["status"], "QUEUED");
        body["job_id"].as_str().unwrap().to_string()
    }
    fn input_files(&self) -> Vec<String> {
        self.d.input_files()
    }
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
            Some(c.key.as_str()),
        ] {
            // The real key without "Bearer" is malformed too.
            let mut req = c
                .http
                .request(method.parse().unwrap(), c.d.server.url(path));
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
    let other = c.d.create_key("globex");
    for (method, path) in &paths[2..] {
        let r = c
            .http
            .request(method.parse().unwrap(), c.d.server.url(path))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_of(r).await,
            (StatusCode::NOT_FOUND, "Job not found".into()),
            "{method} {path}"
        );
    }
    let list: Value = c.get(&other, "/v1/batch/jobs").await.json().await.unwrap();
    assert_eq!(list["meta"]["total"], 0);
    // ...and cannot take its id either (ids are unique across organisations).
    let r = c
        .post_form(&other, form("{}", &[("job_id", "walled1")]))
        .await;
    assert_eq!(
        error_of(r).await,
        (StatusCode::CONFLICT, "Job ID already exists".into())
    );

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
    let (status, msg) = error_of(c.get(&other, "/v1/batch/jobs").await).await;
    assert_eq!(
        (status, msg.as_str()),
        (StatusCode::FORBIDDEN, "API key id not found")
    );
    assert!(
        !listing.contains(&other),
        "keys list must never show a secret"
    );
}

async fn multipart_job_record_files_and_delete_rule(kind: Kind) {
    let Some(c) = start(kind).await else { return };
    let r = c
        .post_form(
            &c.key,
            form(
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
            ),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"job_id": "myjob123", "status": "QUEUED"})
    );

    let job: Value = c
        .get(&c.key, "/v1/batch/jobs/myjob123")
        .await
        .json()
        .await
        .unwrap();
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
    let files: Value = c
        .get(&c.key, "/v1/batch/jobs/myjob123/files")
        .await
        .json()
        .await
        .unwrap();
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
    let got = c.http.get(url).send().await.unwrap();
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
        let r = c.http.get(&tampered).send().await.unwrap();
        assert!(
            matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{tampered}"
        );
        if !c.d.is_fleet() {
            error_of(r).await;
        }
    }
    // A GET URL does not allow PUT.
    let r = c.http.put(url).body("x").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(c.d.read_input("inputs/myjob123.wav"), wav_bytes(0.5));

    // Not DONE or FAILED: 409; the job and its input stay.
    let r = c
        .http
        .delete(c.d.server.url("/v1/batch/jobs/myjob123"))
        .bearer_auth(&c.key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(r).await,
        (
            StatusCode::CONFLICT,
            "Job must be DONE or FAILED to delete".into()
        )
    );
    assert!(c.input_files().contains(&"inputs/myjob123.wav".to_string()));

    // Same id again: 409, and the first job's input is untouched.
    let r = c
        .post_form(&c.key, form("{}", &[("job_id", "myjob123")]))
        .await;
    assert_eq!(
        error_of(r).await,
        (StatusCode::CONFLICT, "Job ID already exists".into())
    );
    assert_eq!(c.d.read_input("inputs/myjob123.wav"), wav_bytes(0.5));

    // A job_id part after the file part still names the job and its key.
    let f = Form::new()
        .text("transcription_config", "{}")
        .part("file", Part::bytes(wav_bytes(0.2)).file_name("late.mp3"))
        .text("job_id", "lateid");
    let r = c.post_form(&c.key, f).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let files: Value = c
        .get(&c.key, "/v1/batch/jobs/lateid/files")
        .await
        .json()
        .await
        .unwrap();
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
        let (s, m) = error_of(c.post_form(&c.key, f).await).await;
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
            json!({"input_url": "https://127.0.0.1/a.wav", "transcription_config": {}}),
            "input_url host 127.0.0.1 resolves to a private or reserved address",
        ),
        (
            json!({"input_url": "https://10.1.2.3/a.wav", "transcription_config": {}}),
            "input_url host 10.1.2.3 resolves to a private or reserved address",
        ),
        (
            json!({"input_url": "https://169.254.169.254/latest/meta-data/", "transcription_config": {}}),
            "input_url host 169.254.169.254 resolves",
        ),
        (
            json!({"input_url": "https://[fd00:ec2::254]/a", "transcription_config": {}}),
            "input_url host [fd00:ec2::254] resolves",
        ),
        (
            json!({"input_url": "https://localhost:9/a.wav", "transcription_config": {}}),
            "input_url host localhost resolves",
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
    for (body, message) in cases {
        let (s, m) = error_of(c.post_json(&c.key, body.clone()).await).await;
        assert!(
            s == StatusCode::BAD_REQUEST && m.starts_with(message),
            "{body}: {s} {m} (wanted {message})"
        );
    }
    // Not JSON, a content type that is neither form, unknown routes and methods: still {"error"}.
    let r = c
        .http
        .post(c.d.server.url("/v1/batch/jobs"))
        .bearer_auth(&c.key)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(r).await,
        (
            StatusCode::BAD_REQUEST,
            "Request body must be valid JSON".into()
        )
    );
    let r = c
        .http
        .post(c.d.server.url("/v1/batch/jobs"))
        .bearer_auth(&c.key)
        .header("content-type", "text/plain")
        .body("hi")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = c
        .http
        .get(c.d.server.url("/v1/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(r).await,
        (StatusCode::NOT_FOUND, "Not found".into())
    );
    let r = c
        .http
        .patch(c.d.server.url("/v1/batch/jobs"))
        .bearer_auth(&c.key)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, StatusCode::METHOD_NOT_ALLOWED);
    for bad in ["job-1", "job_1", "a%20b"] {
        let (s, m) = error_of(c.get(&c.key, &format!("/v1/batch/jobs/{bad}")).await).await;
        assert_eq!(
            (s, m.as_str()),
            (StatusCode::BAD_REQUEST, "job_id must be alphanumeric"),
            "{bad}"
        );
        let r = c
            .http
            .delete(c.d.server.url(&format!("/v1/batch/jobs/{bad}")))
            .bearer_auth(&c.key)
            .send()
            .await
            .unwrap();
        assert_eq!(error_of(r).await.0, StatusCode::BAD_REQUEST);
        assert_eq!(
            error_of(c.get(&c.key, &format!("/v1/batch/jobs/{bad}/files")).await)
                .await
                .0,
            StatusCode::BAD_REQUEST
        );
    }
    let (s, m) = error_of(c.get(&c.key, "/v1/batch/jobs/nosuchjob").await).await;
    assert_eq!((s, m.as_str()), (StatusCode::NOT_FOUND, "Job not found"));

    // Every contract language and "auto" pass (presign step 1 creates no job, so it is cheap).
    for lang in LANGS.iter().chain(&["auto"]) {
        let r = c.post_json(&c.key, json!({"mode": "presign", "filename": "a.wav", "transcription_config": {"language": lang}})).await;
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
    let r = c
        .post_form(
            &c.key,
            form("{}", &[("job_id", "other1"), ("model_code", "tiny.en")]),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::ACCEPTED,
        "{}",
        r.text().await.unwrap()
    );

    let list = |q: &'static str| {
        let c = &c;
        async move {
            let r = c.get(&c.key, &format!("/v1/batch/jobs{q}")).await;
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

    let third: Value = c
        .get(&c.key, "/v1/batch/jobs/list2")
        .await
        .json()
        .await
        .unwrap();
    let t = third["submitted_at"].as_str().unwrap().replace('+', "%2B");
    let after: Value = c
        .get(
            &c.key,
            &format!("/v1/batch/jobs?submitted_after={t}&sort_order=asc"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids_of(&after), ["list3", "list4", "other1"]);
    let before: Value = c
        .get(
            &c.key,
            &format!("/v1/batch/jobs?submitted_before={t}&sort_order=asc"),
        )
        .await
        .json()
        .await
        .unwrap();
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
        let (s, m) = error_of(c.get(&c.key, &format!("/v1/batch/jobs?{q}")).await).await;
        assert!(s == StatusCode::BAD_REQUEST && m.starts_with(message), "{q}: {s} {m}");
    }
}

async fn presign_three_steps_and_signed_put_rules(kind: Kind) {
    let Some(c) = start(kind).await else { return };
    let r = c
        .post_json(
            &c.key,
            json!({"mode": "presign", "filename": "audio.wav", "content_type": "audio/wav", "job_id": "pre1",
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
        c.get(&c.key, "/v1/batch/jobs/pre1").await.status(),
        StatusCode::NOT_FOUND
    );

    // Step 3 before the upload: refused, and the reservation survives.
    let step3 = json!({"s3_key": "inputs/pre1/audio.wav", "job_id": "pre1", "transcription_config": {"language": "en"},
                       "metadata": {"m": 1}});
    let (s, m) = error_of(c.post_json(&c.key, step3.clone()).await).await;
    assert!(
        s == StatusCode::BAD_REQUEST && m.starts_with("Nothing was uploaded"),
        "{m}"
    );

    // Step 2: a tampered signature is refused by whoever checks it (the API, or S3 itself).
    let r = c
        .http
        .put(flip_last_hex(url))
        .header("content-type", "audio/wav")
        .body(wav_bytes(0.1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    if c.d.is_fleet() {
        // S3 cannot cap the size of a presigned PUT (object_store signs only `host`, see
        // blob/src/s3.rs): step 3 refuses an oversized upload with the same 413 and deletes it,
        // and the reservation stays, so the client can upload a smaller file.
        let r = c
            .http
            .put(url)
            .header("content-type", "audio/wav")
            .body(vec![0u8; LIMIT as usize + 1])
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        // The URL writes a staging key of the reservation; step 3 moves it under inputs/.
        let staged = c.input_files();
        assert!(
            staged.len() == 1
                && staged[0].starts_with("uploads/pre1.")
                && staged[0].ends_with("/audio.wav"),
            "{staged:?}"
        );
        let (s, m) = error_of(c.post_json(&c.key, step3.clone()).await).await;
        assert_eq!(
            (s, m.as_str()),
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                "File too large. Maximum size is 2 MB."
            )
        );
        assert_eq!(
            c.input_files(),
            Vec::<String>::new(),
            "the oversized upload is deleted"
        );
        assert_eq!(
            c.get(&c.key, "/v1/batch/jobs/pre1").await.status(),
            StatusCode::NOT_FOUND
        );
    } else {
        // The API's own signed PUT needs exactly the signed Content-Type; over the limit is 413.
        let r = c
            .http
            .put(url)
            .header("content-type", "application/octet-stream")
            .body(wav_bytes(0.1))
            .send()
            .await
            .unwrap();
        assert_eq!(error_of(r).await.0, StatusCode::FORBIDDEN);
        let r = c.http.put(url).body(wav_bytes(0.1)).send().await.unwrap();
        assert_eq!(error_of(r).await.0, StatusCode::FORBIDDEN);
        let r = c
            .http
            .put(url)
            .header("content-type", "audio/wav")
            .body(vec![0u8; LIMIT as usize + 1])
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_of(r).await,
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                "File too large. Maximum size is 2 MB.".into()
            )
        );
        assert_eq!(
            c.input_files(),
            Vec::<String>::new(),
            "nothing left by the refused PUT"
        );
    }
    let r = c
        .http
        .put(url)
        .header("content-type", "audio/wav")
        .body(wav_bytes(0.5))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // Another organisation cannot finish someone else's upload.
    let other = c.d.create_key("globex");
    let (s, _) = error_of(c.post_json(&other, step3.clone()).await).await;
    assert!(s == StatusCode::BAD_REQUEST || s == StatusCode::CONFLICT);
    // Step 3 with a key outside the job's folder.
    let (s, m) = error_of(c.post_json(&c.key, json!({"s3_key": "inputs/other/audio.wav", "job_id": "pre1", "transcription_config": {}})).await).await;
    assert!(
        s == StatusCode::BAD_REQUEST && m.starts_with("s3_key must be"),
        "{m}"
    );

    let r = c.post_json(&c.key, step3.clone()).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"job_id": "pre1", "status": "QUEUED"})
    );
    let job: Value = c
        .get(&c.key, "/v1/batch/jobs/pre1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(job["input_metadata"]["source"], "presigned");
    assert_eq!(job["input_metadata"]["size_bytes"], wav_bytes(0.5).len());
    assert_eq!(job["metadata"], json!({"m": 1}));
    assert_eq!(
        job["job_config"]["tracking"],
        Value::Null,
        "tracking was not sent in step 3"
    );
    let files: Value = c
        .get(&c.key, "/v1/batch/jobs/pre1/files")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(files["inputs"][0]["key"], "inputs/pre1/audio.wav");
    // Step 3 twice: the job exists.
    assert_eq!(
        error_of(c.post_json(&c.key, step3).await).await,
        (StatusCode::CONFLICT, "Job ID already exists".into())
    );
    // A taken id cannot be presigned again.
    let r = c.post_json(&c.key, json!({"mode": "presign", "filename": "b.wav", "job_id": "pre1", "transcription_config": {}})).await;
    assert_eq!(
        error_of(r).await,
        (StatusCode::CONFLICT, "Job ID already exists".into())
    );
}

async fn multipart_over_the_limit_is_413_and_leaves_nothing(kind: Kind) {
    let Some(c) = start(kind).await else { return };
    let f = Form::new()
        .text("job_id", "big1")
        .text("transcription_config", "{}")
        .part(
            "file",
            Part::bytes(vec![7u8; LIMIT as usize + 10]).file_name("big.wav"),
        );
    let (s, m) = error_of(c.post_form(&c.key, f).await).await;
    assert_eq!(
        (s, m.as_str()),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            "File too large. Maximum size is 2 MB."
        )
    );
    assert_eq!(c.input_files(), Vec::<String>::new());
    assert_eq!(
        c.get(&c.key, "/v1/batch/jobs/big1").await.status(),
        StatusCode::NOT_FOUND
    );
    // The id is free again, and a file of exactly the limit is accepted.
    let f = Form::new()
        .text("job_id", "big1")
        .text("transcription_config", "{}")
        .part(
            "file",
            Part::bytes(vec![7u8; LIMIT as usize]).file_name("big.wav"),
        );
    assert_eq!(c.post_form(&c.key, f).await.status(), StatusCode::ACCEPTED);
}

async fn expired_signed_urls_are_refused(kind: Kind) {
    let Some(c) = start(kind).await else { return };
    let id = c.submit(&[]).await;
    let url = if c.d.is_fleet() {
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
        let store = blob::S3BlobStore::open(config).unwrap();
        blob::BlobStore::presign_get(
            &store,
            blob::Bucket::Input,
            &format!("inputs/{id}.wav"),
            "audio/wav",
            Duration::from_secs(1),
        )
        .await
        .unwrap()
    } else {
        // Signed with the server's own key (in its data folder) through the blob crate.
        let store =
            blob::LocalBlobStore::open(&c.d.server.data_dir, &c.d.server.base, "input", "output")
                .unwrap();
        blob::BlobStore::presign_get(
            &store,
            blob::Bucket::Input,
            &format!("inputs/{id}.wav"),
            "audio/wav",
            Duration::from_secs(1),
        )
        .await
        .unwrap()
    };
    assert_eq!(
        c.http.get(&url).send().await.unwrap().status(),
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = c.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    if !c.d.is_fleet() {
        assert_eq!(error_of(r).await.1, "Signed URL has expired");
    }
}
