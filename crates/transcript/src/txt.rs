//! The plain running transcript: paragraphs of naturally joined words, a new paragraph at each
//! long pause, speaker change or channel turn, labelled when speakers or channels are known.

use crate::clean::{clean_words, pause_at_least};
use crate::language::word_delimiter;
use crate::model::Transcript;
use crate::units::{join, units, Unit};

/// A silence at least this long (seconds) starts a new paragraph.
pub const PARAGRAPH_PAUSE_S: f64 = 2.0;

/// `"channel_2"` → `"Channel 2"`; any other name is shown as it is.
pub fn channel_label(channel: &str) -> String {
    match channel.strip_prefix("channel_") {
        Some(n) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => format!("Channel {n}"),
        _ => channel.to_string(),
    }
}

/// Paragraphs separated by a blank line, ending with a newline. An empty transcript renders as
/// an empty string (not `"\n"`): an empty file says "nothing was said" unambiguously.
pub fn to_txt(t: &Transcript) -> String {
    let words = clean_words(t);
    let units = units(&words);
    let delimiter = word_delimiter(&t.language);
    let has_speakers = words.iter().any(|w| w.speaker.is_some());
    let has_channels = words.iter().any(|w| w.channel.is_some());

    let mut paragraphs: Vec<&[Unit<'_>]> = Vec::new();
    let mut from = 0;
    for i in 1..=units.len() {
        let ends = i == units.len() || {
            let (a, b) = (&units[i - 1], &units[i]);
            a.speaker != b.speaker
                || a.channel != b.channel
                || pause_at_least(a.end, b.start, PARAGRAPH_PAUSE_S)
        };
        if ends {
            paragraphs.push(&units[from..i]);
            from = i;
        }
    }

    let mut out = String::new();
    for (i, p) in paragraphs.iter().enumerate() {
        if i > 0 {
            out.push_str("\n\n");
        }
        let first = &p[0];
        let channel = has_channels.then(|| {
            first
                .channel
                .map_or_else(|| "Unknown channel".to_string(), channel_label)
        });
        let speaker = has_speakers.then(|| first.speaker.unwrap_or("UU"));
        match (channel, speaker) {
            (Some(c), Some(s)) => out.push_str(&format!("{c}, {s}: ")),
            (Some(c), None) => out.push_str(&format!("{c}: ")),
            (None, Some(s)) => out.push_str(&format!("{s}: ")),
            (None, None) => {}
        }
        out.push_str(&join(p.iter(), delimiter));
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}
