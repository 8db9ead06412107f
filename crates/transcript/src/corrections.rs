//! What a user changed in a finished transcript: names for the engine's speaker labels (`S1` →
//! "Alice") and new texts for single words. Corrections never add, remove or move a word, so
//! every word keeps its times and the subtitles their timing; the original transcript is kept
//! beside them and [`Corrections::apply`] makes the corrected one whenever it is needed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::Transcript;

/// The longest speaker name, in characters.
pub const MAX_SPEAKER_NAME_CHARS: usize = 100;
/// The longest corrected word text, in characters.
pub const MAX_WORD_TEXT_CHARS: usize = 200;
/// The most word changes one request may carry.
pub const MAX_WORD_CHANGES: usize = 10_000;

/// The corrections of one transcript, as they are stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Corrections {
    /// Engine label → the name given.
    #[serde(default)]
    pub speakers: BTreeMap<String, String>,
    /// Index of the word in [`Transcript::words`] → its new text.
    #[serde(default)]
    pub words: BTreeMap<usize, String>,
}

/// One request's changes: `null` undoes a correction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionsPatch {
    #[serde(default)]
    pub speakers: BTreeMap<String, Option<String>>,
    #[serde(default)]
    pub words: Vec<WordPatch>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordPatch {
    pub index: usize,
    /// `None` (`null` or left out) restores the engine's text.
    #[serde(default)]
    pub text: Option<String>,
}

impl Corrections {
    pub fn is_empty(&self) -> bool {
        self.speakers.is_empty() && self.words.is_empty()
    }

    /// The transcript as corrected: the same words at the same times, with the new texts and
    /// the speakers' names in place of their labels.
    pub fn apply(&self, original: &Transcript) -> Transcript {
        let mut t = original.clone();
        for (i, word) in t.words.iter_mut().enumerate() {
            if let Some(text) = self.words.get(&i) {
                word.text.clone_from(text);
            }
            if let Some(name) = word.speaker.as_ref().and_then(|s| self.speakers.get(s)) {
                word.speaker = Some(name.clone());
            }
        }
        t
    }

    /// These corrections with `patch` merged in, checked against the transcript they correct.
    /// A text or name equal to the original undoes its correction, so the stored document holds
    /// only real changes. The error names the field that is wrong.
    pub fn merged(&self, patch: &CorrectionsPatch, original: &Transcript) -> Result<Self, String> {
        if patch.words.len() > MAX_WORD_CHANGES {
            return Err(format!(
                "words: at most {MAX_WORD_CHANGES} changes in one request"
            ));
        }
        let mut next = self.clone();
        for (label, name) in &patch.speakers {
            let known = original
                .words
                .iter()
                .any(|w| w.speaker.as_deref() == Some(label));
            if !known {
                return Err(format!(
                    "speakers.{label}: the transcript has no speaker {label:?}"
                ));
            }
            match name {
                None => {
                    next.speakers.remove(label);
                }
                Some(name) => {
                    let name = checked_text(name, MAX_SPEAKER_NAME_CHARS)
                        .map_err(|why| format!("speakers.{label}: {why}"))?;
                    if name == *label {
                        next.speakers.remove(label);
                    } else {
                        next.speakers.insert(label.clone(), name);
                    }
                }
            }
        }
        for (i, change) in patch.words.iter().enumerate() {
            let Some(word) = original.words.get(change.index) else {
                return Err(format!(
                    "words[{i}].index: the transcript has {} words (0 to {})",
                    original.words.len(),
                    original.words.len().saturating_sub(1)
                ));
            };
            match &change.text {
                None => {
                    next.words.remove(&change.index);
                }
                Some(text) => {
                    let text = checked_text(text, MAX_WORD_TEXT_CHARS)
                        .map_err(|why| format!("words[{i}].text: {why}"))?;
                    if text == word.text {
                        next.words.remove(&change.index);
                    } else {
                        next.words.insert(change.index, text);
                    }
                }
            }
        }
        Ok(next)
    }
}

/// `text` trimmed, if it is a usable name or word: not empty, not too long, one line of
/// printable characters.
fn checked_text(text: &str, max_chars: usize) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("must not be empty (null restores the original)".into());
    }
    if text.chars().count() > max_chars {
        return Err(format!("at most {max_chars} characters"));
    }
    if text.chars().any(char::is_control) {
        return Err("must be one line without control characters".into());
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Word;
    use serde_json::json;

    fn word(text: &str, start: f64, speaker: &str) -> Word {
        Word {
            text: text.into(),
            start,
            end: start + 0.4,
            confidence: 0.9,
            speaker: Some(speaker.into()),
            channel: None,
        }
    }

    fn original() -> Transcript {
        Transcript::new(
            "en",
            3.0,
            vec![
                word("Helo", 0.0, "S1"),
                word("there.", 0.5, "S1"),
                word("Hi!", 1.5, "S2"),
            ],
        )
    }

    fn patch(v: serde_json::Value) -> CorrectionsPatch {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn names_and_texts_replace_labels_and_words_at_the_same_times() {
        let c = Corrections::default()
            .merged(
                &patch(json!({"speakers": {"S1": " Alice "}, "words": [{"index": 0, "text": "Hello"}]})),
                &original(),
            )
            .unwrap();
        let t = c.apply(&original());
        let texts: Vec<_> = t.words.iter().map(|w| w.text.as_str()).collect();
        let speakers: Vec<_> = t.words.iter().map(|w| w.speaker.as_deref()).collect();
        assert_eq!(texts, ["Hello", "there.", "Hi!"]);
        assert_eq!(speakers, [Some("Alice"), Some("Alice"), Some("S2")]);
        let times = |t: &Transcript| t.words.iter().map(|w| (w.start, w.end)).collect::<Vec<_>>();
        assert_eq!(times(&t), times(&original()));
        // Stored as JSON and read back unchanged (word indices become object keys).
        let stored = serde_json::to_value(&c).unwrap();
        assert_eq!(
            stored,
            json!({"speakers": {"S1": "Alice"}, "words": {"0": "Hello"}})
        );
        assert_eq!(serde_json::from_value::<Corrections>(stored).unwrap(), c);
    }

    #[test]
    fn null_or_the_original_undoes_a_correction() {
        let c = Corrections::default()
            .merged(
                &patch(json!({"speakers": {"S1": "Alice", "S2": "Bob"}, "words": [{"index": 2, "text": "Hey!"}]})),
                &original(),
            )
            .unwrap();
        let undone = c
            .merged(
                &patch(json!({"speakers": {"S1": null, "S2": "S2"}, "words": [{"index": 2}]})),
                &original(),
            )
            .unwrap();
        assert!(undone.is_empty(), "{undone:?}");
        assert_eq!(undone.apply(&original()), original());
    }

    #[test]
    fn refusals_name_their_field() {
        let refused = |v: serde_json::Value| {
            Corrections::default()
                .merged(&patch(v), &original())
                .unwrap_err()
        };
        assert_eq!(
            refused(json!({"speakers": {"S9": "Zed"}})),
            "speakers.S9: the transcript has no speaker \"S9\""
        );
        assert_eq!(
            refused(json!({"words": [{"index": 0, "text": "ok"}, {"index": 3, "text": "x"}]})),
            "words[1].index: the transcript has 3 words (0 to 2)"
        );
        assert!(refused(json!({"words": [{"index": 1, "text": "  "}]}))
            .starts_with("words[0].text: must not be empty"));
        assert!(refused(json!({"words": [{"index": 1, "text": "a\nb"}]})).contains("one line"));
        assert!(refused(json!({"speakers": {"S1": "x".repeat(101)}})).contains("at most 100"));
        assert!(serde_json::from_value::<CorrectionsPatch>(json!({"speaker": {}})).is_err());
    }
}
