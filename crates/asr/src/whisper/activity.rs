//! Where the speech is, from Silero VAD's per-frame probabilities (`vad` crate): the regions
//! the decoder runs on (silence between them is skipped, which saves the encoder and decoder
//! work and keeps Whisper from writing words into silence), and a per-10 ms map that word
//! times are fitted to.
// Frame ranges are the values here: a list of one range means one span, not its frames.
#![allow(clippy::single_range_in_vec_init)]

use std::ops::Range;

use vad::{RegionOptions, FRAME_SAMPLES, SPEECH_THRESHOLD};

use super::mel::HOP;

/// 10 ms frames per second (the mel hop).
const FPS: usize = 100;
/// A VAD frame at or above this probability is faint speech (a quiet voice in a noisy room;
/// speech proper is `vad::SPEECH_THRESHOLD`). Faint frames keep the words the decoder wrote
/// over them; a word with not even faint speech near it is dropped.
const FAINT: f32 = 0.2;

/// Words may reach this far past the last speech frame in them (the VAD's decision trails
/// off before a soft final consonant does), and start this far before the first.
const WORD_TAIL_FRAMES: usize = 25;
const WORD_LEAD_FRAMES: usize = 10;
/// A word with no speech within this many frames of it was written into silence.
const WORD_SEARCH_FRAMES: usize = 30;

/// Where the speech is: sorted, disjoint 10 ms frame ranges, and per frame whether it is
/// speech or faint speech.
#[derive(Debug, Clone, Default)]
pub struct Activity {
    regions: Vec<Range<usize>>,
    frames: usize,
    /// Per 10 ms frame: speech. Empty when every frame counts as speech.
    speech: Vec<bool>,
    /// Per 10 ms frame: at least faint speech (a superset of `speech`).
    faint: Vec<bool>,
}

impl Activity {
    /// Treats every frame as speech.
    #[cfg(test)]
    pub fn everything(frames: usize) -> Self {
        Self {
            regions: vec![0..frames],
            frames,
            speech: Vec::new(),
            faint: Vec::new(),
        }
    }

    /// The map of a recording of `n_samples` samples whose VAD frames had `probabilities`.
    /// Regions are faster-whisper's (`vad::speech_regions` with its defaults: 2 s of silence
    /// end a region, 0.4 s of padding on each side).
    pub fn from_probabilities(probabilities: &[f32], n_samples: usize) -> Self {
        let frames = n_samples.div_ceil(HOP);
        let regions = vad::speech_regions(probabilities, n_samples, &RegionOptions::default())
            .into_iter()
            .map(|r| r.start / HOP..r.end.div_ceil(HOP).min(frames))
            .collect();
        let per_frame = |at_least: f32| -> Vec<bool> {
            (0..frames)
                .map(|f| {
                    probabilities
                        .get(f * HOP / FRAME_SAMPLES)
                        .is_some_and(|&p| p >= at_least)
                })
                .collect()
        };
        Self {
            regions,
            frames,
            speech: per_frame(SPEECH_THRESHOLD),
            faint: per_frame(FAINT),
        }
    }

    /// Fits a word's times (seconds) to the speech inside it: Whisper's cross-attention
    /// alignment tends to stretch the word before a pause deep into the silence after it (and
    /// the word after a pause back into it). Returns `None` for a word with not even faint
    /// speech near it — a hallucination written into silence.
    pub fn fit_word(&self, start: f64, end: f64) -> Option<(f64, f64)> {
        if self.speech.is_empty() {
            return Some((start, end));
        }
        let n = self.speech.len();
        let s = ((start * FPS as f64).floor().max(0.0) as usize).min(n);
        let e = ((end * FPS as f64).ceil().max(0.0) as usize).min(n).max(s);
        let near = s.saturating_sub(WORD_SEARCH_FRAMES)..(e + WORD_SEARCH_FRAMES).min(n);
        if !self.faint[near].iter().any(|&b| b) {
            return None;
        }
        let inside = &self.speech[s..e];
        let (Some(first), Some(last)) = (
            inside.iter().position(|&b| b),
            inside.iter().rposition(|&b| b),
        ) else {
            return Some((start, end)); // speech only just outside: leave it be
        };
        let to_s = |f: usize| f as f64 / FPS as f64;
        let new_start = start.max(to_s((s + first).saturating_sub(WORD_LEAD_FRAMES)));
        let new_end = end.min(to_s(s + last + WORD_TAIL_FRAMES)).max(new_start);
        Some((new_start, new_end))
    }

    /// The first frame at or after `frame` that belongs to a speech region, or `None` when
    /// only silence follows.
    pub fn next_speech(&self, frame: usize) -> Option<usize> {
        self.regions
            .iter()
            .find(|r| r.end > frame)
            .map(|r| r.start.max(frame))
    }

    /// The last run of at least `min_frames` frames without speech that starts inside
    /// `within` (it may run past its end), or `None`.
    pub fn last_pause(&self, within: Range<usize>, min_frames: usize) -> Option<Range<usize>> {
        let n = self.speech.len();
        let mut end = within.end.min(n);
        // A pause running past `within` counts from where it starts.
        while end < n && !self.speech[end] {
            end += 1;
        }
        let mut t = end;
        while t > within.start {
            if self.speech[t - 1] {
                t -= 1;
                continue;
            }
            let pause_end = t;
            while t > 0 && !self.speech[t - 1] {
                t -= 1;
            }
            if pause_end - t >= min_frames && t >= within.start {
                return Some(t..pause_end);
            }
        }
        None
    }

    /// How many frames of `range` are speech.
    pub fn speech_frames_in(&self, range: Range<usize>) -> usize {
        let end = range.end.min(self.speech.len());
        self.speech
            .get(range.start.min(end)..end)
            .map_or(0, |s| s.iter().filter(|&&b| b).count())
    }

    /// The speech regions (10 ms frames), padded and merged.
    pub fn regions(&self) -> &[Range<usize>] {
        &self.regions
    }

    /// Frames inside speech regions, for reporting.
    pub fn speech_frames(&self) -> usize {
        self.regions
            .iter()
            .map(|r| r.len())
            .sum::<usize>()
            .min(self.frames)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: usize = 16_000;

    /// VAD probabilities from (seconds, probability) runs, and the samples they cover.
    fn probabilities(spec: &[(f64, f32)]) -> (Vec<f32>, usize) {
        let n_samples: usize = spec.iter().map(|&(s, _)| (s * SR as f64) as usize).sum();
        let mut p = Vec::new();
        let mut at = 0usize;
        for &(seconds, value) in spec {
            let end = at + (seconds * SR as f64) as usize;
            while (p.len() * FRAME_SAMPLES) < end {
                p.push(value);
            }
            at = end;
        }
        (p, n_samples)
    }

    #[test]
    fn silence_has_no_speech() {
        let (p, n) = probabilities(&[(60.0, 0.01)]);
        assert_eq!(Activity::from_probabilities(&p, n).next_speech(0), None);
    }

    #[test]
    fn long_gap_is_skipped_short_gap_is_not() {
        // 5 s speech, 1 s pause, 5 s speech, 20 s silence, 5 s speech
        let (p, n) = probabilities(&[
            (5.0, 0.9),
            (1.0, 0.05),
            (5.0, 0.9),
            (20.0, 0.05),
            (5.0, 0.9),
        ]);
        let a = Activity::from_probabilities(&p, n);
        assert_eq!(a.next_speech(0), Some(0));
        assert_eq!(a.next_speech(550), Some(550), "the short pause is kept");
        let resume = a.next_speech(1200).unwrap();
        assert!(
            (3100 - 41..=3100 - 39).contains(&resume),
            "resumes 0.4 s early: {resume}"
        );
        assert_eq!(a.next_speech(3200), Some(3200));
    }

    #[test]
    fn words_are_fitted_to_speech() {
        // 2 s speech, 5 s silence, 2 s speech
        let (p, n) = probabilities(&[(2.0, 0.9), (5.0, 0.02), (2.0, 0.9)]);
        let a = Activity::from_probabilities(&p, n);
        // a word stretched 3 s into the silence is cut back to the speech (+ tail)
        let (s, end) = a.fit_word(1.8, 4.8).unwrap();
        assert_eq!(s, 1.8);
        assert!((end - 2.26).abs() < 0.04, "{end}");
        // a word starting deep in the silence moves up to the speech after it
        let (s, end) = a.fit_word(5.0, 7.3).unwrap();
        assert!((s - 6.9).abs() < 0.04 && end == 7.3, "{s} {end}");
        // a word entirely in the silence is dropped
        assert_eq!(a.fit_word(3.5, 4.0), None);
        // every frame speech: unchanged
        assert_eq!(
            Activity::everything(900).fit_word(3.5, 4.0),
            Some((3.5, 4.0))
        );
    }

    #[test]
    fn the_last_long_enough_pause_is_found() {
        // speech 5 s, pause 0.2 s, speech 3 s, pause 0.5 s, speech 2 s, pause 1 s, speech 5 s
        let (p, n) = probabilities(&[
            (5.0, 0.9),
            (0.2, 0.05),
            (3.0, 0.9),
            (0.5, 0.05),
            (2.0, 0.9),
            (1.0, 0.05),
            (5.0, 0.9),
        ]);
        let a = Activity::from_probabilities(&p, n);
        let near = |r: Range<usize>, s: usize, e: usize| {
            r.start.abs_diff(s) <= 4 && r.end.abs_diff(e) <= 4
        };
        let last = a.last_pause(0..1600, 30).unwrap();
        assert!(near(last.clone(), 1070, 1170), "{last:?}");
        // a pause that starts inside and runs past the end counts whole
        let running = a.last_pause(0..1100, 30).unwrap();
        assert!(near(running.clone(), 1070, 1170), "{running:?}");
        // too short a pause is passed over
        let earlier = a.last_pause(0..1000, 30).unwrap();
        assert!(near(earlier.clone(), 820, 870), "{earlier:?}");
        assert_eq!(a.last_pause(0..800, 30), None);
    }

    #[test]
    fn faint_speech_keeps_its_words() {
        // 30 s with 3 s of a quiet voice the VAD is unsure of in the middle
        let (p, n) = probabilities(&[(14.0, 0.02), (3.0, 0.3), (13.0, 0.02)]);
        let a = Activity::from_probabilities(&p, n);
        assert_eq!(a.next_speech(0), None, "too unsure to decode on its own");
        assert!(
            a.fit_word(15.0, 15.4).is_some(),
            "a word over the quiet voice is kept"
        );
        assert_eq!(a.fit_word(5.0, 5.4), None, "a word over silence is dropped");
    }
}
