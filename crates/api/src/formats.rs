//! Which input files are accepted and how their names map to keys and media types.

pub use audio::extensions::{audio_extension, extension_for_mime, SUPPORTED_LIST};

/// The media type of a stored object by its extension (audio inputs and rendered outputs).
pub fn mime_for_extension(ext: &str) -> &'static str {
    let ext = ext.to_ascii_lowercase();
    audio::extensions::mime_for_extension(&ext)
        .or_else(|| transcript::Format::from_extension(&ext).map(|f| f.mime_type()))
        .unwrap_or("application/octet-stream")
}

/// The media type of a stored object by its key's extension.
pub fn mime_for_key(key: &str) -> &'static str {
    let name = key.rsplit('/').next().unwrap_or(key);
    mime_for_extension(name.rsplit_once('.').map(|(_, e)| e).unwrap_or_default())
}

/// The longest presign `filename`, in bytes (the common file-system limit).
pub const MAX_FILENAME_BYTES: usize = 255;

/// A presign `filename` must be one plain file name of `[A-Za-z0-9._-]`: it becomes part of a
/// storage key, a download's file name and a header, where anything else needs escaping.
pub fn valid_filename(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_FILENAME_BYTES
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_and_file_names() {
        for (extension, mime) in [("srt", "application/x-subrip"), ("WAV", "audio/wav")] {
            assert_eq!(mime_for_extension(extension), mime);
        }
        for (key, mime) in [
            ("outputs/j.vtt", "text/vtt; charset=utf-8"),
            ("inputs/j/a.bin", "application/octet-stream"),
        ] {
            assert_eq!(mime_for_key(key), mime);
        }
        assert!(valid_filename("audio_file-2.final.wav"));
        assert!(valid_filename(&format!("{}.wav", "a".repeat(251))));
        assert!(!valid_filename(&format!("{}.wav", "a".repeat(252))));
        for bad in [
            "",
            "..",
            "a/b.wav",
            "a\\b.wav",
            "a\nb.wav",
            "audio file.wav",
            "é.wav",
            "a\"b.wav",
        ] {
            assert!(!valid_filename(bad), "{bad:?}");
        }
    }
}
