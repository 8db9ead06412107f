//! Identifiers and secrets: job ids, API key secrets and their stored hash.

use rand::distributions::Alphanumeric;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};

/// Longest accepted job id; long enough for any client scheme, short enough for keys and URLs.
pub const MAX_JOB_ID_LEN: usize = 128;

/// A fresh job id: `job` + 32 lowercase hex characters (contract section 9).
pub fn new_job_id() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("job{}", hex::encode(bytes))
}

/// `^[a-zA-Z0-9]+$`, at most [`MAX_JOB_ID_LEN`] characters.
pub fn valid_job_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_JOB_ID_LEN && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A new API key secret: `vb_` + 40 random alphanumerics (~238 bits).
pub fn new_api_key_secret() -> String {
    let body: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(40)
        .map(char::from)
        .collect();
    format!("vb_{body}")
}

/// What is stored for a secret: lowercase hex SHA-256. A plain hash (no salt, no KDF) is enough
/// because the secrets are 238 random bits, not user-chosen passwords.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids() {
        let id = new_job_id();
        assert_eq!(id.len(), 35);
        assert!(id.starts_with("job"));
        assert!(id[3..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert!(valid_job_id(&id));
        assert_ne!(new_job_id(), new_job_id());
        assert!(valid_job_id("myJob123"));
        for bad in ["", "a-b", "a b", "a/b", "..", "é", "job_1"] {
            assert!(!valid_job_id(bad), "{bad:?}");
        }
        assert!(valid_job_id(&"a".repeat(MAX_JOB_ID_LEN)));
        assert!(!valid_job_id(&"a".repeat(MAX_JOB_ID_LEN + 1)));
    }

    #[test]
    fn secrets() {
        let s = new_api_key_secret();
        assert_eq!(s.len(), 43);
        assert!(s.starts_with("vb_") && s[3..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(s, new_api_key_secret());
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
