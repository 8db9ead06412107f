//! SigV4 query-string presigning of GET URLs that carry `response-content-type` and
//! `response-content-disposition`, so S3 serves a download as an attachment of the right type
//! whatever the uploader declared. Hand-written because object_store's signer takes no extra
//! query parameters (its `sign` is crate-private), and the response-* parameters must be
//! inside the signature.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use url::Url;

type HmacSha256 = Hmac<Sha256>;

pub(crate) struct Credential<'a> {
    pub key_id: &'a str,
    pub secret_key: &'a str,
    pub token: Option<&'a str>,
}

/// Signs `url` (the object's URL, no query) for GET, valid `expires_secs` from `now`, with the
/// `extra` query parameters inside the signature.
pub(crate) fn presign_get(
    url: &mut Url,
    credential: &Credential,
    region: &str,
    now: DateTime<Utc>,
    expires_secs: u64,
    extra: &[(&str, &str)],
) {
    let date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let day = now.format("%Y%m%d").to_string();
    let scope = format!("{day}/{region}/s3/aws4_request");
    let mut params: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    params.extend([
        ("X-Amz-Algorithm".into(), "AWS4-HMAC-SHA256".into()),
        (
            "X-Amz-Credential".into(),
            format!("{}/{scope}", credential.key_id),
        ),
        ("X-Amz-Date".into(), date.clone()),
        ("X-Amz-Expires".into(), expires_secs.to_string()),
        ("X-Amz-SignedHeaders".into(), "host".into()),
    ]);
    if let Some(token) = credential.token {
        params.push(("X-Amz-Security-Token".into(), token.into()));
    }
    let mut encoded: Vec<(String, String)> =
        params.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    encoded.sort();
    let query = encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let host = url[url::Position::BeforeHost..url::Position::AfterPort].to_string();
    let canonical = format!(
        "GET\n{}\n{query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD",
        url.path()
    );
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut key = format!("AWS4{}", credential.secret_key).into_bytes();
    for part in [day.as_str(), region, "s3", "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let signature = hex::encode(hmac(&key, to_sign.as_bytes()));
    url.set_query(Some(&format!("{query}&X-Amz-Signature={signature}")));
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// SigV4's URI encoding: every byte but the unreserved ones as %XX (uppercase).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// The credentials of AWS's "Authenticating Requests: Using Query Parameters" page.
    const AWS_EXAMPLE: Credential = Credential {
        key_id: "AKIAIOSFODNN7EXAMPLE",
        secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        token: None,
    };

    /// The example of that page.
    #[test]
    fn matches_the_aws_documentation_example() {
        let mut url = Url::parse("https://examplebucket.s3.amazonaws.com/test.txt").unwrap();
        let now = Utc.with_ymd_and_hms(2013, 5, 24, 0, 0, 0).unwrap();
        presign_get(&mut url, &AWS_EXAMPLE, "us-east-1", now, 86400, &[]);
        assert!(
            url.as_str().ends_with(
                "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
            ),
            "{url}"
        );
    }

    #[test]
    fn extra_parameters_are_encoded_and_signed() {
        let mut url = Url::parse("http://127.0.0.1:9000/out/outputs/j.srt").unwrap();
        let credential = Credential {
            token: Some("t"),
            ..AWS_EXAMPLE
        };
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        presign_get(
            &mut url,
            &credential,
            "us-east-1",
            now,
            60,
            &[(
                "response-content-disposition",
                "attachment; filename=\"j.srt\"",
            )],
        );
        let q = url.query().unwrap();
        assert!(q.starts_with("X-Amz-Algorithm="), "sorted: {q}");
        assert!(
            q.contains("response-content-disposition=attachment%3B%20filename%3D%22j.srt%22"),
            "{q}"
        );
        assert!(q.contains("X-Amz-Security-Token=t"), "{q}");
    }
}
