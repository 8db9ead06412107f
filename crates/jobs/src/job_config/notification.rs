//! `notification_config`: where to call when a job ends, in Speechmatics batch's shape (a list of
//! `{url, contents?, method?, auth_headers?}`). Verbatim's extension to the contract
//! (docs/extensions.md). The URL's address rules (https, no private addresses) need DNS and are
//! the api's; everything that is only the value's shape is checked here.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::{objects_at, parse, refuse, PATH};

/// Most entries in `notification_config` (Speechmatics' limit).
pub const MAX_NOTIFICATIONS: usize = 3;
/// Most `auth_headers` per entry.
pub const MAX_AUTH_HEADERS: usize = 10;
/// Longest accepted URL and header line, in bytes.
pub const MAX_URL_BYTES: usize = 2048;
pub const MAX_HEADER_BYTES: usize = 4096;

/// Headers a delivery sets itself, which `auth_headers` may not replace.
const RESERVED_HEADERS: [&str; 9] = [
    "content-type",
    "content-length",
    "content-encoding",
    "transfer-encoding",
    "connection",
    "host",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
];

/// The job's `notification_config`: 1 to [`MAX_NOTIFICATIONS`] entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct NotificationConfig(Vec<Notification>);

impl NotificationConfig {
    /// The client's `notification_config` value.
    pub fn parse(value: &Value) -> Result<Self, String> {
        let name = "notification_config";
        let Value::Array(items) = value else {
            return Err(format!("{name} must be an array"));
        };
        for (i, item) in items.iter().enumerate() {
            objects_at(item, &format!("{name}[{i}]"), &[])?;
        }
        parse(value, name)
    }

    pub fn targets(&self) -> &[Notification] {
        &self.0
    }
}

impl<'de> Deserialize<'de> for NotificationConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let items = Vec::<Notification>::deserialize(d)?;
        if items.is_empty() || items.len() > MAX_NOTIFICATIONS {
            return Err(refuse(format!(
                "{PATH} must list 1 to {MAX_NOTIFICATIONS} notifications"
            )));
        }
        Ok(NotificationConfig(items))
    }
}

/// One call to make when the job ends.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notification {
    pub url: NotificationUrl,
    /// What the body carries. Left out: the transcript as a multipart attachment named
    /// `data_file` (Speechmatics' default, kept for its clients); empty: no body.
    pub contents: Option<Vec<NotificationContent>>,
    #[serde(default)]
    pub method: NotificationMethod,
    pub auth_headers: Option<AuthHeaders>,
}

/// An absolute URL of at most [`MAX_URL_BYTES`] (its scheme and address are checked by the api).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct NotificationUrl(String);

impl NotificationUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for NotificationUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) if !s.trim().is_empty() && s.len() <= MAX_URL_BYTES => {
                Ok(NotificationUrl(s.trim().to_string()))
            }
            _ => Err(refuse(format!(
                "{PATH} must be a URL of at most {MAX_URL_BYTES} characters"
            ))),
        }
    }
}

closed_set! {
    /// An item of `contents`. `transcript` and `transcript.json-v2` are both the JSON
    /// transcript.
    NotificationContent {
        Jobinfo = "jobinfo",
        Transcript = "transcript",
        TranscriptJsonV2 = "transcript.json-v2",
        TranscriptTxt = "transcript.txt",
        TranscriptSrt = "transcript.srt",
    } default Transcript
}

closed_set! {
    /// The HTTP method of the call.
    NotificationMethod { Post = "post", Put = "put" } default Post
}

/// `auth_headers`: at most [`MAX_AUTH_HEADERS`] lines `"Name: value"`, sent with every attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct AuthHeaders(Vec<String>);

impl AuthHeaders {
    /// Each header as (name, value), both trimmed.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().filter_map(|line| {
            line.split_once(':')
                .map(|(name, value)| (name.trim(), value.trim()))
        })
    }
}

impl<'de> Deserialize<'de> for AuthHeaders {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let shape = || {
            refuse(format!(
                "{PATH} must be an array of at most {MAX_AUTH_HEADERS} \"Name: value\" strings"
            ))
        };
        let Value::Array(items) = Value::deserialize(d)? else {
            return Err(shape());
        };
        if items.len() > MAX_AUTH_HEADERS {
            return Err(shape());
        }
        let mut lines = Vec::with_capacity(items.len());
        for item in items {
            let Value::String(line) = item else {
                return Err(shape());
            };
            let Some((name, value)) = line.split_once(':') else {
                return Err(shape());
            };
            let (name, value) = (name.trim(), value.trim());
            if line.len() > MAX_HEADER_BYTES || !is_token(name) || !is_header_value(value) {
                return Err(refuse(format!(
                    "{PATH} has an invalid header: {}",
                    if is_token(name) { name } else { "(bad name)" }
                )));
            }
            if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                return Err(refuse(format!(
                    "{PATH} may not set {name}: the delivery sets it"
                )));
            }
            lines.push(format!("{name}: {value}"));
        }
        Ok(AuthHeaders(lines))
    }
}

/// An HTTP field name (RFC 9110 `token`). By hand: the `http` crate would be a dependency of the
/// job store for two character classes.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A field value of visible ASCII, spaces and tabs (no line breaks: no header injection).
fn is_header_value(s: &str) -> bool {
    s.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(v: Value) -> Result<NotificationConfig, String> {
        NotificationConfig::parse(&v)
    }

    #[test]
    fn speechmatics_shape_accepted_with_defaults_filled() {
        let c = config(json!([{
            "url": "https://example.com/hook",
            "contents": ["jobinfo", "transcript.txt"],
            "auth_headers": ["Authorization: Bearer x"]
        }, {"url": "https://example.com/b", "method": "put"}]))
        .unwrap();
        assert_eq!(c.targets().len(), 2);
        assert_eq!(c.targets()[0].method, NotificationMethod::Post);
        assert_eq!(c.targets()[1].method, NotificationMethod::Put);
        assert_eq!(
            c.targets()[0]
                .auth_headers
                .as_ref()
                .unwrap()
                .pairs()
                .collect::<Vec<_>>(),
            [("Authorization", "Bearer x")]
        );
        let stored = serde_json::to_value(&c).unwrap();
        assert_eq!(
            stored[1],
            json!({"url": "https://example.com/b", "method": "put"})
        );
        assert_eq!(
            serde_json::from_value::<NotificationConfig>(stored).unwrap(),
            c
        );
    }

    #[test]
    fn refusals_name_the_field() {
        let cases = [
            (json!({}), "notification_config must be an array"),
            (json!([]), "notification_config must list 1 to 3 notifications"),
            (
                json!([{"url": "https://a"}, {"url": "https://a"}, {"url": "https://a"}, {"url": "https://a"}]),
                "notification_config must list 1 to 3 notifications",
            ),
            (json!([5]), "notification_config[0] must be a JSON object"),
            (
                json!([{"url": 5}]),
                "notification_config[0].url must be a URL of at most 2048 characters",
            ),
            (
                json!([{"url": "https://a", "contents": ["alignment"]}]),
                "Invalid notification_config[0].contents[0]: alignment. Allowed: jobinfo, transcript, transcript.json-v2, transcript.txt, transcript.srt",
            ),
            (
                json!([{"url": "https://a", "method": "get"}]),
                "Invalid notification_config[0].method: get. Allowed: post, put",
            ),
            (
                json!([{"url": "https://a", "auth_headers": ["no colon"]}]),
                "notification_config[0].auth_headers must be an array of at most 10 \"Name: value\" strings",
            ),
            (
                json!([{"url": "https://a", "auth_headers": ["X-Evil: a\r\nHost: b"]}]),
                "notification_config[0].auth_headers has an invalid header: X-Evil",
            ),
            (
                json!([{"url": "https://a", "auth_headers": ["webhook-signature: v1,forged"]}]),
                "notification_config[0].auth_headers may not set webhook-signature: the delivery sets it",
            ),
            (
                json!([{"url": "https://a", "callback": 1}]),
                "Unknown field in notification_config[0]: callback",
            ),
        ];
        for (value, message) in cases {
            assert_eq!(config(value.clone()).unwrap_err(), message, "{value}");
        }
    }
}
