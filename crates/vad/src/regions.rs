//! Speech regions from frame probabilities: faster-whisper's `get_speech_timestamps` (itself
//! Silero's), with its hysteresis, its splitting of overlong regions at the last pause, and
//! its padding, so that a word at a region's edge is not cut.

use std::ops::Range;

use crate::{FRAME_SAMPLES, SAMPLE_RATE, SPEECH_THRESHOLD};

/// faster-whisper's `VadOptions`, with its defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionOptions {
    /// A frame at or above this probability is speech.
    pub threshold: f32,
    /// Once in speech, only a frame below this ends it (`None`: threshold − 0.15).
    pub neg_threshold: Option<f32>,
    /// Regions this short or shorter are dropped.
    pub min_speech_ms: u32,
    /// Regions longer than this are split, at the last pause of at least 98 ms if any.
    pub max_speech_s: f32,
    /// A pause must last this long to end a region.
    pub min_silence_ms: u32,
    /// Each region is widened by this much on each side (by half the gap where two regions
    /// are closer than twice this).
    pub speech_pad_ms: u32,
}

impl Default for RegionOptions {
    fn default() -> Self {
        Self {
            threshold: SPEECH_THRESHOLD,
            neg_threshold: None,
            min_speech_ms: 0,
            max_speech_s: f32::INFINITY,
            min_silence_ms: 2000,
            speech_pad_ms: 400,
        }
    }
}

/// The speech regions, in samples, of a recording of `n_samples` samples whose frames had
/// `probabilities` (one per [`FRAME_SAMPLES`]). Sorted and disjoint.
pub fn speech_regions(
    probabilities: &[f32],
    n_samples: usize,
    options: &RegionOptions,
) -> Vec<Range<usize>> {
    let ms = |v: f64| SAMPLE_RATE as f64 * v / 1000.0;
    let threshold = options.threshold;
    let neg_threshold = options
        .neg_threshold
        .unwrap_or((threshold - 0.15).max(0.01));
    let min_speech = ms(options.min_speech_ms as f64);
    let pad = ms(options.speech_pad_ms as f64);
    let max_speech =
        SAMPLE_RATE as f64 * options.max_speech_s as f64 - FRAME_SAMPLES as f64 - 2.0 * pad;
    let min_silence = ms(options.min_silence_ms as f64);
    let min_silence_at_max_speech = ms(98.0);

    let mut speeches: Vec<(usize, usize)> = Vec::new();
    let mut triggered = false;
    let mut start = 0usize;
    // A possible end, while a pause lasts; 0 when none (as in the original).
    let mut temp_end = 0usize;
    // Where to split an overlong region: the last pause long enough, and the speech after it.
    let (mut prev_end, mut next_start) = (0usize, 0usize);

    for (i, &p) in probabilities.iter().enumerate() {
        let at = FRAME_SAMPLES * i;
        if p >= threshold && temp_end != 0 {
            temp_end = 0;
            if next_start < prev_end {
                next_start = at;
            }
        }
        if p >= threshold && !triggered {
            triggered = true;
            start = at;
            continue;
        }
        if triggered && (at - start) as f64 > max_speech {
            if prev_end != 0 {
                speeches.push((start, prev_end));
                if next_start < prev_end {
                    triggered = false;
                } else {
                    start = next_start;
                }
                (prev_end, next_start, temp_end) = (0, 0, 0);
            } else {
                speeches.push((start, at));
                (prev_end, next_start, temp_end) = (0, 0, 0);
                triggered = false;
                continue;
            }
        }
        if p < neg_threshold && triggered {
            if temp_end == 0 {
                temp_end = at;
            }
            if (at - temp_end) as f64 > min_silence_at_max_speech {
                prev_end = temp_end;
            }
            if ((at - temp_end) as f64) < min_silence {
                continue;
            }
            if (temp_end - start) as f64 > min_speech {
                speeches.push((start, temp_end));
            }
            (prev_end, next_start, temp_end) = (0, 0, 0);
            triggered = false;
        }
    }
    if triggered && (n_samples.saturating_sub(start)) as f64 > min_speech {
        speeches.push((start, n_samples));
    }

    let pad = pad as usize;
    let last = speeches.len().saturating_sub(1);
    for i in 0..speeches.len() {
        if i == 0 {
            speeches[0].0 = speeches[0].0.saturating_sub(pad);
        }
        if i != last {
            let gap = speeches[i + 1].0.saturating_sub(speeches[i].1);
            if gap < 2 * pad {
                speeches[i].1 += gap / 2;
                speeches[i + 1].0 = speeches[i + 1].0.saturating_sub(gap / 2);
            } else {
                speeches[i].1 = (speeches[i].1 + pad).min(n_samples);
                speeches[i + 1].0 = speeches[i + 1].0.saturating_sub(pad);
            }
        } else {
            speeches[i].1 = (speeches[i].1 + pad).min(n_samples);
        }
    }
    speeches
        .into_iter()
        .filter(|(s, e)| e > s)
        .map(|(s, e)| s..e)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Probabilities from (frames, value) runs.
    fn runs(spec: &[(usize, f32)]) -> Vec<f32> {
        spec.iter()
            .flat_map(|&(n, p)| std::iter::repeat_n(p, n))
            .collect()
    }

    fn seconds(frames: usize) -> usize {
        frames * FRAME_SAMPLES
    }

    #[test]
    fn silence_has_no_regions() {
        let p = runs(&[(2000, 0.01)]);
        assert!(speech_regions(&p, seconds(2000), &RegionOptions::default()).is_empty());
    }

    #[test]
    fn short_pauses_merge_long_ones_split_and_edges_are_padded() {
        // speech 100 frames, pause 20 frames (0.64 s), speech 100, pause 200 frames (6.4 s), speech 50
        let p = runs(&[
            (10, 0.0),
            (100, 0.9),
            (20, 0.1),
            (100, 0.9),
            (200, 0.1),
            (50, 0.9),
        ]);
        let n = seconds(p.len());
        let r = speech_regions(&p, n, &RegionOptions::default());
        let pad = 6400;
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(r[0].start, 0, "padding stops at the recording's start");
        assert_eq!(r[0].end, seconds(230) + pad);
        assert_eq!(r[1].start, seconds(430) - pad);
        assert_eq!(r[1].end, n, "the last region runs to the end");
    }

    #[test]
    fn hysteresis_keeps_a_dip_between_thresholds() {
        // 0.4 is under the threshold but above threshold − 0.15: it does not end speech
        let p = runs(&[(50, 0.9), (200, 0.4), (50, 0.9), (200, 0.0)]);
        let r = speech_regions(&p, seconds(p.len()), &RegionOptions::default());
        assert_eq!(r.len(), 1);
        assert!(r[0].end >= seconds(300));
    }

    #[test]
    fn overlong_speech_is_split_at_its_last_pause() {
        let options = RegionOptions {
            max_speech_s: 10.0,
            ..RegionOptions::default()
        };
        // 8 s of speech, a 0.32 s pause, 8 s more
        let p = runs(&[(250, 0.9), (10, 0.1), (250, 0.9), (100, 0.0)]);
        let r = speech_regions(&p, seconds(p.len()), &options);
        assert_eq!(r.len(), 2, "{r:?}");
        assert!(r.iter().all(|r| r.len() <= 16_000 * 10), "{r:?}");
    }
}
