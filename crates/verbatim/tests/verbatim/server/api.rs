//! One organisation's client of a running server: the contract's requests the tests send again
//! and again, and the checks of its answers.

use std::time::{Duration, Instant};

use reqwest::multipart::{Form, Part};
use reqwest::{Response, StatusCode};
use serde_json::Value;

use super::client;

pub const JOBS: &str = "/v1/batch/jobs";

/// A client of the server at `base` with the API key `key`.
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub key: String,
}

impl Api {
    pub fn new(base: &str, key: &str) -> Api {
        Api {
            http: client(),
            base: base.to_string(),
            key: key.to_string(),
        }
    }

    /// The same server, as the holder of another key.
    pub fn with_key(&self, key: &str) -> Api {
        Api {
            http: self.http.clone(),
            base: self.base.clone(),
            key: key.to_string(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends `request` with this key.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Response {
        request.bearer_auth(&self.key).send().await.unwrap()
    }

    pub async fn post_form(&self, form: Form) -> Response {
        self.send(self.http.post(self.url(JOBS)).multipart(form))
            .await
    }

    pub async fn post_json(&self, body: &Value) -> Response {
        self.send(self.http.post(self.url(JOBS)).json(body)).await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(self.http.get(self.url(path))).await
    }

    pub async fn get_json(&self, path: &str) -> Value {
        self.get(path).await.json().await.unwrap()
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.send(self.http.delete(self.url(path))).await
    }

    /// A job's record.
    pub async fn job(&self, id: &str) -> Value {
        self.get_json(&format!("{JOBS}/{id}")).await
    }

    /// A job's files listing (200 asserted).
    pub async fn files(&self, id: &str) -> Value {
        let r = self.get(&format!("{JOBS}/{id}/files")).await;
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }

    /// Polls a job until it is DONE or FAILED (or `limit` passes) and returns the record.
    pub async fn wait(&self, id: &str, limit: Duration) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let job = self.job(id).await;
            if job["status"] == "DONE" || job["status"] == "FAILED" {
                return job;
            }
            assert!(
                Instant::now() < deadline,
                "job {id} not finished in {limit:?}: {job}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// A multipart submission that must be accepted; returns the answer's body.
    pub async fn submit_form(&self, form: Form) -> Value {
        accepted(self.post_form(form).await).await
    }

    /// A JSON submission that must be accepted; returns the answer's body.
    pub async fn submit_json(&self, body: &Value) -> Value {
        accepted(self.post_json(body).await).await
    }
}

/// Asserts a 202 (the body is in the message otherwise) and returns the body.
pub async fn accepted(r: Response) -> Value {
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// The status and message of a contract error: a JSON body with only `error`, a string.
pub async fn error_of(response: Response) -> (StatusCode, String) {
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

/// Asserts a contract error of exactly this status and message.
pub async fn assert_error(response: Response, status: StatusCode, message: &str) {
    let (s, m) = error_of(response).await;
    assert_eq!((s, m.as_str()), (status, message));
}

/// A file part declared as `audio/wav`.
pub fn wav_part(file_name: &str, bytes: Vec<u8>) -> Part {
    Part::bytes(bytes)
        .file_name(file_name.to_string())
        .mime_str("audio/wav")
        .unwrap()
}

/// A file part `slow.wav` whose bytes trickle in at 2 KB/s (1 KB every 500 ms, 200 KB in all):
/// an upload that holds its connection.
pub fn trickling_part() -> Part {
    let trickle = futures::stream::unfold(0u32, |n| async move {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        (n < 200).then(|| (Ok::<_, std::io::Error>(vec![0u8; 1024]), n + 1))
    });
    Part::stream(reqwest::Body::wrap_stream(trickle)).file_name("slow.wav")
}

/// A multipart submission: the text `fields` in order, then `file`.
pub fn form_of(fields: &[(&str, &str)], file: Part) -> Form {
    fields
        .iter()
        .fold(Form::new(), |form, (name, value)| {
            form.text(name.to_string(), value.to_string())
        })
        .part("file", file)
}

/// Downloads a signed URL (no API key), asserting 200.
pub async fn download(http: &reqwest::Client, url: &str) -> String {
    let r = http.get(url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{url}");
    r.text().await.unwrap()
}

/// Every file of a files listing: its inputs, then its outputs.
pub fn inputs_and_outputs(files: &Value) -> Vec<&Value> {
    let list = |side: &str| files[side].as_array().unwrap().iter();
    list("inputs").chain(list("outputs")).collect()
}

/// Asserts that a job FAILED with a message that says `words`.
pub fn assert_failed_saying(job: &Value, words: &str) {
    assert_eq!(job["status"], "FAILED", "{job}");
    let message = job["error_message"]["message"].as_str().unwrap();
    assert!(message.contains(words), "{job}");
}
