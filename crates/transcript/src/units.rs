//! Display units for the text renderers: a word together with the punctuation-only words
//! around it (an engine may emit `","` as a word of its own), so a comma never starts a
//! subtitle line and text joins naturally (`Hello, world` rather than `Hello , world`).

use crate::clean::CleanWord;
use crate::punct::{is_clause_end, split_word, Attach, Piece};

#[derive(Debug, Clone)]
pub(crate) struct Unit<'a> {
    pub text: String,
    pub start: f64,
    pub end: f64,
    pub speaker: Option<&'a str>,
    pub channel: Option<&'a str>,
    /// The unit ends a sentence (trailing `.`, `?`, `!`, `…`…).
    pub eos: bool,
    /// The unit ends a clause (trailing `,`, `;`, `:`, dash…) but not a sentence.
    pub clause: bool,
}

impl Unit<'_> {
    pub fn chars(&self) -> usize {
        self.text.chars().count()
    }
}

/// Sentence and clause ends of the trailing marks.
fn ending(pieces: &[Piece<'_>]) -> (bool, bool) {
    let trailing = pieces.iter().rev().take_while(|p| {
        matches!(
            p,
            Piece::Punct {
                attaches_to: Attach::Previous,
                ..
            }
        )
    });
    let mut eos = false;
    let mut clause = false;
    for p in trailing {
        if let Piece::Punct {
            content, is_eos, ..
        } = p
        {
            eos |= *is_eos;
            clause |= content.chars().any(is_clause_end);
        }
    }
    (eos, clause && !eos)
}

pub(crate) fn units<'a>(words: &[CleanWord<'a>]) -> Vec<Unit<'a>> {
    let mut out: Vec<Unit<'a>> = Vec::with_capacity(words.len());
    // Opening marks that stood alone, waiting for the word they open.
    let mut pending: Option<(String, f64)> = None;
    for w in words {
        let pieces = split_word(&w.text);
        let punct_only = pieces.iter().all(|p| matches!(p, Piece::Punct { .. }));
        let (eos, clause) = ending(&pieces);
        if punct_only
            && pieces.iter().all(|p| {
                matches!(
                    p,
                    Piece::Punct {
                        attaches_to: Attach::Next,
                        ..
                    }
                )
            })
        {
            let (text, start) = pending.get_or_insert_with(|| (String::new(), w.start));
            text.push_str(&w.text);
            *start = start.min(w.start);
            continue;
        }
        if punct_only && pending.is_none() {
            if let Some(last) = out
                .last_mut()
                .filter(|u| u.speaker == w.speaker && u.channel == w.channel)
            {
                last.text.push_str(&w.text);
                last.end = last.end.max(w.end);
                // A closing quote or bracket after `.` leaves the sentence ended.
                if eos || clause {
                    last.eos = eos;
                    last.clause = clause;
                }
                continue;
            }
        }
        let (mut text, start) = pending.take().unwrap_or_else(|| (String::new(), w.start));
        text.push_str(&w.text);
        out.push(Unit {
            text,
            start,
            end: w.end,
            speaker: w.speaker,
            channel: w.channel,
            eos,
            clause,
        });
    }
    if let Some((text, start)) = pending {
        // Opening marks with nothing after them: keep them as a unit of their own.
        let (speaker, channel) = words
            .last()
            .map(|w| (w.speaker, w.channel))
            .unwrap_or((None, None));
        let end = words.last().map_or(start, |w| w.end);
        out.push(Unit {
            text,
            start,
            end,
            speaker,
            channel,
            eos: false,
            clause: false,
        });
    }
    out
}

/// Units' text joined with the language's word delimiter.
pub(crate) fn join<'u, 'a: 'u>(
    units: impl IntoIterator<Item = &'u Unit<'a>>,
    delimiter: &str,
) -> String {
    let mut s = String::new();
    for (i, u) in units.into_iter().enumerate() {
        if i > 0 {
            s.push_str(delimiter);
        }
        s.push_str(&u.text);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cw(text: &str, start: f64) -> CleanWord<'static> {
        CleanWord {
            text: text.into(),
            start,
            end: start + 0.2,
            confidence: 1.0,
            speaker: None,
            channel: None,
        }
    }

    #[test]
    fn punctuation_words_join_their_neighbours() {
        let words = [
            cw("He", 0.0),
            cw("said", 0.3),
            cw(",", 0.5),
            cw("“", 0.6),
            cw("hi", 0.7),
            cw(".", 0.9),
            cw("”", 0.9),
        ];
        let us = units(&words);
        assert_eq!(join(&us, " "), "He said, “hi.”");
        assert_eq!(us.len(), 3);
        assert!(us[1].clause && !us[1].eos);
        // The closing quote comes after the full stop: the unit still ends the sentence.
        assert!(us[2].eos);
        assert_eq!(us[2].start, 0.6);
        assert_eq!(us[2].end, 0.9 + 0.2);
    }

    #[test]
    fn leading_punctuation_word_without_previous_stays() {
        let us = units(&[cw(",", 0.0), cw("so", 0.2), cw("(", 0.4)]);
        assert_eq!(join(&us, " "), ", so (");
        assert_eq!(us.len(), 3);
    }

    #[test]
    fn never_merges_across_speakers() {
        let mut comma = cw(",", 0.5);
        comma.speaker = Some("S2");
        let mut first = cw("yes", 0.0);
        first.speaker = Some("S1");
        let us = units(&[first, comma]);
        assert_eq!(us.len(), 2);
    }
}
