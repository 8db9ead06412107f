//! The answers of the API as typed values, each keeping the JSON it was read from (`raw`) so
//! that a caller can print what the server said, fields this crate does not know included.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::Error;

/// A job's record (`BatchJob`, contract section 5).
#[derive(Debug, Clone, Deserialize)]
pub struct Job {
    pub job_id: String,
    /// QUEUED, IN_PROGRESS, DECODING, POST_PROCESSING, DONE, FAILED or DELETED; kept as text, so
    /// a status another server adds is shown rather than refused.
    pub status: String,
    #[serde(default)]
    error_message: Value,
    /// How far the work is, where the server says (Verbatim does; the contract has no such
    /// field).
    #[serde(default, deserialize_with = "lenient")]
    pub progress: Option<Progress>,
    #[serde(default)]
    pub submitted_at: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub input_metadata: Option<InputMetadata>,
    #[serde(skip)]
    pub raw: Value,
}

impl Job {
    /// The reason a FAILED job gives: `error_message.message` (a plain string is taken too).
    pub fn error(&self) -> Option<&str> {
        match &self.error_message {
            Value::Object(o) => o.get("message").and_then(Value::as_str),
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// No more work will happen: DONE, FAILED or DELETED.
    pub fn is_finished(&self) -> bool {
        matches!(self.status.as_str(), "DONE" | "FAILED" | "DELETED")
    }
}

/// The progress of a job in work; every field may be missing.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Progress {
    #[serde(default)]
    pub stage: Option<String>,
    /// 0 to 1.
    #[serde(default)]
    pub fraction: Option<f64>,
    #[serde(default)]
    pub audio_seconds_done: Option<f64>,
    #[serde(default)]
    pub eta_seconds: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct InputMetadata {
    #[serde(default)]
    pub duration_seconds: Option<f64>,
    #[serde(default)]
    pub size_bytes: Option<u64>,
}

/// The answer to a submission: `{"job_id", "status"}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Accepted {
    pub job_id: String,
    pub status: String,
    #[serde(skip)]
    pub raw: Value,
}

/// One page of `GET /v1/batch/jobs`.
#[derive(Debug, Clone, Deserialize)]
pub struct JobList {
    #[serde(default)]
    pub items: Vec<Value>,
    #[serde(default)]
    pub meta: ListMeta,
    #[serde(skip)]
    pub raw: Value,
}

impl JobList {
    pub fn jobs(&self) -> Result<Vec<Job>, Error> {
        self.items.iter().cloned().map(parse).collect()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListMeta {
    #[serde(default)]
    pub page: u64,
    #[serde(default)]
    pub page_size: u64,
    #[serde(default)]
    pub total: u64,
    #[serde(default)]
    pub pages: u64,
}

/// `GET /v1/batch/jobs/{id}/files`.
#[derive(Debug, Clone, Deserialize)]
pub struct Files {
    pub job_id: String,
    #[serde(default)]
    pub inputs: Vec<StoredFile>,
    #[serde(default)]
    pub outputs: Vec<StoredFile>,
    #[serde(skip)]
    pub raw: Value,
}

impl Files {
    pub fn output(&self, format: &str) -> Option<&StoredFile> {
        self.outputs
            .iter()
            .find(|o| o.format.as_deref() == Some(format))
    }
}

/// An input or output object with its signed download URL (`format` on outputs only).
#[derive(Debug, Clone, Deserialize)]
pub struct StoredFile {
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub key: String,
    pub download_url: String,
}

/// Types that keep their JSON.
pub(crate) trait Raw {
    fn set_raw(&mut self, raw: Value);
}

macro_rules! raw {
    ($($t:ty),*) => {$(impl Raw for $t { fn set_raw(&mut self, raw: Value) { self.raw = raw; } })*};
}
raw!(Job, Accepted, JobList, Files);

impl Raw for Value {
    fn set_raw(&mut self, raw: Value) {
        *self = raw;
    }
}

pub(crate) fn parse<T: DeserializeOwned + Raw>(value: Value) -> Result<T, Error> {
    let mut parsed: T = serde_json::from_value(value.clone())
        .map_err(|e| Error::Protocol(format!("{e} in {}", short(&value))))?;
    parsed.set_raw(value);
    Ok(parsed)
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

/// A field of a shape this crate does not expect is taken as absent rather than failing the
/// whole record: it is extra information, and other servers may shape it otherwise.
fn lenient<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    let value = Value::deserialize(d)?;
    Ok(serde_json::from_value(value).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_job_without_progress_parses() {
        let job: Job =
            parse(json!({"job_id": "a1", "status": "QUEUED", "error_message": null})).unwrap();
        assert_eq!(job.progress, None);
        assert_eq!(job.error(), None);
        assert!(!job.is_finished());
        assert_eq!(job.raw["job_id"], "a1");
    }

    #[test]
    fn progress_is_read_and_a_strange_one_ignored() {
        let job: Job = parse(json!({"job_id": "a1", "status": "DECODING",
            "progress": {"stage": "recognising", "fraction": 0.25, "audio_seconds_done": 12.5, "eta_seconds": null}}))
        .unwrap();
        let p = job.progress.unwrap();
        assert_eq!(p.fraction, Some(0.25));
        assert_eq!(p.stage.as_deref(), Some("recognising"));
        assert_eq!(p.eta_seconds, None);
        let job: Job =
            parse(json!({"job_id": "a1", "status": "DECODING", "progress": 0.5})).unwrap();
        assert_eq!(job.progress, None);
    }

    #[test]
    fn the_error_message_object_gives_the_reason() {
        let job: Job = parse(json!({"job_id": "a1", "status": "FAILED",
            "error_message": {"message": "Cancelled"}}))
        .unwrap();
        assert_eq!(job.error(), Some("Cancelled"));
        assert!(job.is_finished());
    }

    #[test]
    fn a_record_without_job_id_is_a_protocol_error() {
        let e = parse::<Job>(json!({"status": "DONE"})).unwrap_err();
        assert!(matches!(e, Error::Protocol(_)), "{e:?}");
    }

    #[test]
    fn files_find_an_output_by_format() {
        let files: Files = parse(json!({"job_id": "a1", "inputs": [],
            "outputs": [{"format": "txt", "key": "outputs/a1.txt", "download_url": "http://x/t"}]}))
        .unwrap();
        assert_eq!(files.output("txt").unwrap().download_url, "http://x/t");
        assert!(files.output("srt").is_none());
    }
}
