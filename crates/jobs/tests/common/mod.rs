//! Shared helpers for the job store tests: a real SQLite file in a temp folder.

#![allow(dead_code)]

use std::sync::Arc;

use jobs::{open_sqlite, JobStore, NewJob};
use serde_json::json;

pub struct Db {
    pub store: Arc<dyn JobStore>,
    pub dir: tempfile::TempDir,
}

pub async fn db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let store = open_sqlite(&dir.path().join("sub/verbatim.db")).await.unwrap();
    Db { store, dir }
}

pub fn new_job(org: &str, job_id: &str) -> NewJob {
    NewJob {
        job_id: job_id.to_string(),
        api_key_id: format!("key-{org}"),
        organisation_id: org.to_string(),
        model_code: "slng/speechmatics/batch:15.0.0".to_string(),
        job_config: json!({"type": "transcription", "transcription_config": {"language": "en"}}),
        metadata: Some(json!({"client": job_id})),
        input_metadata: json!({"size_bytes": 10, "source": "upload"}),
        input_key: Some(format!("inputs/{job_id}.wav")),
        input_url: None,
    }
}
