//! Everything a job's outputs are rendered from, kept beside them (`outputs/<job_id>.source.json`)
//! so that they can be rendered again: after a user's corrections, and to undo them.

use serde::{Deserialize, Serialize};

use crate::corrections::Corrections;
use crate::{render, CueOptions, DecodedSegment, Format, JsonMeta, Transcript};

/// The extension of the stored source, in the outputs' folder: `outputs/<job_id>.source.json`.
pub const SOURCE_EXTENSION: &str = "source.json";

/// The extensions of every object a finished job keeps in the output bucket: its outputs and
/// their source (what DELETE and the retention sweeper remove).
pub const STORED_EXTENSIONS: [&str; 5] = ["json", "txt", "srt", "vtt", SOURCE_EXTENSION];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub transcript: Transcript,
    pub meta: JsonMeta,
    pub cues: CueOptions,
    /// The decoder's segments (none in sources written before they were kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<DecodedSegment>,
}

impl Source {
    /// Every format's text, with `corrections` applied.
    pub fn render_all(&self, corrections: &Corrections) -> [(Format, String); 4] {
        let transcript = corrections.apply(&self.transcript);
        Format::ALL.map(|f| (f, render(&transcript, f, &self.meta, &self.cues)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_extensions_are_every_format_and_the_source() {
        let formats: Vec<_> = Format::ALL.iter().map(|f| f.extension()).collect();
        assert_eq!(STORED_EXTENSIONS[..4], formats[..]);
        assert_eq!(STORED_EXTENSIONS[4], SOURCE_EXTENSION);
    }
}
