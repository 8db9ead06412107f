//! The transcript model and its renderers. Knows nothing of audio decoding or of the engine
//! that produced the words, so any recognition backend can feed it.
//!
//! - [`render`] gives the file text of one [`Format`]; [`to_json`], [`to_txt`], [`to_srt`],
//!   [`to_vtt`] are the per-format renderers and [`cues()`] the subtitle layout behind srt/vtt.
//! - json: Speechmatics json-v2 (`format` 2.9), punctuation split off words ([`punct`]).
//! - txt: paragraphs at pauses of 2 s or more, speaker changes and channel turns, labelled
//!   `S1: ` / `Channel 1: ` when the words carry speakers / channels; empty transcript → `""`.
//! - srt / vtt: cues obeying [`CueOptions`] (see [`mod@cues`] for the rules); empty → `""` /
//!   `"WEBVTT\n"`.
//!
//! Renderers never fail: they clean what they are given (see `clean`), so a malformed word
//! (NaN times, empty text) degrades the output instead of aborting a finished job.

mod affix;
mod clean;
mod corrections;
mod cues;
mod entities;
mod format;
mod json;
mod language;
mod locale;
mod model;
mod punct;
mod source;
mod subtitles;
mod txt;
mod units;
mod vocab;

pub use corrections::{
    Corrections, CorrectionsPatch, WordPatch, MAX_SPEAKER_NAME_CHARS, MAX_WORD_CHANGES,
    MAX_WORD_TEXT_CHARS,
};
pub use cues::{cues, Cue, CueOptions};
pub use entities::{find_entities, EntitySpan};
pub use format::{Format, ParseFormatError};
pub use json::{round_ms, to_json, word_results, JsonMeta};
pub use locale::{apply_locale, spelling_for, Spelling, LOCALES};
pub use model::{DecodedSegment, Transcript, Word};
pub use source::{Source, SOURCE_EXTENSION, STORED_EXTENSIONS};
pub use subtitles::{to_srt, to_vtt};
pub use txt::to_txt;
pub use vocab::{apply_vocab, VocabEntry};

/// The transcript in `format`, as the text of the output file. `meta` is used by json only,
/// `cues` by srt and vtt only. Json is pretty-printed and ends with a newline.
pub fn render(t: &Transcript, format: Format, meta: &JsonMeta, cues: &CueOptions) -> String {
    match format {
        // `Value`'s alternate Display is infallible pretty printing (`to_string_pretty` returns a
        // Result that cannot fail for a Value but would need handling).
        Format::Json => format!("{:#}\n", to_json(t, meta)),
        Format::Txt => to_txt(t),
        Format::Srt => to_srt(t, cues),
        Format::Vtt => to_vtt(t, cues),
    }
}
