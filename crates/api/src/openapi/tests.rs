//! The document's shape, and real answers against its schemas: the JSON is built by hand
//! (`json!`) where the schema types are written beside it, so these tests keep the two together.

use chrono::{TimeZone, Utc};
use jobs::job_config::{OutputConfig, Tracking};
use jobs::{
    DeliveryState, InputMetadata, InputSource, Job, JobConfig, JobStatus, NotificationConfig,
    OutputMetadata, Progress, Stage, TranscriptionConfig,
};
use serde_json::{json, Value};

use super::document;

fn doc() -> Value {
    serde_json::to_value(document()).unwrap()
}

/// A validator of the component schema `name`, its `$ref`s resolved in the whole document.
fn validator(name: &str) -> jsonschema::Validator {
    let mut root = doc();
    root["$ref"] = json!(format!("#/components/schemas/{name}"));
    jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("schema {name}: {e}"))
}

fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn the_document_is_openapi_3_1_and_covers_every_route() {
    let d = doc();
    assert_eq!(d["openapi"], "3.1.0");
    let mut operations: Vec<String> = Vec::new();
    for (path, item) in d["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    operations.sort();
    assert_eq!(
        operations,
        [
            "DELETE /v1/batch/jobs/{job_id}",
            "DELETE /v1/batch/jobs/{job_id}/transcript/corrections",
            "GET /health",
            "GET /v1/batch/jobs",
            "GET /v1/batch/jobs/{job_id}",
            "GET /v1/batch/jobs/{job_id}/files",
            "GET /v1/batch/jobs/{job_id}/transcript",
            "GET /v1/models",
            "PATCH /v1/batch/jobs/{job_id}/transcript",
            "POST /v1/audio/transcriptions",
            "POST /v1/audio/translations",
            "POST /v1/batch/jobs",
            "POST /v1/batch/jobs/{job_id}/cancel",
        ]
    );
    assert_eq!(
        d["components"]["securitySchemes"]["api_key"]["scheme"],
        "bearer"
    );
    // Every route but the health check wants the key, and documents its refusal.
    for (path, item) in d["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if path == "/health" {
                continue;
            }
            assert_eq!(op["security"], json!([{"api_key": []}]), "{method} {path}");
            // The OpenAI routes refuse as OpenAI does: 401.
            let refusal = if crate::openai::error::is_openai_path(path) {
                "401"
            } else {
                "403"
            };
            assert!(
                op["responses"][refusal].is_object(),
                "{method} {path}: no {refusal}"
            );
        }
    }
}

#[test]
fn the_languages_are_the_job_stores() {
    let language = &doc()["components"]["schemas"]["TranscriptionConfig"]["properties"]["language"];
    let listed = language["enum"].as_array().unwrap();
    for code in jobs::job_config::LANGUAGES.iter().chain(&["auto"]) {
        assert!(listed.contains(&json!(code)), "{code} missing: {language}");
        assert!(code.parse::<jobs::Language>().is_ok());
    }
}

fn time(s: i64) -> chrono::DateTime<Utc> {
    Utc.timestamp_opt(1_780_000_000 + s, 0).unwrap()
}

/// A job with every optional part set, as a webhook-asking, progressing, failed job has them.
fn full_job(status: JobStatus) -> (Job, NotificationConfig) {
    let transcription = TranscriptionConfig::parse(&json!({
        "language": "de", "operating_point": "enhanced", "diarization": "speaker",
        "domain": "finance", "output_locale": "en_gb", "enable_entities": true,
        "additional_vocab": [{"content": "Verbatim", "sounds_like": ["verb a team"]}, {"content": "SLNG"}],
        "speaker_diarization_config": {"max_speakers": 3, "speaker_sensitivity": 0.7, "prefer_current_speaker": true},
        "task": "translate", "prompt": "Quarterly results.", "temperature": 0.4
    }))
    .unwrap();
    let tracking = Tracking::parse(
        &json!({"title": "t", "reference": "r", "tags": ["a"], "details": {"k": [1]}}),
    )
    .unwrap();
    let output =
        OutputConfig::parse(&json!({"srt_overrides": {"max_line_length": 40, "max_lines": 3}}))
            .unwrap();
    let notifications = NotificationConfig::parse(&json!([
        {"url": "https://hooks.example.com/a", "contents": ["jobinfo", "transcript.srt"], "method": "put", "auth_headers": ["X-Token: 1"]},
        {"url": "https://hooks.example.com/b"},
        {"url": "https://hooks.example.com/c", "contents": []}
    ]))
    .unwrap();
    let mut input = InputMetadata::new(InputSource::Presigned);
    input.size_bytes = Some(1000);
    input.duration_seconds = Some(3.5);
    input.format = Some("wav".into());
    input.mime_type = Some("audio/wav".into());
    let output_metadata = OutputMetadata {
        language: Some("de".into()),
        formats: vec!["json".into(), "txt".into()],
        duration_seconds: Some(3.5),
        word_count: Some(7),
        model: Some("base".into()),
        compute_type: Some("int8".into()),
        diarization: Some("done".into()),
    };
    let job = Job {
        job_id: "myjob123".into(),
        status,
        api_key_id: "key1".into(),
        organisation_id: "org".into(),
        model_code: crate::DEFAULT_MODEL_CODE.into(),
        job_config: JobConfig::transcription(transcription, Some(tracking), Some(output))
            .with_retention_seconds(Some(60))
            .with_notification_config(Some(notifications.clone())),
        metadata: Some(json!({"any": {"thing": [1, null]}})),
        input_metadata: input,
        output_metadata,
        error_message: Some("Cancelled".into()),
        input_key: Some("inputs/myjob123/a.wav".into()),
        input_url: None,
        submitted_at: time(0),
        started_at: Some(time(1)),
        completed_at: Some(time(2)),
        deleted_at: Some(time(3)),
        expired_at: Some(time(4)),
        updated_at: time(5),
        attempts: 1,
        progress: Some(Progress {
            stage: Stage::Diarizing,
            fraction: 0.5,
            audio_seconds_done: 1.75,
            eta_seconds: Some(2.0),
        }),
        heartbeat_at: Some(time(2)),
        streams_text: true,
    };
    (job, notifications)
}

/// A job just queued: every optional part absent.
fn bare_job() -> Job {
    let (mut job, _) = full_job(JobStatus::Queued);
    job.job_config =
        JobConfig::transcription(TranscriptionConfig::parse(&json!({})).unwrap(), None, None);
    job.metadata = None;
    job.input_metadata = InputMetadata::new(InputSource::Url);
    job.output_metadata = OutputMetadata::default();
    job.error_message = None;
    job.started_at = None;
    job.completed_at = None;
    job.deleted_at = None;
    job.expired_at = None;
    job.progress = None;
    job.heartbeat_at = None;
    job
}

#[test]
fn real_batch_jobs_match_the_batch_job_schema() {
    let v = validator("BatchJob");
    for status in JobStatus::ALL {
        let (job, config) = full_job(status);
        let mut record = jobs::batch_job(&job);
        let delivery = |target: usize, delivered: bool, gave_up: bool| DeliveryState {
            target,
            attempts: 2,
            last_status: Some(500),
            last_error: Some("HTTP 500".into()),
            delivered_at: delivered.then(|| time(6)),
            gave_up_at: gave_up.then(|| time(7)),
            next_attempt_at: time(8),
        };
        record["notifications"] = jobs::notification_states(
            &config,
            &[delivery(0, true, false), delivery(1, false, false)],
        );
        assert_eq!(errors(&v, &record), Vec::<String>::new(), "{record}");
    }
    let bare = jobs::batch_job(&bare_job());
    assert_eq!(errors(&v, &bare), Vec::<String>::new(), "{bare}");

    // The schema is strict enough to notice a field it does not know, or one gone missing.
    let mut extra = bare.clone();
    extra["attempts"] = json!(1);
    assert!(!errors(&v, &extra).is_empty());
    let mut missing = bare.clone();
    missing.as_object_mut().unwrap().remove("heartbeat_at");
    assert!(!errors(&v, &missing).is_empty());
}

#[test]
fn the_list_and_files_answers_match_their_schemas() {
    let list = json!({
        "items": [jobs::batch_job(&bare_job())],
        "meta": {"page": 1, "page_size": 20, "total": 1, "pages": 1},
    });
    assert_eq!(errors(&validator("JobList"), &list), Vec::<String>::new());
    let error = json!({"error": crate::error::MSG_JOB_NOT_FOUND});
    assert_eq!(errors(&validator("Error"), &error), Vec::<String>::new());
    assert!(!errors(&validator("Error"), &json!({"error": ""})).is_empty());
}

#[test]
fn every_audio_upload_names_its_file_with_an_extension() {
    let d = serde_json::to_value(super::document()).unwrap();
    for path in super::AUDIO_UPLOADS {
        let header = &d["paths"][path]["post"]["requestBody"]["content"]["multipart/form-data"]
            ["encoding"]["file"]["headers"]["Content-Disposition"];
        let example = header["schema"]["example"].as_str().unwrap_or_default();
        assert!(
            example.ends_with(r#"filename="audio.wav""#),
            "{path}: {header}"
        );
    }
}
