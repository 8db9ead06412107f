//! What can go wrong talking to a server of the API, told apart the way a person (and an exit
//! code) needs: the server is not there, the key is refused, the server refused the request,
//! or the answer is not the contract's.

use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{url:?} is not a server URL: {reason}")]
    BadServerUrl { url: String, reason: String },
    /// No answer at all: nothing listens there, the name does not resolve, or it timed out.
    #[error("cannot reach the server at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The contract answers a missing, unknown or revoked key with 403 (other servers: 401).
    #[error("the server refused the API key ({status}: {message})")]
    KeyRefused { status: u16, message: String },
    /// The server's own `{"error": "..."}` answer to a request it would not do.
    #[error("the server refused the request ({status}: {message})")]
    Refused { status: u16, message: String },
    /// A signed upload or download URL answered with an error.
    #[error("{what} failed ({status}: {message})")]
    Transfer {
        what: &'static str,
        status: u16,
        message: String,
    },
    /// The connection broke after the request started.
    #[error("the connection to the server failed: {0}")]
    Connection(String),
    #[error("the server's answer is not the SLNG Batch API's: {0}")]
    Protocol(String),
    #[error("{path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Error {
    /// A request that got no answer: [`Error::Unreachable`] when it never reached the server,
    /// else [`Error::Connection`].
    pub(crate) fn from_send(url: &reqwest::Url, err: reqwest::Error) -> Error {
        let reason = chain(&err);
        if err.is_connect() || (err.is_timeout() && !err.is_body()) {
            let mut origin = url.clone();
            origin.set_path("");
            origin.set_query(None);
            Error::Unreachable {
                url: origin.as_str().trim_end_matches('/').to_string(),
                reason,
            }
        } else {
            Error::Connection(reason)
        }
    }

    /// The error of an API answer with `status` and `body`.
    pub(crate) fn from_api_answer(status: StatusCode, body: &[u8]) -> Error {
        let message = error_message(status, body);
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::KeyRefused {
                status: status.as_u16(),
                message,
            },
            _ => Error::Refused {
                status: status.as_u16(),
                message,
            },
        }
    }
}

/// The message of an error body: the contract's `{"error": "..."}`, else the start of whatever
/// came (a proxy's HTML page, say), else the status's reason.
pub(crate) fn error_message(status: StatusCode, body: &[u8]) -> String {
    if let Ok(Value::Object(o)) = serde_json::from_slice::<Value>(body) {
        if let Some(Value::String(m)) = o.get("error") {
            return m.clone();
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return status
            .canonical_reason()
            .unwrap_or("no message")
            .to_string();
    }
    let mut short: String = text.chars().take(200).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

/// An error and its causes, as one line: reqwest's own message ("error sending request") hides
/// the useful part ("Connection refused") in its sources.
fn chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_error_body_gives_the_message() {
        let e = Error::from_api_answer(StatusCode::NOT_FOUND, br#"{"error": "Job not found"}"#);
        assert_eq!(
            e.to_string(),
            "the server refused the request (404: Job not found)"
        );
    }

    #[test]
    fn forbidden_and_unauthorized_are_a_refused_key() {
        for status in [StatusCode::FORBIDDEN, StatusCode::UNAUTHORIZED] {
            let e = Error::from_api_answer(status, br#"{"error": "API key id not found"}"#);
            assert!(matches!(e, Error::KeyRefused { .. }), "{e:?}");
            assert!(e.to_string().contains("refused the API key"), "{e}");
        }
    }

    #[test]
    fn a_body_that_is_not_the_contract_is_shown_shortened() {
        let page = format!("<html>{}</html>", "x".repeat(500));
        let m = error_message(StatusCode::BAD_GATEWAY, page.as_bytes());
        assert!(m.starts_with("<html>xx") && m.ends_with('…') && m.chars().count() == 201);
        assert_eq!(error_message(StatusCode::BAD_GATEWAY, b""), "Bad Gateway");
    }
}
