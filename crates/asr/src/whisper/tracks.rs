//! Cutting a recording into tracks that are decoded side by side. Each track is decoded the
//! sequential way (windows follow the timestamps, the previous text conditions the next
//! window); the tracks' windows go through the encoder, the beam search and the aligner
//! together, in batches. Tracks are cut in pauses, so no word is split between two of them,
//! and balanced by the speech they hold, so they finish together.
// Frame ranges are the values here: a list of one range means one span, not its frames.
#![allow(clippy::single_range_in_vec_init)]

use std::ops::Range;

use vad::{FRAME_SAMPLES, PAUSE_THRESHOLD};

use super::mel::HOP;

/// The speech a track holds: about two windows. Measured on en_long (tiny.en int8, 2 threads,
/// batches of 8): tracks of one window (28 s) gave WER 10.5 % in 29.8 s, of two (56 s) 10.0 %
/// in 25.9 s, of three (84 s) 10.8 % in 27.8 s; one track, faster-whisper's way, 9.5 % in 46 s.
/// Shorter tracks lose the previous text's context more often; longer ones end in more
/// part-filled windows, and every window costs a whole encoder pass.
pub const TRACK_FRAMES: usize = 5600;
/// How far from its ideal place a cut may move to find a pause.
pub const SEARCH_FRAMES: usize = 15 * 100;
/// A pause (VAD probability under `vad::PAUSE_THRESHOLD`) this long is a safe place to cut:
/// no word spans it.
const MIN_PAUSE_MS: usize = 300;

/// Consecutive frame ranges covering `0..frames`, one per TRACK_FRAMES of speech in `regions`
/// up to `max_tracks`, balanced by the speech they hold and cut in a pause near each ideal cut
/// (see `pause_near`).
pub fn split(
    frames: usize,
    regions: &[Range<usize>],
    probabilities: &[f32],
    max_tracks: usize,
) -> Vec<Range<usize>> {
    let speech: usize = regions.iter().map(|r| r.len()).sum();
    let tracks = (speech / TRACK_FRAMES).clamp(1, max_tracks.max(1));
    if tracks == 1 {
        return vec![0..frames];
    }
    let mut cuts = Vec::with_capacity(tracks + 1);
    cuts.push(0);
    for k in 1..tracks {
        let ideal = frame_with_speech_before(regions, speech * k / tracks);
        let cut = pause_near(ideal, frames, probabilities);
        if cut > *cuts.last().unwrap_or(&0) && cut < frames {
            cuts.push(cut);
        }
    }
    cuts.push(frames);
    cuts.windows(2).map(|w| w[0]..w[1]).collect()
}

/// The frame before which `amount` frames of the regions lie.
fn frame_with_speech_before(regions: &[Range<usize>], amount: usize) -> usize {
    let mut left = amount;
    for r in regions {
        if left <= r.len() {
            return r.start + left;
        }
        left -= r.len();
    }
    regions.last().map_or(0, |r| r.end)
}

/// Where to cut near `ideal`: the middle of the nearest pause of at least MIN_PAUSE_MS within
/// SEARCH_FRAMES, else of the longest shorter one, else the least speech-like VAD frame there.
pub fn pause_near(ideal: usize, frames: usize, probabilities: &[f32]) -> usize {
    let to_vad = |frame: usize| frame * HOP / FRAME_SAMPLES;
    let to_mel = |vad_frame: usize| vad_frame * FRAME_SAMPLES / HOP;
    let lo = to_vad(ideal.saturating_sub(SEARCH_FRAMES));
    let hi = to_vad((ideal + SEARCH_FRAMES).min(frames)).min(probabilities.len());
    if lo >= hi {
        return ideal;
    }
    let window = &probabilities[lo..hi];
    // (length, middle) of each pause, in VAD frames.
    let mut pauses: Vec<(usize, usize)> = Vec::new();
    let mut run_start = None;
    for (i, &p) in window.iter().chain(std::iter::once(&1.0)).enumerate() {
        match (p < PAUSE_THRESHOLD, run_start) {
            (true, None) => run_start = Some(i),
            (false, Some(s)) => {
                pauses.push((i - s, lo + (s + i) / 2));
                run_start = None;
            }
            _ => {}
        }
    }
    let min_pause = MIN_PAUSE_MS * vad::SAMPLE_RATE / 1000 / FRAME_SAMPLES;
    let ideal_vad = to_vad(ideal);
    let vad_frame = pauses
        .iter()
        .filter(|(len, _)| *len >= min_pause)
        .min_by_key(|(_, middle)| middle.abs_diff(ideal_vad))
        .or_else(|| pauses.iter().max_by_key(|(len, _)| *len))
        .map(|&(_, middle)| middle)
        .unwrap_or_else(|| {
            lo + window
                .iter()
                .enumerate()
                .min_by(|a, b| a.1.total_cmp(b.1))
                .map_or(0, |(i, _)| i)
        });
    to_mel(vad_frame).min(frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// VAD probabilities (32 ms frames) covering `frames` mel frames, speech everywhere except
    /// in `pauses` (mel frame ranges).
    fn probabilities(frames: usize, pauses: &[Range<usize>]) -> Vec<f32> {
        (0..frames * HOP / FRAME_SAMPLES)
            .map(|v| {
                let mel = v * FRAME_SAMPLES / HOP;
                if pauses.iter().any(|p| p.contains(&mel)) {
                    0.05
                } else {
                    0.9
                }
            })
            .collect()
    }

    #[test]
    fn short_recordings_or_one_at_a_time_are_one_track() {
        let p = probabilities(9000, &[]);
        assert_eq!(split(9000, &[0..9000], &p, 8), vec![0..9000]);
        let p = probabilities(60_000, &[]);
        assert_eq!(split(60_000, &[0..60_000], &p, 1), vec![0..60_000]);
    }

    #[test]
    fn cuts_fall_in_the_pause_nearest_the_balance_point() {
        // 7.5 minutes of speech with 0.5 s pauses every 7 s: 8 tracks
        let frames = 8 * TRACK_FRAMES;
        let pauses: Vec<Range<usize>> = (1..frames / 700).map(|k| k * 700..k * 700 + 50).collect();
        let p = probabilities(frames, &pauses);
        let tracks = split(frames, &[0..frames], &p, 8);
        assert_eq!(tracks.len(), 8, "{tracks:?}");
        assert_eq!(tracks[0].start, 0);
        assert_eq!(tracks[7].end, frames);
        for pair in tracks.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
            let cut = pair[0].end;
            assert!(
                pauses.iter().any(|p| p.contains(&cut)),
                "cut {cut} is not in a pause"
            );
        }
        for t in &tracks {
            assert!(
                t.len().abs_diff(TRACK_FRAMES) <= 400,
                "unbalanced {tracks:?}"
            );
        }
    }

    #[test]
    fn tracks_follow_the_speech_not_the_clock() {
        // a track's speech, 10 minutes of silence, a track's speech: two tracks, cut in the
        // silence, not at the clock's middle
        let frames = 2 * TRACK_FRAMES + 60_000;
        let regions = [0..TRACK_FRAMES, TRACK_FRAMES + 60_000..frames];
        let p = probabilities(frames, &[TRACK_FRAMES..TRACK_FRAMES + 60_000]);
        let tracks = split(frames, &regions, &p, 8);
        assert_eq!(tracks.len(), 2);
        assert!(
            (TRACK_FRAMES..TRACK_FRAMES + 60_000).contains(&tracks[0].end),
            "{tracks:?}"
        );
    }

    #[test]
    fn continuous_speech_is_cut_at_its_least_speechlike_frame() {
        let frames = 2 * TRACK_FRAMES;
        let mut p = probabilities(frames, &[]);
        let least = TRACK_FRAMES + 100;
        p[least * HOP / FRAME_SAMPLES] = 0.6;
        let tracks = split(frames, &[0..frames], &p, 8);
        assert_eq!(tracks.len(), 2);
        assert!(tracks[0].end.abs_diff(least) < 5, "{tracks:?}");
    }
}
