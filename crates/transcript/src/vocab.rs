//! `additional_vocab`: after recognition, any `sounds_like` phrase heard (a sequence of words,
//! compared case-insensitively without punctuation) becomes the entry's `content`. The merged
//! word spans the matched words' times; the prompt side of the option lives with the decoder.

use crate::affix::affixed;
use crate::model::Word;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VocabEntry {
    pub content: String,
    pub sounds_like: Vec<String>,
}

fn norm(s: &str) -> String {
    affixed(s).core.to_lowercase()
}

/// Rewrites every occurrence of a `sounds_like` phrase to its `content`. Longer phrases are
/// tried first, so "new york city" beats "new york". Matches never span channels or speakers.
pub fn apply_vocab(words: &mut Vec<Word>, vocab: &[VocabEntry]) {
    let mut phrases: Vec<(Vec<String>, &str)> = vocab
        .iter()
        .flat_map(|e| e.sounds_like.iter().map(move |s| (s, e.content.as_str())))
        .map(|(s, c)| {
            (
                s.split_whitespace()
                    .map(norm)
                    .filter(|w| !w.is_empty())
                    .collect::<Vec<_>>(),
                c,
            )
        })
        .filter(|(p, _)| !p.is_empty())
        .collect();
    if phrases.is_empty() {
        return;
    }
    phrases.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    let keys: Vec<String> = words.iter().map(|w| norm(&w.text)).collect();
    let mut out = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let hit = phrases.iter().find(|(p, _)| {
            i + p.len() <= words.len()
                && keys[i..i + p.len()] == p[..]
                && words[i..i + p.len()]
                    .iter()
                    .all(|w| w.channel == words[i].channel && w.speaker == words[i].speaker)
        });
        match hit {
            Some((p, content)) => {
                let first = &words[i];
                let last = &words[i + p.len() - 1];
                let lead = affixed(&first.text).lead;
                let trail = affixed(&last.text).trail;
                let n = p.len() as f32;
                out.push(Word {
                    text: format!("{lead}{content}{trail}"),
                    start: first.start,
                    end: last.end,
                    confidence: words[i..i + p.len()]
                        .iter()
                        .map(|w| w.confidence)
                        .sum::<f32>()
                        / n,
                    speaker: first.speaker.clone(),
                    channel: first.channel.clone(),
                });
                i += p.len();
            }
            None => {
                out.push(words[i].clone());
                i += 1;
            }
        }
    }
    *words = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(text: &str, start: f64) -> Word {
        Word {
            text: text.into(),
            start,
            end: start + 0.5,
            confidence: 0.5,
            speaker: None,
            channel: None,
        }
    }

    #[test]
    fn phrase_becomes_content_spanning_times() {
        let mut words = vec![
            w("We", 0.0),
            w("use", 1.0),
            w("See", 2.0),
            w("translate", 3.0),
            w("two.", 4.0),
        ];
        let vocab = [VocabEntry {
            content: "CTranslate2".into(),
            sounds_like: vec!["see translate two".into()],
        }];
        apply_vocab(&mut words, &vocab);
        let texts: Vec<_> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["We", "use", "CTranslate2."]);
        assert_eq!((words[2].start, words[2].end), (2.0, 4.5));
    }

    #[test]
    fn single_word_and_no_match() {
        let mut words = vec![w("Mister", 0.0), w("Dashwood,", 1.0)];
        let vocab = [VocabEntry {
            content: "Dashwood".into(),
            sounds_like: vec!["dash wood".into()],
        }];
        apply_vocab(&mut words, &vocab);
        assert_eq!(words.len(), 2);
        let vocab = [VocabEntry {
            content: "Mr".into(),
            sounds_like: vec!["mister".into()],
        }];
        apply_vocab(&mut words, &vocab);
        assert_eq!(words[0].text, "Mr");
    }
}
