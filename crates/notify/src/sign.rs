//! Standard Webhooks signatures (https://www.standardwebhooks.com): `v1,` and the base64
//! HMAC-SHA256 of `"{id}.{timestamp}.{body}"`, keyed with the secret's base64 part. Written on
//! `hmac` and `sha2` (the ones S3 signing already uses): signing is these few lines, checked
//! against the specification's test vector below.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of a secret in Standard Webhooks' form.
const PREFIX: &str = "whsec_";

/// `v1,<signature>` of one message with one secret; `None` when the secret is not `whsec_`
/// followed by base64.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix(PREFIX)?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header: one signature per secret, separated by spaces (a receiver
/// accepts the message when any of them verifies, so a rotated secret keeps working while both
/// sign).
pub fn header(secrets: &[&str], id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let signatures: Option<Vec<String>> = secrets
        .iter()
        .map(|s| signature(s, id, timestamp, body))
        .collect();
    Some(signatures?.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector of the Standard Webhooks specification.
    #[test]
    fn matches_the_specification() {
        let secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
        let body = br#"{"email":"test@example.com","username":"test_user"}"#;
        assert_eq!(
            signature(secret, "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553, body).as_deref(),
            Some("v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=")
        );
    }

    #[test]
    fn every_secret_signs_and_a_bad_secret_is_refused() {
        let a = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
        let b = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let both = header(&[a, b], "msg_1", 1, b"x").unwrap();
        let parts: Vec<&str> = both.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(Some(parts[0].to_string()), signature(a, "msg_1", 1, b"x"));
        assert_eq!(Some(parts[1].to_string()), signature(b, "msg_1", 1, b"x"));
        assert_ne!(parts[0], parts[1]);
        assert_eq!(signature("C2FVsBQIhrscChlQIMV", "msg_1", 1, b"x"), None);
        assert_eq!(signature("whsec_not base64!", "msg_1", 1, b"x"), None);
    }
}
