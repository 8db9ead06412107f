//! `POST /v1/batch/jobs` with a local file: as one multipart upload, or as the contract's three
//! presign steps (ask for an upload URL, PUT the file there, create the job), which send the
//! file straight to the object store rather than through the API.

use std::path::Path;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH};
use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::error_message;
use crate::transfer::{file_body, OnBytes};
use crate::{Accepted, Client, Error};

/// What a submission asks for besides the file.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    /// The `transcription_config` object; empty for the server's defaults.
    pub transcription_config: Map<String, Value>,
    /// A job id of the client's choosing; the server makes one up otherwise.
    pub job_id: Option<String>,
    /// `metadata`: any JSON object, given back with the job.
    pub metadata: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadMethod {
    /// One `multipart/form-data` request to the API.
    Multipart,
    /// Presign step 1, a PUT to the signed URL, step 3.
    Presigned,
}

/// The part of the presign step 1 answer that steps 2 and 3 need.
#[derive(Debug, Deserialize)]
struct Presigned {
    job_id: String,
    upload: UploadTarget,
}

#[derive(Debug, Deserialize)]
struct UploadTarget {
    url: String,
    s3_key: String,
    #[serde(default)]
    headers: Map<String, Value>,
}

impl Client {
    /// Uploads `path` and creates its job; `on_bytes` follows the upload.
    pub async fn submit(
        &self,
        path: &Path,
        submission: &Submission,
        method: UploadMethod,
        on_bytes: OnBytes,
    ) -> Result<Accepted, Error> {
        match method {
            UploadMethod::Multipart => self.submit_multipart(path, submission, on_bytes).await,
            UploadMethod::Presigned => self.submit_presigned(path, submission, on_bytes).await,
        }
    }

    async fn submit_multipart(
        &self,
        path: &Path,
        submission: &Submission,
        on_bytes: OnBytes,
    ) -> Result<Accepted, Error> {
        let (body, len) = file_body(path, on_bytes).await?;
        let mut form = Form::new();
        // The texts go before the file, so a server that reads the parts in order can refuse a
        // bad config before the upload.
        for (name, text) in multipart_texts(submission) {
            form = form.text(name, text);
        }
        let file = Part::stream_with_length(body, len)
            .file_name(file_name(path))
            .mime_str("application/octet-stream")
            .expect("a valid MIME type");
        form = form.part("file", file);
        self.call(self.api(Method::POST, self.jobs_url(&[])).multipart(form))
            .await
    }

    async fn submit_presigned(
        &self,
        path: &Path,
        submission: &Submission,
        on_bytes: OnBytes,
    ) -> Result<Accepted, Error> {
        // The file is opened first: a missing file creates no reservation on the server.
        let (body, len) = file_body(path, on_bytes).await?;
        let step1: Value = self
            .call(
                self.api(Method::POST, self.jobs_url(&[]))
                    .json(&presign_request(submission, &file_name(path))),
            )
            .await?;
        let presigned: Presigned = serde_json::from_value(step1).map_err(|e| {
            Error::Protocol(format!("the presign answer has no usable upload: {e}"))
        })?;
        self.put_signed(&presigned.upload, body, len).await?;
        self.call(
            self.api(Method::POST, self.jobs_url(&[]))
                .json(&presign_complete(submission, &presigned)),
        )
        .await
    }

    /// Step 2: the file to the signed URL with exactly the headers the server asked for, and
    /// without the API key (the URL may be the object store's).
    async fn put_signed(
        &self,
        upload: &UploadTarget,
        body: reqwest::Body,
        len: u64,
    ) -> Result<(), Error> {
        let url = self.base.join(&upload.url).map_err(|e| {
            Error::Protocol(format!("the upload URL {:?} is not a URL: {e}", upload.url))
        })?;
        let mut headers = signed_headers(&upload.headers)?;
        headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
        let response = self
            .http
            .put(url.clone())
            .headers(headers)
            .body(body)
            .send()
            .await
            .map_err(|e| Error::from_send(&url, e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = response.bytes().await.unwrap_or_default();
        Err(Error::Transfer {
            what: "the upload to the signed URL",
            status: status.as_u16(),
            message: error_message(status, &body),
        })
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "audio".into())
}

/// The text parts of a multipart submission, by name.
fn multipart_texts(s: &Submission) -> Vec<(&'static str, String)> {
    let mut texts = vec![(
        "transcription_config",
        Value::Object(s.transcription_config.clone()).to_string(),
    )];
    if let Some(id) = &s.job_id {
        texts.push(("job_id", id.clone()));
    }
    if let Some(metadata) = &s.metadata {
        texts.push(("metadata", metadata.to_string()));
    }
    texts
}

/// Presign step 1: no job yet, the server reserves the id and signs an upload URL.
fn presign_request(s: &Submission, filename: &str) -> Value {
    let mut body = json!({
        "mode": "presign",
        "filename": filename,
        "transcription_config": s.transcription_config,
    });
    if let Some(id) = &s.job_id {
        body["job_id"] = id.as_str().into();
    }
    body
}

/// Presign step 3: the job, from the uploaded object (`metadata` is taken here, not at step 1).
fn presign_complete(s: &Submission, presigned: &Presigned) -> Value {
    let mut body = json!({
        "s3_key": presigned.upload.s3_key,
        "job_id": presigned.job_id,
        "transcription_config": s.transcription_config,
    });
    if let Some(metadata) = &s.metadata {
        body["metadata"] = metadata.clone();
    }
    body
}

fn signed_headers(given: &Map<String, Value>) -> Result<HeaderMap, Error> {
    let mut headers = HeaderMap::new();
    for (name, value) in given {
        let bad = || Error::Protocol(format!("the upload header {name}: {value} is not valid"));
        let value = value.as_str().ok_or_else(bad)?;
        headers.insert(
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad())?,
            HeaderValue::from_str(value).map_err(|_| bad())?,
        );
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submission() -> Submission {
        let mut config = Map::new();
        config.insert("language".into(), "en".into());
        Submission {
            transcription_config: config,
            job_id: Some("meeting42".into()),
            metadata: Some(json!({"room": 4})),
        }
    }

    #[test]
    fn multipart_texts_carry_the_config_as_json_text() {
        assert_eq!(
            multipart_texts(&submission()),
            vec![
                ("transcription_config", r#"{"language":"en"}"#.to_string()),
                ("job_id", "meeting42".to_string()),
                ("metadata", r#"{"room":4}"#.to_string()),
            ]
        );
        assert_eq!(
            multipart_texts(&Submission::default()),
            vec![("transcription_config", "{}".to_string())]
        );
    }

    #[test]
    fn the_presign_steps_are_the_contracts() {
        assert_eq!(
            presign_request(&submission(), "talk.wav"),
            json!({"mode": "presign", "filename": "talk.wav", "job_id": "meeting42",
                   "transcription_config": {"language": "en"}})
        );
        let answer: Presigned = serde_json::from_value(json!({
            "job_id": "meeting42",
            "upload": {"url": "http://h/put?sig=1", "s3_key": "inputs/meeting42/talk.wav",
                       "expires_in": 1800, "headers": {"Content-Type": "audio/wav"}}}))
        .unwrap();
        assert_eq!(
            presign_complete(&submission(), &answer),
            json!({"s3_key": "inputs/meeting42/talk.wav", "job_id": "meeting42",
                   "transcription_config": {"language": "en"}, "metadata": {"room": 4}})
        );
        let headers = signed_headers(&answer.upload.headers).unwrap();
        assert_eq!(headers["content-type"], "audio/wav");
    }

    #[test]
    fn a_header_that_is_not_text_is_a_protocol_error() {
        let mut given = Map::new();
        given.insert("Content-Type".into(), json!(3));
        assert!(matches!(signed_headers(&given), Err(Error::Protocol(_))));
    }
}
