//! One window's decoding: faster-whisper's `generate_with_fallback` (temperature fallback on
//! repetitive or improbable output) and `_split_segments_by_timestamps` (the timestamp tokens
//! that decide where the next window starts).

use std::io::Write;

use ct2rs::sys::{StorageView, Whisper, WhisperGenerationResult, WhisperOptions};

use super::one_per_window;
use super::tokenizer::WhisperTokenizer;
use crate::AsrError;

/// The step between two attempts of the fallback.
const TEMPERATURE_STEP: f32 = 0.2;
pub const COMPRESSION_RATIO_THRESHOLD: f32 = 2.4;
pub const LOG_PROB_THRESHOLD: f32 = -1.0;
pub const NO_SPEECH_THRESHOLD: f32 = 0.6;
/// Past this temperature the previous text no longer conditions the next window.
pub const PROMPT_RESET_ON_TEMPERATURE: f32 = 0.5;
pub const MAX_LENGTH: usize = 448;
/// Seconds per timestamp token.
pub const TIME_PRECISION: f64 = 0.02;
/// Mel frames per timestamp token (encoder stride).
pub const INPUT_STRIDE: usize = 2;
/// The first timestamp may be at most 1 s into the window.
const MAX_INITIAL_TIMESTAMP_INDEX: usize = 50;
/// faster-whisper's `best_of`: hypotheses sampled per fallback temperature.
const BEST_OF: usize = 5;

pub struct Decoded {
    pub tokens: Vec<u32>,
    pub avg_logprob: f32,
    pub no_speech_prob: f32,
    pub temperature: f32,
    /// Of its text: see [`compression_ratio`].
    pub compression_ratio: f32,
}

impl Decoded {
    /// What a segment of this attempt reports of it.
    pub fn figures(&self) -> Figures {
        Figures {
            temperature: self.temperature,
            avg_logprob: self.avg_logprob,
            compression_ratio: self.compression_ratio,
            no_speech_prob: self.no_speech_prob,
        }
    }
}

/// An attempt's figures without its tokens.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    pub temperature: f32,
    pub avg_logprob: f32,
    pub compression_ratio: f32,
    pub no_speech_prob: f32,
}

pub struct DecodeParams<'a> {
    pub beam_size: usize,
    pub suppress_tokens: &'a [i32],
    /// The temperature of each attempt, first to last: [`temperature_ladder`].
    pub temperatures: &'a [f32],
}

/// The attempts' temperatures from `start` (0: faster-whisper's ladder 0, 0.2 … 1), as
/// openai-whisper's `--temperature` with its increment on fallback.
pub fn temperature_ladder(start: f32) -> Vec<f32> {
    let start = if start.is_finite() {
        start.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mut ladder = vec![start];
    // Steps counted from the start, so that 0.2 + 0.2 + … stays on the ladder's values.
    for step in 1.. {
        let t = start + step as f32 * TEMPERATURE_STEP;
        if t > 1.0 + 1e-4 {
            break;
        }
        ladder.push(t.min(1.0));
    }
    ladder
}

/// One decoding attempt.
pub struct Attempt {
    pub decoded: Decoded,
}

impl Attempt {
    /// faster-whisper's test: repetitive or improbable output is decoded again at a higher
    /// temperature, unless the window is silence (the caller skips it).
    pub fn needs_fallback(&self) -> bool {
        let d = &self.decoded;
        let failed =
            d.compression_ratio > COMPRESSION_RATIO_THRESHOLD || d.avg_logprob < LOG_PROB_THRESHOLD;
        let silence = d.no_speech_prob > NO_SPEECH_THRESHOLD && d.avg_logprob < LOG_PROB_THRESHOLD;
        failed && !silence
    }
}

/// The first attempt (at the ladder's first temperature: beam search at 0) for a batch of
/// windows at once: `encoder_output` holds one encoded window per prompt.
pub fn generate_batch(
    model: &Whisper,
    tokenizer: &WhisperTokenizer,
    encoder_output: &StorageView,
    prompts: &[Vec<u32>],
    params: &DecodeParams,
) -> Result<Vec<Attempt>, AsrError> {
    let prompt_strings = prompts
        .iter()
        .map(|p| tokenizer.token_strings(p))
        .collect::<Result<Vec<_>, _>>()?;
    let first = params.temperatures.first().copied().unwrap_or(0.0);
    let results = one_per_window(
        "decoding windows",
        model.generate(encoder_output, &prompt_strings, &options(first, params)),
        prompts.len(),
    )?;
    Ok(results
        .into_iter()
        .map(|r| attempt(tokenizer, &r, first))
        .collect())
}

/// faster-whisper's `generate_with_fallback` for one window (`encoder_output` holds it alone),
/// going on from `first`, its first attempt made in a batch ([`generate_batch`]).
pub fn generate_with_fallback(
    model: &Whisper,
    tokenizer: &WhisperTokenizer,
    encoder_output: &StorageView,
    prompt: &[u32],
    params: &DecodeParams,
    first: Attempt,
) -> Result<Decoded, AsrError> {
    if !first.needs_fallback() {
        return Ok(first.decoded);
    }
    let prompt_strings = tokenizer.token_strings(prompt)?;
    // Every failed attempt, to pick from if all fail.
    let mut attempts = vec![first];
    for &temperature in params.temperatures.iter().skip(1) {
        let result = model
            .generate(
                encoder_output,
                std::slice::from_ref(&prompt_strings),
                &options(temperature, params),
            )
            .map_err(|e| AsrError::Engine(format!("decoding a window: {e:#}")))?
            .into_iter()
            .next()
            .ok_or_else(|| AsrError::Engine("the decoder returned no result".into()))?;
        let attempt = attempt(tokenizer, &result, temperature);
        if !attempt.needs_fallback() {
            return Ok(attempt.decoded);
        }
        attempts.push(attempt);
    }
    // Every temperature failed: the most probable attempt among the non-repetitive ones (or
    // among all), reported with the last temperature so the prompt is reset.
    let last_temperature = *params.temperatures.last().unwrap_or(&1.0);
    let any_below = attempts
        .iter()
        .any(|a| a.decoded.compression_ratio <= COMPRESSION_RATIO_THRESHOLD);
    let best = attempts
        .into_iter()
        .filter(|a| !any_below || a.decoded.compression_ratio <= COMPRESSION_RATIO_THRESHOLD)
        .map(|a| a.decoded)
        .max_by(|a, b| a.avg_logprob.total_cmp(&b.avg_logprob))
        .ok_or_else(|| AsrError::Engine("no decoding attempt was made".into()))?;
    Ok(Decoded {
        temperature: last_temperature,
        ..best
    })
}

/// Beam search at temperature 0, sampling best-of-5 above it (faster-whisper's defaults).
fn options(temperature: f32, params: &DecodeParams) -> WhisperOptions {
    let mut options = WhisperOptions {
        max_length: MAX_LENGTH,
        return_scores: true,
        return_no_speech_prob: true,
        suppress_blank: true,
        suppress_tokens: params.suppress_tokens.to_vec(),
        max_initial_timestamp_index: MAX_INITIAL_TIMESTAMP_INDEX,
        ..WhisperOptions::default()
    };
    if temperature > 0.0 {
        options.beam_size = 1;
        options.num_hypotheses = BEST_OF;
        options.sampling_topk = 0;
        options.sampling_temperature = temperature;
    } else {
        options.beam_size = params.beam_size.max(1);
        options.patience = 1.0;
    }
    options
}

fn attempt(
    tokenizer: &WhisperTokenizer,
    result: &WhisperGenerationResult,
    temperature: f32,
) -> Attempt {
    let tokens: Vec<u32> = result
        .sequences_ids
        .first()
        .map(|s| s.iter().map(|&t| t as u32).collect())
        .unwrap_or_default();
    let score = result.scores.first().copied().unwrap_or(f32::NEG_INFINITY);
    // The score is the length-normalised cumulative log-probability (length penalty 1);
    // faster-whisper recovers an average that also counts the end token.
    let len = tokens.len() as f32;
    let avg_logprob = score * len / (len + 1.0);
    let ratio = compression_ratio(tokenizer.decode(&tokens).trim());
    Attempt {
        decoded: Decoded {
            tokens,
            avg_logprob,
            no_speech_prob: result.no_speech_prob,
            temperature,
            compression_ratio: ratio,
        },
    }
}

/// Text length over its zlib-compressed length: high for the looping output Whisper produces
/// when it hallucinates.
pub fn compression_ratio(text: &str) -> f32 {
    let bytes = text.as_bytes();
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let compressed = encoder
        .write_all(bytes)
        .and_then(|_| encoder.finish())
        .map(|c| c.len())
        .unwrap_or(1)
        .max(1);
    bytes.len() as f32 / compressed as f32
}

/// A run of tokens between timestamps, with its times in seconds from the audio start.
#[derive(Debug, Clone)]
pub struct Segment {
    pub seek: usize,
    pub start: f64,
    pub end: f64,
    pub tokens: Vec<u32>,
}

/// Cuts a window's tokens into segments at consecutive timestamp pairs and says where the next
/// window starts: after the whole window when the output ends with a single timestamp (no
/// speech after it), else at the last complete timestamp pair, so an unfinished sentence is
/// decoded again with the next window.
pub fn split_segments_by_timestamps(
    timestamp_begin: u32,
    tokens: &[u32],
    time_offset: f64,
    segment_size: usize,
    segment_duration: f64,
    seek: usize,
) -> (Vec<Segment>, usize, bool) {
    let is_ts = |t: u32| t >= timestamp_begin;
    let n = tokens.len();
    let single_timestamp_ending = n >= 2 && !is_ts(tokens[n - 2]) && is_ts(tokens[n - 1]);
    let consecutive: Vec<usize> = (1..n)
        .filter(|&i| is_ts(tokens[i]) && is_ts(tokens[i - 1]))
        .collect();
    let position = |t: u32| f64::from(t.saturating_sub(timestamp_begin));
    let mut segments = Vec::new();
    let mut next_seek = seek;
    if !consecutive.is_empty() {
        let mut slices = consecutive;
        if single_timestamp_ending {
            slices.push(n);
        }
        let mut last = 0;
        for &current in &slices {
            let sliced = &tokens[last..current];
            if let (Some(&first), Some(&end)) = (sliced.first(), sliced.last()) {
                segments.push(Segment {
                    seek,
                    start: time_offset + position(first) * TIME_PRECISION,
                    end: time_offset + position(end) * TIME_PRECISION,
                    tokens: sliced.to_vec(),
                });
            }
            last = current;
        }
        if single_timestamp_ending {
            next_seek += segment_size;
        } else {
            let last_ts = position(tokens[last.saturating_sub(1)]) as usize;
            next_seek += last_ts * INPUT_STRIDE;
        }
    } else {
        let mut duration = segment_duration;
        if let Some(&last_ts) = tokens.iter().rev().find(|&&t| is_ts(t)) {
            if last_ts != timestamp_begin {
                duration = position(last_ts) * TIME_PRECISION;
            }
        }
        segments.push(Segment {
            seek,
            start: time_offset,
            end: time_offset + duration,
            tokens: tokens.to_vec(),
        });
        next_seek += segment_size;
    }
    (segments, next_seek, single_timestamp_ending)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TB: u32 = 50364;

    #[test]
    fn the_ladder_climbs_from_the_requested_temperature_to_one() {
        let close = |a: Vec<f32>, b: &[f32]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6)
        };
        let ladder = temperature_ladder(0.0);
        assert!(
            close(ladder.clone(), &[0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
            "{ladder:?}"
        );
        let ladder = temperature_ladder(0.5);
        assert!(close(ladder.clone(), &[0.5, 0.7, 0.9]), "{ladder:?}");
        let ladder = temperature_ladder(0.8);
        assert!(close(ladder.clone(), &[0.8, 1.0]), "{ladder:?}");
        assert!(close(temperature_ladder(1.0), &[1.0]));
        assert!(close(
            temperature_ladder(f32::NAN),
            &[0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        ));
    }

    #[test]
    fn repetitive_text_compresses_well() {
        let normal = compression_ratio("The quick brown fox jumps over the lazy dog.");
        let looping = compression_ratio(&"Thank you. ".repeat(40));
        assert!(normal < COMPRESSION_RATIO_THRESHOLD, "{normal}");
        assert!(looping > COMPRESSION_RATIO_THRESHOLD, "{looping}");
    }

    #[test]
    fn seeks_to_last_complete_pair() {
        // <0.00> a b <2.00><2.00> c d <4.00><4.00> e (unfinished)
        let tokens = [TB, 1, 2, TB + 100, TB + 100, 3, 4, TB + 200, TB + 200, 5];
        let (segs, seek, single) =
            split_segments_by_timestamps(TB, &tokens, 10.0, 3000, 30.0, 1000);
        assert!(!single);
        assert_eq!(segs.len(), 2);
        assert_eq!((segs[0].start, segs[0].end), (10.0, 12.0));
        assert_eq!((segs[1].start, segs[1].end), (12.0, 14.0));
        assert_eq!(seek, 1000 + 400);
    }

    #[test]
    fn single_timestamp_ending_takes_whole_window() {
        let tokens = [TB, 1, 2, TB + 100, TB + 100, 3, TB + 150];
        let (segs, seek, single) = split_segments_by_timestamps(TB, &tokens, 0.0, 2500, 25.0, 0);
        assert!(single);
        assert_eq!(segs.len(), 2);
        assert_eq!(segs[1].end, 3.0);
        assert_eq!(seek, 2500);
    }

    #[test]
    fn no_pairs_is_one_segment() {
        let tokens = [TB, 1, 2, TB + 50];
        let (segs, seek, _) = split_segments_by_timestamps(TB, &tokens, 5.0, 3000, 30.0, 500);
        assert_eq!(segs.len(), 1);
        assert_eq!((segs[0].start, segs[0].end), (5.0, 6.0));
        assert_eq!(seek, 3500);
    }
}
