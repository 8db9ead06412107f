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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        for ok in ["inputs/job1.wav", "inputs/job1/my audio.wav", "outputs/j.srt", "a..b/c", "in/take #2b.wav", "in/a#", "in/[x] {y} 50%.wav"] {
            assert_eq!(validate_key(ok), Ok(()), "{ok}");
        }
        for bad in ["", "/etc/passwd", "../x", "inputs/../../x", "a/./b", "a//b", "a/", "a\\b", "..\\x", "a\0b", "a\nb", "..", ".", "in/take#2"] {
            assert!(matches!(validate_key(bad), Err(BlobError::InvalidKey(_))), "{bad:?}");
        }
    }
}
