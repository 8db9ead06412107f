//! `Idempotency-Key` on `POST /v1/batch/jobs` (docs/extensions.md): a client that retries a
//! submission after a network error gets the first answer again instead of a second job.
//!
//! The key is claimed in the job store before the request is handled, so of several
//! concurrent requests with one key exactly one creates a job; the others wait for its answer.
//! A repeat must be the same request: its fingerprint, a hash of what the submission reads
//! (the JSON body; or each multipart part the submission knows, name, file name, type and
//! content), must match the first one's, or it is refused with 422. The multipart boundary
//! and unknown parts, which change nothing, are not part of it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use jobs::{IdempotentResponse, JobStore};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{ApiError, AppState};

pub const HEADER: &str = "idempotency-key";
/// Set on an answer given again for a repeated key.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// How long a key is remembered in its organisation.
pub const LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// A key claimed this long ago and never answered belonged to a process that died: a new
/// request may claim it. (An upload may take this long; longer is not expected.)
pub const ABANDONED_AFTER: Duration = Duration::from_secs(3600);
/// How long a request waits for a concurrent one with its key before giving up with 409.
pub const WAIT_FOR_FIRST: Duration = Duration::from_secs(60);
pub const MSG_KEY_REUSED: &str = "Idempotency-Key was used with a different request";
pub const MSG_IN_FLIGHT: &str =
    "A request with this Idempotency-Key is still being handled; retry it later";
const MSG_BAD_KEY: &str = "Idempotency-Key must be 1 to 255 printable ASCII characters";
const MAX_KEY_LEN: usize = 255;

/// The request's key, if it sent one; 400 when it is not a usable one.
pub fn key_of(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(HEADER) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| {
            !k.is_empty() && k.len() <= MAX_KEY_LEN && k.bytes().all(|b| (0x20..0x7f).contains(&b))
        })
        .ok_or_else(|| ApiError::bad_request(MSG_BAD_KEY))?;
    Ok(Some(key.to_string()))
}

/// The hash of a request as the submission reads it.
pub struct Fingerprint(Sha256);

impl Fingerprint {
    /// `kind`: which form the body is (`json`, `multipart`).
    pub fn new(kind: &str) -> Fingerprint {
        let mut f = Fingerprint(Sha256::new());
        f.field(kind.as_bytes());
        f
    }

    /// A length-prefixed field, so that no two sequences of fields hash alike.
    fn field(&mut self, bytes: &[u8]) {
        self.0.update((bytes.len() as u64).to_be_bytes());
        self.0.update(bytes);
    }

    /// A JSON body, whatever its key order and spacing.
    pub fn json(&mut self, value: &Value) {
        let mut text = Vec::new();
        canonical(value, &mut text);
        self.field(&text);
    }

    /// One multipart part; `content` is the SHA-256 of its bytes ([`Fingerprint::content`]).
    pub fn part(
        &mut self,
        name: &str,
        file_name: Option<&str>,
        content_type: Option<&str>,
        content: [u8; 32],
    ) {
        self.field(name.as_bytes());
        for meta in [file_name, content_type] {
            match meta {
                Some(m) => self.field(format!("+{m}").as_bytes()),
                None => self.field(b"-"),
            }
        }
        self.field(&content);
    }

    /// A hasher of one part's content.
    pub fn content() -> Sha256 {
        Sha256::new()
    }

    pub fn finish(self) -> String {
        hex::encode(self.0.finalize())
    }
}

/// JSON text with the keys of every object sorted.
fn canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(Value::String(k.clone()).to_string().as_bytes());
                out.push(b':');
                canonical(&map[k], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical(v, out);
            }
            out.push(b']');
        }
        other => out.extend_from_slice(other.to_string().as_bytes()),
    }
}

/// The multipart parts the submission reads (others are skipped by both).
pub fn known_part(name: &str) -> bool {
    name == "file" || crate::submit::is_field_part(name)
}

/// Reads a whole request only to fingerprint it as the submission would, storing nothing;
/// `None` when it is not one the submission could have accepted.
pub async fn fingerprint_only(state: &AppState, request: Request) -> Option<String> {
    let content_type = crate::content_type(&request).to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let mut f = Fingerprint::new("multipart");
        let mut multipart = Multipart::from_request(request, state).await.ok()?;
        let mut read = 0u64;
        while let Some(mut field) = multipart.next_field().await.ok()? {
            let name = field.name().unwrap_or_default().to_string();
            if !known_part(&name) {
                continue;
            }
            let file_name = field.file_name().map(str::to_string);
            let part_type = field.content_type().map(str::to_string);
            let mut content = Fingerprint::content();
            while let Some(chunk) = field.chunk().await.ok()? {
                read += chunk.len() as u64;
                // Larger than any accepted request: it cannot be the same one.
                if read > state.config.max_upload_bytes.saturating_add(1 << 20) {
                    return None;
                }
                content.update(&chunk);
            }
            let (file_name, part_type) = if name == "file" {
                (file_name.as_deref(), part_type.as_deref())
            } else {
                (None, None)
            };
            f.part(&name, file_name, part_type, content.finalize().into());
        }
        Some(f.finish())
    } else if content_type.starts_with("application/json") {
        let body = axum::body::to_bytes(request.into_body(), crate::submit::MAX_JSON_BYTES)
            .await
            .ok()?;
        let value: Value = serde_json::from_slice(&body).ok()?;
        let mut f = Fingerprint::new("json");
        f.json(&value);
        Some(f.finish())
    } else {
        None
    }
}

/// The first answer again, said to be one.
pub fn replay(saved: &IdempotentResponse) -> Response {
    let status = StatusCode::from_u16(saved.status).unwrap_or(StatusCode::OK);
    let mut response = (status, saved.body.clone()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    response
}

/// Releases a claimed key when dropped armed (its request was abandoned midway).
pub struct ReleaseOnDrop {
    claim: Option<(Arc<dyn JobStore>, String, String)>,
}

impl ReleaseOnDrop {
    pub fn new(jobs: Arc<dyn JobStore>, org: String, key: String) -> ReleaseOnDrop {
        ReleaseOnDrop {
            claim: Some((jobs, org, key)),
        }
    }

    /// The request got to its end: its own code records or releases the key.
    pub fn disarm(&mut self) {
        self.claim = None;
    }
}

impl Drop for ReleaseOnDrop {
    fn drop(&mut self) {
        let Some((jobs, org, key)) = self.claim.take() else {
            return;
        };
        // Drop cannot wait: the release runs on its own, if the runtime is still there.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = jobs.release_idempotency_key(&org, &key).await {
                    tracing::warn!(error = %e, "could not release an abandoned Idempotency-Key");
                }
            });
        }
    }
}

/// Whether a request that has waited since `since` for a concurrent one may wait on.
pub fn may_wait(since: Instant) -> bool {
    since.elapsed() < WAIT_FOR_FIRST
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn of(v: Value) -> String {
        let mut f = Fingerprint::new("json");
        f.json(&v);
        f.finish()
    }

    #[test]
    fn json_fingerprints_ignore_key_order_only() {
        let a = of(json!({"a": 1, "b": {"x": [1, "two"], "y": null}}));
        let b = of(json!({"b": {"y": null, "x": [1, "two"]}, "a": 1}));
        assert_eq!(a, b);
        assert_ne!(a, of(json!({"a": 1, "b": {"x": ["two", 1], "y": null}})));
        assert_ne!(a, of(json!({"a": "1", "b": {"x": [1, "two"], "y": null}})));
    }

    #[test]
    fn parts_are_told_apart() {
        let digest = |s: &str| -> [u8; 32] { Sha256::digest(s.as_bytes()).into() };
        let one = |name, file: Option<&str>, body| {
            let mut f = Fingerprint::new("multipart");
            f.part(name, file, None, digest(body));
            f.finish()
        };
        assert_eq!(
            one("file", Some("a.wav"), "x"),
            one("file", Some("a.wav"), "x")
        );
        assert_ne!(
            one("file", Some("a.wav"), "x"),
            one("file", Some("b.wav"), "x")
        );
        assert_ne!(
            one("file", Some("a.wav"), "x"),
            one("file", Some("a.wav"), "y")
        );
        assert_ne!(one("file", None, "x"), one("file", Some(""), "x"));
    }

    #[test]
    fn keys() {
        let mut h = HeaderMap::new();
        assert_eq!(key_of(&h), Ok(None));
        h.insert(HEADER, HeaderValue::from_static("retry-7f3a"));
        assert_eq!(key_of(&h), Ok(Some("retry-7f3a".into())));
        h.insert(HEADER, HeaderValue::from_static(""));
        assert!(key_of(&h).is_err());
        h.insert(HEADER, HeaderValue::from_str(&"k".repeat(256)).unwrap());
        assert!(key_of(&h).is_err());
    }
}
