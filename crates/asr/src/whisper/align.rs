//! Word timings from the decoder's cross-attention: CTranslate2 aligns the text tokens to
//! encoder frames by dynamic time warping over the model's alignment heads (several windows
//! per call); this file turns that into words the way faster-whisper does (`find_alignment`, `add_word_timestamps`,
//! `merge_punctuations`), including its clamps of overlong words at pauses.

use ct2rs::sys::{StorageView, Whisper, WhisperAlignmentResult};

use super::decode::Segment;
use super::one_per_window;
use super::tokenizer::WhisperTokenizer;
use crate::AsrError;

const MEDIAN_FILTER_WIDTH: i64 = 7;
/// Encoder frames (timestamp tokens) per second.
const TOKENS_PER_SECOND: f64 = 50.0;
const FRAMES_PER_SECOND: f64 = 100.0;
pub const PREPEND_PUNCTUATIONS: &str = "\"'“¿([{-";
pub const APPEND_PUNCTUATIONS: &str = "\"'.。,，!！?？:：”)]}、";
const SENTENCE_END_MARKS: &str = ".。!！?？";

/// A word with its time in seconds from the audio start and the model's probability for it.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedWord {
    /// As Whisper writes it, usually with a leading space.
    pub word: String,
    pub start: f64,
    pub end: f64,
    pub probability: f32,
}

struct Timing {
    word: String,
    tokens: Vec<u32>,
    start: f64,
    end: f64,
    probability: f32,
}

pub struct AlignContext<'a> {
    pub model: &'a Whisper,
    pub tokenizer: &'a WhisperTokenizer,
    pub sot_sequence: &'a [u32],
    pub language: &'a str,
}

/// The text tokens of a window's segments, as the aligner takes them.
pub fn text_tokens(segments: &[Segment], eot: u32) -> Vec<u32> {
    segments
        .iter()
        .flat_map(|s| s.tokens.iter().copied().filter(|&t| t < eot))
        .collect()
}

/// Aligns the text of several windows at once: `encoder_output` holds the windows encoded as
/// one batch, `texts[i]` the text tokens of window i (see [`text_tokens`]) and `frames[i]` its
/// number of mel frames. A window without text gets an empty alignment.
///
/// CTranslate2 4.8.4's aligner corrupts memory when the windows of a batch have different frame
/// counts, so every window is aligned over the longest one's frames: a shorter window's words
/// may come out past its end, and the caller holds them to its audio.
pub fn align_batch(
    ctx: &AlignContext,
    encoder_output: &StorageView,
    texts: &[Vec<u32>],
    frames: &[usize],
) -> Result<Vec<WhisperAlignmentResult>, AsrError> {
    let start: Vec<usize> = ctx.sot_sequence.iter().map(|&t| t as usize).collect();
    // The aligner takes the whole batch; an empty text stands in as the end token alone and
    // its result is dropped.
    let tokens: Vec<Vec<usize>> = texts
        .iter()
        .map(|t| {
            if t.is_empty() {
                vec![ctx.tokenizer.eot as usize]
            } else {
                t.iter().map(|&t| t as usize).collect()
            }
        })
        .collect();
    let longest = frames.iter().copied().max().unwrap_or(0);
    let frames = vec![longest; texts.len()];
    let results = one_per_window(
        "aligning words",
        ctx.model.align(
            encoder_output,
            &start,
            &tokens,
            &frames,
            MEDIAN_FILTER_WIDTH,
        ),
        texts.len(),
    )?;
    Ok(results
        .into_iter()
        .zip(texts)
        .map(|(r, t)| {
            if t.is_empty() {
                WhisperAlignmentResult {
                    alignments: Vec::new(),
                    text_token_probs: Vec::new(),
                }
            } else {
                r
            }
        })
        .collect())
}

/// Gives every segment of one window its words (`words[i]` for `segments[i]`) from the
/// window's alignment (see [`align_batch`]) and adjusts the segments' start and end to them.
/// Returns the new end of the last speech.
pub fn add_word_timestamps(
    ctx: &AlignContext,
    segments: &mut [Segment],
    aligned: &WhisperAlignmentResult,
    mut last_speech_timestamp: f64,
) -> Result<(Vec<Vec<TimedWord>>, f64), AsrError> {
    let eot = ctx.tokenizer.eot;
    let tokens_per_segment: Vec<Vec<u32>> = segments
        .iter()
        .map(|s| s.tokens.iter().copied().filter(|&t| t < eot).collect())
        .collect();
    let text_tokens: Vec<u32> = tokens_per_segment.iter().flatten().copied().collect();
    let mut alignment = timings(ctx, &text_tokens, aligned);

    let mut durations: Vec<f64> = alignment
        .iter()
        .map(|w| w.end - w.start)
        .filter(|d| *d != 0.0)
        .collect();
    let median_duration = median(&mut durations).unwrap_or(0.0).min(0.7);
    let max_duration = median_duration * 2.0;

    // Truncate long words at sentence boundaries (faster-whisper's hack, kept for parity).
    if !durations.is_empty() {
        for i in 1..alignment.len() {
            if alignment[i].end - alignment[i].start > max_duration {
                if SENTENCE_END_MARKS.contains(alignment[i].word.as_str()) {
                    alignment[i].end = alignment[i].start + max_duration;
                } else if SENTENCE_END_MARKS.contains(alignment[i - 1].word.as_str()) {
                    alignment[i].start = alignment[i].end - max_duration;
                }
            }
        }
    }
    merge_punctuations(&mut alignment, PREPEND_PUNCTUATIONS, APPEND_PUNCTUATIONS);
    if ctx.tokenizer.uses_spaces(ctx.language) {
        join_word_pieces(&mut alignment);
    }

    let time_offset = segments
        .first()
        .map_or(0.0, |s| s.seek as f64 / FRAMES_PER_SECOND);
    let mut word_index = 0;
    let mut all_words = Vec::with_capacity(segments.len());
    for (segment, seg_tokens) in segments.iter_mut().zip(&tokens_per_segment) {
        let mut saved_tokens = 0;
        let mut words: Vec<TimedWord> = Vec::new();
        while word_index < alignment.len() && saved_tokens < seg_tokens.len() {
            let timing = &alignment[word_index];
            if !timing.word.is_empty() {
                words.push(TimedWord {
                    word: timing.word.clone(),
                    start: round2(time_offset + timing.start),
                    end: round2(time_offset + timing.end),
                    probability: timing.probability,
                });
            }
            saved_tokens += timing.tokens.len();
            word_index += 1;
        }

        if !words.is_empty() {
            // The first (and second) word after a pause must not be longer than twice the
            // median word: DTW tends to stretch them back into the silence.
            let first_long = words[0].end - words[0].start > max_duration;
            let pair_long = words.len() > 1 && words[1].end - words[0].start > max_duration * 2.0;
            if words[0].end - last_speech_timestamp > median_duration * 4.0
                && (first_long || pair_long)
            {
                if words.len() > 1 && words[1].end - words[1].start > max_duration {
                    let boundary = (words[1].end / 2.0).max(words[1].end - max_duration);
                    words[0].end = boundary;
                    words[1].start = boundary;
                }
                words[0].start = (words[0].end - max_duration).max(0.0);
            }
            // Prefer the segment's own start when the first word is too long.
            if segment.start < words[0].end && segment.start - 0.5 > words[0].start {
                words[0].start = (words[0].end - median_duration).min(segment.start).max(0.0);
            } else {
                segment.start = words[0].start;
            }
            // And the segment's end when the last word is too long.
            let last = words.len() - 1;
            if segment.end > words[last].start && segment.end + 0.5 < words[last].end {
                words[last].end = (words[last].start + median_duration).max(segment.end);
            } else {
                segment.end = words[last].end;
            }
            last_speech_timestamp = segment.end;
        }
        all_words.push(words);
    }
    Ok((all_words, last_speech_timestamp))
}

/// Word timings from the aligner's token path: each word starts where the path first reaches
/// its first token and ends where it reaches the next word.
fn timings(
    ctx: &AlignContext,
    text_tokens: &[u32],
    result: &WhisperAlignmentResult,
) -> Vec<Timing> {
    if text_tokens.is_empty() {
        return Vec::new();
    }
    let mut with_eot = text_tokens.to_vec();
    with_eot.push(ctx.tokenizer.eot);
    let (words, word_tokens) = ctx.tokenizer.split_to_word_tokens(&with_eot, ctx.language);
    if word_tokens.len() <= 1 {
        return Vec::new();
    }
    // Time of the first frame of each text token: where the DTW path moves to a new token.
    let mut jump_times: Vec<f64> = Vec::with_capacity(text_tokens.len() + 1);
    let mut previous: Option<i64> = None;
    for pair in &result.alignments {
        if previous != Some(pair.token_x) {
            jump_times.push(pair.frame_x as f64 / TOKENS_PER_SECOND);
        }
        previous = Some(pair.token_x);
    }
    if jump_times.is_empty() {
        return Vec::new();
    }
    let jump_at = |i: usize| jump_times[i.min(jump_times.len() - 1)];
    let probs = &result.text_token_probs;

    // The last word is the end token alone; it only closes the one before it.
    let n_words = words.len() - 1;
    let mut timings = Vec::with_capacity(n_words);
    let mut boundary = 0usize;
    for (word, tokens) in words.into_iter().zip(word_tokens).take(n_words) {
        let next = boundary + tokens.len();
        let slice = probs
            .get(boundary.min(probs.len())..next.min(probs.len()))
            .unwrap_or(&[]);
        let probability = if slice.is_empty() {
            0.0
        } else {
            (slice.iter().sum::<f32>() / slice.len() as f32).clamp(0.0, 1.0)
        };
        timings.push(Timing {
            word,
            tokens,
            start: jump_at(boundary),
            end: jump_at(next),
            probability,
        });
        boundary = next;
    }
    timings
}

/// faster-whisper's `merge_punctuations`: opening marks join the following word, closing
/// marks the preceding one, leaving empty entries behind (skipped when words are emitted).
/// The `contains` tests are substring tests like Python's `in`.
fn merge_punctuations(alignment: &mut [Timing], prepended: &str, appended: &str) {
    if alignment.len() < 2 {
        return;
    }
    let mut i = alignment.len() as isize - 2;
    let mut j = alignment.len() - 1;
    while i >= 0 {
        let iu = i as usize;
        let previous = &alignment[iu];
        if previous.word.starts_with(' ') && prepended.contains(previous.word.trim()) {
            let word = std::mem::take(&mut alignment[iu].word);
            let tokens = std::mem::take(&mut alignment[iu].tokens);
            let following = &mut alignment[j];
            following.word = word + &following.word;
            following.tokens = [tokens, std::mem::take(&mut following.tokens)].concat();
        } else {
            j = iu;
        }
        i -= 1;
    }
    let mut i = 0;
    let mut j = 1;
    while j < alignment.len() {
        if !alignment[i].word.ends_with(' ') && appended.contains(alignment[j].word.as_str()) {
            let word = std::mem::take(&mut alignment[j].word);
            let tokens = std::mem::take(&mut alignment[j].tokens);
            alignment[i].word.push_str(&word);
            alignment[i].tokens.extend(tokens);
        } else {
            i = j;
        }
        j += 1;
    }
}

/// Joins each piece that does not start with a space to the word before it. Whisper spells
/// some words as several tokens of which only the first has a leading space, and the split
/// (faster-whisper's, kept for parity) starts a new word at a punctuation token: "ill-disposed"
/// comes out as " ill" + "-disposed", "don't" as " don" + "'t". A word is what stands between
/// spaces, so those become one word with one time span (from the first piece's start to the
/// last piece's end) and the token-weighted mean of their probabilities. Pieces leave empty
/// entries behind, as in `merge_punctuations`.
fn join_word_pieces(alignment: &mut [Timing]) {
    let mut word: Option<usize> = None;
    for j in 0..alignment.len() {
        if alignment[j].word.is_empty() {
            continue;
        }
        match word {
            Some(i) if !alignment[j].word.starts_with(char::is_whitespace) => {
                let piece = std::mem::replace(
                    &mut alignment[j],
                    Timing {
                        word: String::new(),
                        tokens: Vec::new(),
                        start: 0.0,
                        end: 0.0,
                        probability: 0.0,
                    },
                );
                let target = &mut alignment[i];
                let (a, b) = (target.tokens.len() as f32, piece.tokens.len() as f32);
                if a + b > 0.0 {
                    target.probability = (target.probability * a + piece.probability * b) / (a + b);
                }
                target.word.push_str(&piece.word);
                target.tokens.extend(piece.tokens);
                target.end = target.end.max(piece.end);
            }
            _ => word = Some(j),
        }
    }
}

/// numpy's median (mean of the middle two for an even count); `None` when empty.
fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

/// Python's `round(x, 2)` closely enough for times (ties are vanishingly rare in binary).
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(word: &str) -> Timing {
        Timing {
            word: word.into(),
            tokens: vec![1],
            start: 0.0,
            end: 0.0,
            probability: 1.0,
        }
    }

    #[test]
    fn punctuation_joins_its_word() {
        let mut a = vec![t(" \""), t("Hello"), t(","), t(" world"), t("."), t("\"")];
        merge_punctuations(&mut a, PREPEND_PUNCTUATIONS, APPEND_PUNCTUATIONS);
        let words: Vec<&str> = a
            .iter()
            .map(|w| w.word.as_str())
            .filter(|w| !w.is_empty())
            .collect();
        assert_eq!(words, vec![" \"Hello,", " world.\""]);
        assert_eq!(a[1].tokens.len(), 3);
    }

    fn timed(word: &str, tokens: usize, start: f64, end: f64, probability: f32) -> Timing {
        Timing {
            word: word.into(),
            tokens: vec![7; tokens],
            start,
            end,
            probability,
        }
    }

    fn words(a: &[Timing]) -> Vec<&str> {
        a.iter()
            .map(|w| w.word.as_str())
            .filter(|w| !w.is_empty())
            .collect()
    }

    #[test]
    fn pieces_without_a_space_join_their_word() {
        // " ill" "-" "sposed" as split_on_spaces leaves them: " ill", "-sposed"
        let mut a = vec![
            timed(" an", 1, 0.0, 0.2, 0.9),
            timed(" ill", 1, 0.2, 0.4, 0.8),
            timed("-sposed", 2, 0.4, 0.9, 0.5),
            timed(" man", 1, 0.9, 1.2, 0.9),
        ];
        merge_punctuations(&mut a, PREPEND_PUNCTUATIONS, APPEND_PUNCTUATIONS);
        join_word_pieces(&mut a);
        assert_eq!(words(&a), vec![" an", " ill-sposed", " man"]);
        let joined = &a[1];
        assert_eq!((joined.start, joined.end), (0.2, 0.9));
        assert_eq!(joined.tokens.len(), 3);
        assert!((joined.probability - 0.6).abs() < 1e-6);
        // The token count is unchanged, so words still fall into their segments.
        assert_eq!(a.iter().map(|t| t.tokens.len()).sum::<usize>(), 5);
    }

    #[test]
    fn contractions_and_numbers_are_one_word_and_punctuation_still_attaches() {
        // One token each, 0.1 s apart, as the pieces come out of the split.
        let pieces = [
            " I", " don", "'t", " pay", " 3", ".", "5", ",", " \"", "Yes", ".\"",
        ];
        let mut a: Vec<Timing> = pieces
            .iter()
            .enumerate()
            .map(|(i, p)| timed(p, 1, i as f64 * 0.1, (i + 1) as f64 * 0.1, 1.0))
            .collect();
        merge_punctuations(&mut a, PREPEND_PUNCTUATIONS, APPEND_PUNCTUATIONS);
        join_word_pieces(&mut a);
        assert_eq!(
            words(&a),
            vec![" I", " don't", " pay", " 3.5,", " \"Yes.\""]
        );
    }

    #[test]
    fn median_like_numpy() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }
}
