//! Which input files are accepted and how their names map to keys and media types.

/// The contract's audio formats (section 3), with the common spellings of the same containers.
const AUDIO: &[(&str, &str)] = &[
    ("wav", "audio/wav"),
    ("mp3", "audio/mpeg"),
    ("flac", "audio/flac"),
    ("aac", "audio/aac"),
    ("ogg", "audio/ogg"),
    ("opus", "audio/ogg"),
    ("oga", "audio/ogg"),
    ("m4a", "audio/mp4"),
    ("mp4", "video/mp4"),
    ("amr", "audio/amr"),
    ("mpeg", "audio/mpeg"),
    ("mpg", "video/mpeg"),
    ("mp2", "audio/mpeg"),
    ("webm", "audio/webm"),
];

/// What the error says is accepted.
pub const SUPPORTED_LIST: &str = "wav, mp3, flac, aac, ogg, m4a, mp4, amr, mpeg";

/// The lowercase extension of a file name when it is a supported audio format.
pub fn audio_extension(filename: &str) -> Option<String> {
    let (_, ext) = filename.rsplit_once('.')?;
    let ext = ext.to_ascii_lowercase();
    AUDIO.iter().any(|(e, _)| *e == ext).then_some(ext)
}

/// The extension for a declared media type, for uploads whose file name says nothing.
pub fn extension_for_mime(mime: &str) -> Option<&'static str> {
    let mime = mime
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let ext = match mime.as_str() {
        "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => "wav",
        "audio/mpeg" | "audio/mp3" => "mp3",
        "audio/flac" | "audio/x-flac" => "flac",
        "audio/aac" | "audio/x-aac" => "aac",
        "audio/ogg" | "audio/opus" => "ogg",
        "audio/mp4" | "audio/x-m4a" | "audio/m4a" => "m4a",
        "video/mp4" => "mp4",
        "audio/amr" => "amr",
        "video/mpeg" => "mpeg",
        "audio/webm" | "video/webm" => "webm",
        _ => return None,
    };
    Some(ext)
}

/// The media type of a stored object by its extension (audio inputs and rendered outputs).
pub fn mime_for_extension(ext: &str) -> &'static str {
    let ext = ext.to_ascii_lowercase();
    if let Some((_, mime)) = AUDIO.iter().find(|(e, _)| *e == ext) {
        return mime;
    }
    transcript::Format::from_extension(&ext).map_or("application/octet-stream", |f| f.mime_type())
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
    fn extensions() {
        assert_eq!(audio_extension("a.WAV").as_deref(), Some("wav"));
        assert_eq!(audio_extension("talk.final.mp3").as_deref(), Some("mp3"));
        assert_eq!(audio_extension("a.exe"), None);
        assert_eq!(audio_extension("noext"), None);
        assert_eq!(
            extension_for_mime("audio/x-wav; charset=binary"),
            Some("wav")
        );
        assert_eq!(extension_for_mime("application/octet-stream"), None);
        assert_eq!(mime_for_extension("srt"), "application/x-subrip");
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
