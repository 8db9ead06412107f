//! Diarization error rate of labelled words against reference speaker turns, for tests and
//! measurements (the same figure whether the word times come from a reference or from the
//! recogniser).

use std::collections::BTreeMap;

use transcript::Word;

/// A reference turn: `speaker` speaks from `start` to `end` (seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub start: f64,
    pub end: f64,
    pub speaker: String,
}

/// Reads reference turns from a TSV text with a header line and the columns `start`, `end`,
/// `speaker` (further columns, such as the turn's text, are ignored): the format
/// scripts/fetch-test-data.sh writes next to the two-speaker fixture.
pub fn parse_turns(tsv: &str) -> Result<Vec<Turn>, String> {
    tsv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            let f: Vec<&str> = l.split('\t').collect();
            let bad = || format!("turns line {}: need start, end and speaker: {l:?}", i + 2);
            let time =
                |s: Option<&&str>| s.and_then(|s| s.trim().parse::<f64>().ok()).ok_or_else(bad);
            Ok(Turn {
                start: time(f.first())?,
                end: time(f.get(1))?,
                speaker: f.get(2).ok_or_else(bad)?.to_string(),
            })
        })
        .collect()
}

/// For each reference turn, how many words (by their midpoint) carry each label; unlabelled
/// words are not counted.
/// Asserts that the words of a two-speaker recording carry the labels S1 and S2 only, numbered
/// in order of first appearance.
pub fn assert_two_voices(words: &[Word]) {
    let labels: std::collections::BTreeSet<&str> =
        words.iter().filter_map(|w| w.speaker.as_deref()).collect();
    assert_eq!(
        labels.into_iter().collect::<Vec<_>>(),
        ["S1", "S2"],
        "two voices, numbered S1, S2"
    );
    assert_eq!(
        words[0].speaker.as_deref(),
        Some("S1"),
        "labels in order of first appearance"
    );
}

/// Asserts that no cue of `srt` holds words (by their times) of two speakers.
pub fn assert_no_cue_spans_speakers(srt: &str, words: &[Word]) {
    let seconds = |t: &str| {
        let (hms, ms) = t.trim().split_once(',').unwrap();
        hms.split(':')
            .fold(0.0, |acc, x| acc * 60.0 + x.parse::<f64>().unwrap())
            + ms.parse::<f64>().unwrap() / 1000.0
    };
    for cue in srt.trim_end().split("\n\n") {
        let (a, b) = cue.lines().nth(1).unwrap().split_once(" --> ").unwrap();
        let (a, b) = (seconds(a), seconds(b));
        let inside: std::collections::BTreeSet<&str> = words
            .iter()
            .filter(|w| w.start >= a - 0.002 && w.end <= b + 0.002)
            .filter_map(|w| w.speaker.as_deref())
            .collect();
        assert!(inside.len() <= 1, "cue {cue:?} spans speakers {inside:?}");
    }
}

pub fn labels_per_turn(turns: &[Turn], words: &[Word]) -> Vec<BTreeMap<String, usize>> {
    turns
        .iter()
        .map(|t| {
            let mut counts = BTreeMap::new();
            for w in words
                .iter()
                .filter(|w| (w.start + w.end) / 2.0 >= t.start && (w.start + w.end) / 2.0 <= t.end)
            {
                if let Some(label) = &w.speaker {
                    *counts.entry(label.clone()).or_insert(0) += 1;
                }
            }
            counts
        })
        .collect()
}

/// The parts of the diarization error rate, each a fraction of the reference speech time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Der {
    /// Reference speech with no hypothesis speech over it.
    pub missed: f64,
    /// Hypothesis speech where the reference has none.
    pub false_alarm: f64,
    /// Both speak, but the hypothesis label is not the one mapped to the reference speaker.
    pub confusion: f64,
    /// Seconds of reference speech.
    pub reference_seconds: f64,
}

impl Der {
    /// missed + false alarm + confusion.
    pub fn total(&self) -> f64 {
        self.missed + self.false_alarm + self.confusion
    }
}

/// Speech of one hypothesis label continues over a pause between two of its words up to this
/// long (seconds): word times leave the short pauses between words unlabelled, which a speaker
/// segment covers.
pub const JOIN_GAP_S: f64 = 1.0;

const STEP_S: f64 = 0.01;

/// The project's diarization metric leaves this much (seconds) on each side of every reference
/// turn boundary unscored, as NIST's md-eval and pyannote's usual setting do: word times and
/// hand-made turn bounds are only that precise.
pub const COLLAR_S: f64 = 0.25;

/// Diarization error rate in 10 ms steps under the best one-to-one mapping of hypothesis labels
/// to reference speakers (NIST's definition, no collar, no overlapping speech in the reference).
/// The hypothesis segments are the labelled words, each extended to the next word of the same
/// label when the pause between them is under [`JOIN_GAP_S`]. Words without a speaker count as
/// no speech.
pub fn diarization_error_rate(reference: &[Turn], words: &[Word]) -> Der {
    diarization_error_rate_with_collar(reference, words, 0.0)
}

/// [`diarization_error_rate`] with `collar` seconds each side of every reference turn's start
/// and end left out of the score (the project's metric: [`COLLAR_S`]).
pub fn diarization_error_rate_with_collar(reference: &[Turn], words: &[Word], collar: f64) -> Der {
    let mut ref_names: Vec<&str> = reference.iter().map(|t| t.speaker.as_str()).collect();
    ref_names.sort();
    ref_names.dedup();
    let mut labelled: Vec<&Word> = words.iter().filter(|w| w.speaker.is_some()).collect();
    labelled.sort_by(|a, b| a.start.total_cmp(&b.start));
    let mut hyp_names: Vec<&str> = labelled
        .iter()
        .filter_map(|w| w.speaker.as_deref())
        .collect();
    hyp_names.sort();
    hyp_names.dedup();

    // Hypothesis segments (start, end, label index).
    let mut segments: Vec<(f64, f64, usize)> = Vec::new();
    for (i, w) in labelled.iter().enumerate() {
        let h = hyp_names
            .iter()
            .position(|n| Some(*n) == w.speaker.as_deref())
            .expect("collected");
        let mut end = w.end;
        if let Some(next) = labelled.get(i + 1) {
            if next.speaker == w.speaker && next.start > end && next.start - end < JOIN_GAP_S {
                end = next.start;
            }
        }
        segments.push((w.start, end, h));
    }

    let last = reference
        .iter()
        .map(|t| t.end)
        .chain(segments.iter().map(|s| s.1))
        .fold(0.0, f64::max);
    let steps = (last / STEP_S).ceil() as usize + 1;
    let mut ref_at: Vec<Option<usize>> = vec![None; steps];
    for t in reference {
        let r = ref_names
            .iter()
            .position(|n| *n == t.speaker)
            .expect("collected");
        for slot in ref_at
            .iter_mut()
            .take(((t.end / STEP_S).floor() as usize).min(steps))
            .skip((t.start / STEP_S).ceil() as usize)
        {
            *slot = Some(r);
        }
    }
    // One label per step: the latest segment to start over it.
    let mut hyp_at: Vec<Option<usize>> = vec![None; steps];
    for &(s, e, h) in &segments {
        for slot in hyp_at
            .iter_mut()
            .take(((e / STEP_S).floor() as usize).min(steps))
            .skip((s / STEP_S).ceil() as usize)
        {
            *slot = Some(h);
        }
    }

    let mut scored = vec![true; steps];
    if collar > 0.0 {
        for t in reference {
            for edge in [t.start, t.end] {
                let (a, b) = (
                    ((edge - collar) / STEP_S).ceil().max(0.0) as usize,
                    ((edge + collar) / STEP_S).floor() as usize,
                );
                for slot in scored.iter_mut().take(b.min(steps)).skip(a) {
                    *slot = false;
                }
            }
        }
    }

    let (mut total, mut missed, mut false_alarm) = (0usize, 0usize, 0usize);
    let mut co = vec![vec![0usize; hyp_names.len()]; ref_names.len()];
    for ((r, h), _) in ref_at
        .iter()
        .zip(&hyp_at)
        .zip(&scored)
        .filter(|(_, &scored)| scored)
    {
        match (r, h) {
            (Some(r), Some(h)) => {
                total += 1;
                co[*r][*h] += 1;
            }
            (Some(_), None) => {
                total += 1;
                missed += 1;
            }
            (None, Some(_)) => false_alarm += 1,
            (None, None) => {}
        }
    }
    let both: usize = co.iter().flatten().sum();
    let correct = best_mapping(&co, 0, &mut vec![false; hyp_names.len()]);
    let denom = total.max(1) as f64;
    Der {
        missed: missed as f64 / denom,
        false_alarm: false_alarm as f64 / denom,
        confusion: (both - correct) as f64 / denom,
        reference_seconds: total as f64 * STEP_S,
    }
}

/// Steps matched under the best assignment of hypothesis labels to reference speakers
/// (exhaustive: a handful of speakers).
fn best_mapping(co: &[Vec<usize>], r: usize, used: &mut [bool]) -> usize {
    if r == co.len() {
        return 0;
    }
    let mut best = best_mapping(co, r + 1, used);
    for h in 0..used.len() {
        if !used[h] {
            used[h] = true;
            best = best.max(co[r][h] + best_mapping(co, r + 1, used));
            used[h] = false;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Words spanning `(start, end, speaker)`; an empty speaker is an unlabelled word.
    fn words_at(spans: &[(f64, f64, &str)]) -> Vec<Word> {
        spans
            .iter()
            .map(|&(start, end, speaker)| Word {
                text: "w".into(),
                start,
                end,
                confidence: 1.0,
                speaker: (!speaker.is_empty()).then(|| speaker.to_string()),
                channel: None,
            })
            .collect()
    }

    /// A speaks from 0 to 2 s, B from 3 to 5 s.
    fn a_then_b() -> [Turn; 2] {
        [turn(0.0, 2.0, "A"), turn(3.0, 5.0, "B")]
    }

    fn turn(start: f64, end: f64, speaker: &str) -> Turn {
        Turn {
            start,
            end,
            speaker: speaker.into(),
        }
    }

    #[test]
    fn turns_are_read_from_tsv_and_bad_lines_named() {
        let tsv = "start\tend\tspeaker\ttext\n0.0\t4.5\tA\thello there\n4.5\t9\tB\tgood day\n";
        assert_eq!(
            parse_turns(tsv).unwrap(),
            [turn(0.0, 4.5, "A"), turn(4.5, 9.0, "B")]
        );
        assert_eq!(
            parse_turns("start\tend\tspeaker\nx\t1\tA\n").unwrap_err(),
            "turns line 2: need start, end and speaker: \"x\\t1\\tA\""
        );
    }

    #[test]
    fn labels_are_counted_per_turn_by_word_midpoint() {
        let reference = a_then_b();
        // the last word's midpoint (2.25) falls between the turns; the unlabelled one is skipped
        let words = words_at(&[
            (0.0, 1.0, "S1"),
            (1.0, 1.9, "S2"),
            (1.5, 3.0, "S1"),
            (3.5, 4.0, ""),
            (4.0, 5.0, "S2"),
        ]);
        let counts = labels_per_turn(&reference, &words);
        let expected = |pairs: &[(&str, usize)]| {
            pairs
                .iter()
                .map(|(l, n)| (l.to_string(), *n))
                .collect::<BTreeMap<_, _>>()
        };
        assert_eq!(
            counts,
            [expected(&[("S1", 1), ("S2", 1)]), expected(&[("S2", 1)])]
        );
    }

    #[test]
    fn perfect_swapped_and_partial() {
        let reference = a_then_b();
        // Labels are names only: S2 for A and S1 for B is a perfect answer.
        let words = words_at(&[(0.0, 1.0, "S2"), (1.0, 2.0, "S2"), (3.0, 5.0, "S1")]);
        let d = diarization_error_rate(&reference, &words);
        assert!(d.total() < 0.01, "{d:?}");
        assert!((d.reference_seconds - 4.0).abs() < 0.02);
        // Everything one speaker: B's half is confusion.
        let words = words_at(&[(0.0, 2.0, "S1"), (3.0, 5.0, "S1")]);
        let d = diarization_error_rate(&reference, &words);
        assert!((d.confusion - 0.5).abs() < 0.01 && d.missed < 0.01, "{d:?}");
        // A pause of 0.5 s inside a turn is joined; a word in the silence is a false alarm;
        // unlabelled words are no speech.
        let words = words_at(&[
            (0.0, 0.5, "S1"),
            (1.0, 2.0, "S1"),
            (2.2, 2.7, "S2"),
            (3.0, 5.0, ""),
        ]);
        let d = diarization_error_rate(&reference, &words);
        assert!((d.missed - 0.5).abs() < 0.01, "{d:?}");
        assert!((d.false_alarm - 0.125).abs() < 0.01, "{d:?}");
        assert!(d.confusion < 0.01, "{d:?}");
    }

    #[test]
    fn the_collar_leaves_turn_edges_unscored() {
        let reference = a_then_b();
        // B's label starts 0.2 s late and A's runs 0.2 s long: inside the collar, no error.
        let words = words_at(&[(0.0, 2.2, "S1"), (3.2, 5.0, "S2")]);
        let plain = diarization_error_rate(&reference, &words);
        assert!(plain.total() > 0.05, "{plain:?}");
        let d = diarization_error_rate_with_collar(&reference, &words, COLLAR_S);
        assert!(d.total() < 0.01, "{d:?}");
        // 4 s of speech less four 0.5 s collars (two of them overlap speech by half).
        assert!((d.reference_seconds - 3.0).abs() < 0.03, "{d:?}");
    }
}
