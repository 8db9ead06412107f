//! The output formats a finished job can be rendered to, with the names the API uses for them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Txt,
    Srt,
    Vtt,
}

impl Format {
    /// Every format, in the order a job's outputs are written and listed.
    pub const ALL: [Format; 4] = [Format::Json, Format::Txt, Format::Srt, Format::Vtt];

    /// The format whose file extension this is.
    pub fn from_extension(ext: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.extension() == ext)
    }

    /// The name used in the API and in output keys (`outputs/<job_id>.<name>`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Txt => "txt",
            Format::Srt => "srt",
            Format::Vtt => "vtt",
        }
    }

    /// File extension, without the dot.
    pub fn extension(self) -> &'static str {
        self.as_str()
    }

    pub fn mime_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Txt => "text/plain; charset=utf-8",
            Format::Srt => "application/x-subrip",
            Format::Vtt => "text/vtt; charset=utf-8",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A format name that is not one of `json`, `txt`, `srt`, `vtt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseFormatError(pub String);

impl fmt::Display for ParseFormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown output format '{}' (expected json, txt, srt or vtt)",
            self.0
        )
    }
}

impl std::error::Error for ParseFormatError {}

impl FromStr for Format {
    type Err = ParseFormatError;

    /// Case-insensitive, surrounding whitespace ignored: names come from users.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim();
        Format::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| ParseFormatError(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.to_string().parse::<Format>(), Ok(f));
            assert_eq!(f.extension(), f.to_string());
        }
        assert_eq!(" SRT ".parse::<Format>(), Ok(Format::Srt));
        assert_eq!("Vtt".parse::<Format>(), Ok(Format::Vtt));
    }

    #[test]
    fn unknown_name_is_a_clear_error() {
        let err = "docx".parse::<Format>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown output format 'docx' (expected json, txt, srt or vtt)"
        );
        assert!("".parse::<Format>().is_err());
    }

    #[test]
    fn mime_types() {
        assert_eq!(Format::Json.mime_type(), "application/json");
        assert_eq!(Format::Txt.mime_type(), "text/plain; charset=utf-8");
        assert_eq!(Format::Srt.mime_type(), "application/x-subrip");
        assert_eq!(Format::Vtt.mime_type(), "text/vtt; charset=utf-8");
    }

    #[test]
    fn serde_uses_the_api_names() {
        assert_eq!(serde_json::to_string(&Format::Srt).unwrap(), "\"srt\"");
        assert_eq!(
            serde_json::from_str::<Format>("\"txt\"").unwrap(),
            Format::Txt
        );
    }
}
