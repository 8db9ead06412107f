//! The file extensions and media types of the contract's audio formats (section 3), with the
//! common spellings of the same containers: what an upload's or a URL's name may end in, and
//! what a stored input is served as. (The format itself is always told from the content.)

/// Extension and media type of every accepted audio file name.
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

/// The media type of an audio file by its (lowercase) extension.
pub fn mime_for_extension(ext: &str) -> Option<&'static str> {
    AUDIO.iter().find(|(e, _)| *e == ext).map(|(_, mime)| *mime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_media_types() {
        assert_eq!(audio_extension("a.WAV").as_deref(), Some("wav"));
        assert_eq!(audio_extension("talk.final.mp3").as_deref(), Some("mp3"));
        assert_eq!(audio_extension("a.exe"), None);
        assert_eq!(audio_extension("noext"), None);
        assert_eq!(
            extension_for_mime("audio/x-wav; charset=binary"),
            Some("wav")
        );
        assert_eq!(extension_for_mime("application/octet-stream"), None);
        assert_eq!(mime_for_extension("m4a"), Some("audio/mp4"));
        // Every listed extension of the contract is accepted.
        for ext in SUPPORTED_LIST.split(", ") {
            assert!(audio_extension(&format!("a.{ext}")).is_some(), "{ext}");
        }
    }
}
