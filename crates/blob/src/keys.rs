use crate::BlobError;

/// Refuses keys that are not plain relative `/`-separated paths, so no key can reach outside
/// its bucket's folder (or mean two different objects on two backends).
pub fn validate_key(key: &str) -> Result<(), BlobError> {
    let bad = |why: &str| Err(BlobError::InvalidKey(format!("{why}: {key:?}")));
    if key.is_empty() {
        return bad("empty key");
    }
    if key.len() > 1024 {
        return bad("key longer than 1024 bytes");
    }
    if key.starts_with('/') {
        return bad("absolute key");
    }
    if key.contains('\\') {
        return bad("backslash in key");
    }
    if key.chars().any(|c| c.is_control()) {
        return bad("control character in key");
    }
    for seg in key.split('/') {
        match seg {
            "" => return bad("empty path segment"),
            "." | ".." => return bad("relative path segment"),
            _ => {}
        }
    }
    // The local store names its in-flight uploads `<key>#<digits>`; such a key would be one.
    if let Some((_, suffix)) = key.rsplit('/').next().unwrap_or(key).rsplit_once('#') {
        if !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit()) {
            return bad("key ends in '#' and digits");
        }
    }
    Ok(())
}

/// The folder of the input bucket every input lives in.
pub const INPUTS: &str = "inputs/";
/// The folder of the output bucket every output lives in.
pub const OUTPUTS: &str = "outputs/";

/// The contract's key of a job's output with this extension: `outputs/<job_id>.<ext>`.
pub fn output_key(job_id: &str, ext: &str) -> String {
    format!("{OUTPUTS}{job_id}.{ext}")
}

/// The contract's `output_s3_prefix` of a job (presign step 1): `outputs/<job_id>/`.
pub fn output_prefix(job_id: &str) -> String {
    format!("{OUTPUTS}{job_id}/")
}

/// The folder of a job's presigned upload: `inputs/<job_id>/` (see [`presigned_input_key`]).
pub fn presigned_input_prefix(job_id: &str) -> String {
    format!("{INPUTS}{job_id}/")
}

/// Where an upload to job `job_id` is written while its request runs: a key of that request alone
/// (`inputs/<job_id>.<nonce>.<ext>`), so that a concurrent submission with the same id, which
/// loses and cleans up, can never remove the winner's file. The worker moves it to
/// [`input_key`] under its lease.
pub fn staged_input_key(job_id: &str, ext: &str) -> String {
    let nonce: u64 = rand::random();
    format!("{INPUTS}{job_id}.{nonce:016x}.{ext}")
}

/// Where a presigned upload is PUT: a key of that reservation alone, outside `inputs/`. Step 3
/// moves it to [`presigned_input_key`], which no upload URL can write, so a URL used again
/// after step 3 (S3 cannot revoke one) changes nothing the job reads.
pub fn staged_presign_key(job_id: &str, filename: &str) -> String {
    let nonce: u64 = rand::random();
    format!("{UPLOADS}{job_id}.{nonce:016x}/{filename}")
}

/// Where presigned uploads are staged ([`staged_presign_key`]).
pub const UPLOADS: &str = "uploads/";

/// The contract's key of a presigned upload: `inputs/<job_id>/<filename>`.
pub fn presigned_input_key(job_id: &str, filename: &str) -> String {
    format!("{}{filename}", presigned_input_prefix(job_id))
}

/// The contract's key of a staged presigned upload; `None` for any other key.
pub fn unstaged_presign_key(key: &str) -> Option<String> {
    let (folder, filename) = key.strip_prefix(UPLOADS)?.split_once('/')?;
    let (job_id, nonce) = folder.split_once('.')?;
    let staged = nonce.len() == 16
        && nonce.bytes().all(|b| b.is_ascii_hexdigit())
        && !filename.contains('/');
    staged.then(|| presigned_input_key(job_id, filename))
}

/// Where one claim of a job writes an output before publishing it: a key of that attempt alone
/// (`outputs/<job_id>.<attempt>.<ext>`, `attempt` 16 hex digits), so a worker that has lost its
/// lease without knowing it cannot overwrite what the job's new holder publishes.
pub fn staged_output_key(job_id: &str, attempt: &str, ext: &str) -> String {
    format!("{OUTPUTS}{job_id}.{attempt}.{ext}")
}

/// An attempt id for [`staged_output_key`], from a lease's fencing token.
pub fn attempt_id(token: &str) -> String {
    let hash = token.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// Whether `key` is a staged object of [`staged_input_key`] or [`staged_output_key`] shape.
pub fn is_staged_object(key: &str) -> bool {
    let Some(rest) = key
        .strip_prefix(INPUTS)
        .or_else(|| key.strip_prefix(OUTPUTS))
    else {
        return false;
    };
    // The extension may hold a dot of its own (`source.json`).
    let mut parts = rest.splitn(3, '.');
    let (Some(job), Some(nonce), Some(ext)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !job.is_empty()
        && !job.contains('/')
        && nonce.len() == 16
        && nonce.bytes().all(|b| b.is_ascii_hexdigit())
        && !ext.is_empty()
}

/// The contract's key of an uploaded input: `inputs/<job_id>.<ext>`.
pub fn input_key(job_id: &str, ext: &str) -> String {
    format!("{INPUTS}{job_id}.{ext}")
}

/// The final key of a staged upload of `job_id` ([`staged_input_key`]); `None` for any other key.
pub fn unstaged_input_key(job_id: &str, key: &str) -> Option<String> {
    let rest = key
        .strip_prefix(INPUTS)?
        .strip_prefix(job_id)?
        .strip_prefix('.')?;
    let (nonce, ext) = rest.split_once('.')?;
    let staged = nonce.len() == 16
        && nonce.bytes().all(|b| b.is_ascii_hexdigit())
        && !ext.is_empty()
        && !ext.contains(['.', '/']);
    staged.then(|| input_key(job_id, ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_keys_map_back_to_the_contract_key() {
        let staged = staged_input_key("abc123", "wav");
        assert_ne!(
            staged,
            staged_input_key("abc123", "wav"),
            "one key per request"
        );
        assert!(validate_key(&staged).is_ok());
        assert_eq!(
            unstaged_input_key("abc123", &staged).as_deref(),
            Some("inputs/abc123.wav")
        );
        assert_eq!(unstaged_input_key("abc123", "inputs/abc123.wav"), None);
        assert_eq!(unstaged_input_key("abc", &staged), None);
        assert_eq!(unstaged_input_key("abc123", "inputs/abc123/talk.wav"), None);
        assert!(is_staged_object(&staged_input_key("abc123", "wav")));
        assert!(is_staged_object(&staged_output_key(
            "abc123",
            &attempt_id("token"),
            "srt"
        )));
        assert!(is_staged_object(&staged_output_key(
            "abc123",
            &attempt_id("token"),
            "source.json"
        )));
        for published in [
            "outputs/abc123.srt",
            "outputs/abc123.source.json",
            "inputs/abc123/talk.wav",
        ] {
            assert!(!is_staged_object(published), "{published}");
        }
        let staged = staged_presign_key("pre1", "talk.wav");
        assert!(
            staged.starts_with(UPLOADS) && validate_key(&staged).is_ok(),
            "{staged}"
        );
        assert_eq!(
            unstaged_presign_key(&staged).as_deref(),
            Some("inputs/pre1/talk.wav")
        );
        assert_eq!(unstaged_presign_key("inputs/pre1/talk.wav"), None);
    }

    #[test]
    fn keys() {
        for ok in [
            "inputs/job1.wav",
            "inputs/job1/my audio.wav",
            "outputs/j.srt",
            "a..b/c",
            "in/take #2b.wav",
            "in/a#",
            "in/[x] {y} 50%.wav",
        ] {
            assert_eq!(validate_key(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "inputs/../../x",
            "a/./b",
            "a//b",
            "a/",
            "a\\b",
            "..\\x",
            "a\0b",
            "a\nb",
            "..",
            ".",
            "in/take#2",
        ] {
            assert!(
                matches!(validate_key(bad), Err(BlobError::InvalidKey(_))),
                "{bad:?}"
            );
        }
    }
}
