//! The one place that turns engine output into something every renderer can trust: text
//! trimmed with inner whitespace collapsed (a newline inside a word would break srt), times
//! finite, non-negative and ordered, confidence in 0..=1, words in time order. Renderers take
//! `&Transcript` from any source, so they clean rather than assume.

use crate::model::{Transcript, Word};

#[derive(Debug, Clone)]
pub(crate) struct CleanWord<'a> {
    pub text: String,
    pub start: f64,
    pub end: f64,
    pub confidence: f64,
    pub speaker: Option<&'a str>,
    pub channel: Option<&'a str>,
}

/// About 31 years: no recording is longer, and millisecond arithmetic stays far from overflow.
const MAX_SECONDS: f64 = 1e9;

fn seconds(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 {
        x.min(MAX_SECONDS)
    } else {
        0.0
    }
}

fn label(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn clean(w: &Word) -> Option<CleanWord<'_>> {
    let text = w.text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return None;
    }
    let start = seconds(w.start);
    let end = seconds(w.end).max(start);
    let confidence = f64::from(w.confidence);
    let confidence = if confidence.is_finite() {
        confidence.clamp(0.0, 1.0)
    } else {
        0.0
    };
    Some(CleanWord {
        text,
        start,
        end,
        confidence,
        speaker: label(&w.speaker),
        channel: label(&w.channel),
    })
}

/// Words with empty text are dropped; the rest are stably sorted by start time.
pub(crate) fn clean_words(t: &Transcript) -> Vec<CleanWord<'_>> {
    let mut words: Vec<CleanWord<'_>> = t.words.iter().filter_map(clean).collect();
    words.sort_by(|a, b| a.start.total_cmp(&b.start));
    words
}

/// Whether the silence from `end` to `start` lasts at least `threshold` seconds, judged in
/// whole milliseconds so that a gap of exactly the threshold counts despite float noise
/// (`4.2 - 2.2` is not `2.0` in binary).
pub(crate) fn pause_at_least(end: f64, start: f64, threshold: f64) -> bool {
    ((start - end) * 1000.0).round() >= (threshold * 1000.0).round()
}

/// The audio duration, or 0 when the transcript does not know it.
pub(crate) fn duration(t: &Transcript) -> f64 {
    seconds(t.duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(text: &str, start: f64, end: f64) -> Word {
        Word {
            text: text.into(),
            start,
            end,
            confidence: 0.5,
            speaker: None,
            channel: None,
        }
    }

    #[test]
    fn cleans_and_sorts() {
        let mut bad = w(" a\nb ", f64::NAN, -3.0);
        bad.confidence = f32::NAN;
        bad.speaker = Some("  ".into());
        let mut loud = w("c", 2.0, 1.0);
        loud.confidence = 7.0;
        loud.channel = Some(" channel_2 ".into());
        let t = Transcript {
            language: "en".into(),
            duration: f64::INFINITY,
            words: vec![w("later", 5.0, 6.0), w("   ", 1.0, 2.0), bad, loud],
        };
        let words = clean_words(&t);
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["a b", "c", "later"]);
        assert_eq!(
            (words[0].start, words[0].end, words[0].confidence),
            (0.0, 0.0, 0.0)
        );
        assert_eq!(words[0].speaker, None);
        assert_eq!(
            (words[1].start, words[1].end, words[1].confidence),
            (2.0, 2.0, 1.0)
        );
        assert_eq!(words[1].channel, Some("channel_2"));
        assert_eq!(duration(&t), 0.0);
    }

    #[test]
    fn pauses_are_judged_in_milliseconds() {
        assert!(pause_at_least(2.2, 4.2, 2.0));
        assert!(pause_at_least(0.1 + 0.2, 1.1, 0.8));
        assert!(!pause_at_least(1.0, 2.9994, 2.0));
        assert!(!pause_at_least(5.0, 4.0, 0.8));
    }
}
