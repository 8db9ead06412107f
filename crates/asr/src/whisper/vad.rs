//! A cheap energy-based voice activity check that finds long silent (or steady-noise)
//! stretches so the model never runs on them: it saves the encoder and decoder work of every
//! skipped window and keeps Whisper from hallucinating words into silence.
//!
//! Hand-written because Silero VAD would need onnxruntime, which cannot be fetched at build
//! time here. It is deliberately conservative: a frame counts as sound when it stands
//! `MARGIN_DB` above the local noise floor (a low percentile of the energy around it) and
//! above an absolute floor; sound is padded generously and only gaps of at least
//! `MIN_GAP_FRAMES` are skipped, so quiet syllables next to speech are never cut.

/// 10 ms frames per second (the mel hop).
const FPS: usize = 100;
/// Noise floor: this percentile of the frame energies within `FLOOR_SPAN` either side.
const FLOOR_PERCENTILE: f32 = 0.10;
const FLOOR_SPAN: usize = 15 * FPS;
/// Frames are sound when this far above the local floor…
const MARGIN_DB: f32 = 10.0;
/// …and faint when this far: a quiet voice in a noisy room (the MFA cold-corpus speaker sits
/// 7–10 dB over the room noise for seconds at a time). Faint frames only keep words that the
/// decoder wrote there; they do not stop a skip. Steady noise stays within ±2 dB of its floor.
const FAINT_MARGIN_DB: f32 = 7.0;
/// …and above this absolute level (dBFS of the mean square).
const ABSOLUTE_DB: f32 = -60.0;
/// Runs of sound shorter than this are clicks, not speech.
const MIN_SOUND_FRAMES: usize = 5;
/// Sound is widened by this much on each side before gaps are measured.
const PAD_FRAMES: usize = FPS / 2;
/// Only silences at least this long are skipped.
const MIN_GAP_FRAMES: usize = 2 * FPS;

/// Where the sound is: sorted, disjoint frame ranges.
#[derive(Debug, Clone, Default)]
pub struct Activity {
    regions: Vec<(usize, usize)>,
    frames: usize,
    /// Per frame, unpadded: whether it is sound. Empty when the check is switched off.
    sound: Vec<bool>,
    /// Per frame, unpadded: whether it is at least faint sound (a superset of `sound`).
    faint: Vec<bool>,
}

/// Words may reach this far past the last sound frame in them (trailing consonants are
/// quieter than the floor margin), and start this far before the first.
const WORD_TAIL_FRAMES: usize = 25;
const WORD_LEAD_FRAMES: usize = 10;
/// A word with no sound within this many frames of it was written into silence.
const WORD_SEARCH_FRAMES: usize = 30;

impl Activity {
    /// Treats every frame as sound (no energy information).
    #[cfg(test)]
    pub fn everything(frames: usize) -> Self {
        Self {
            regions: vec![(0, frames)],
            frames,
            sound: Vec::new(),
            faint: Vec::new(),
        }
    }

    pub fn from_energy(energy_db: &[f32]) -> Self {
        let n = energy_db.len();
        let floors = local_floors(energy_db);
        let above = |margin: f32| {
            let mut flags: Vec<bool> = energy_db
                .iter()
                .enumerate()
                .map(|(t, &e)| e > ABSOLUTE_DB && e > floors[t / FPS] + margin)
                .collect();
            drop_short_runs(&mut flags, MIN_SOUND_FRAMES);
            flags
        };
        let sound = above(MARGIN_DB);
        let faint = above(FAINT_MARGIN_DB);

        let mut regions: Vec<(usize, usize)> = Vec::new();
        let mut t = 0;
        while t < n {
            if !sound[t] {
                t += 1;
                continue;
            }
            let start = t;
            while t < n && sound[t] {
                t += 1;
            }
            let (s, e) = (start.saturating_sub(PAD_FRAMES), (t + PAD_FRAMES).min(n));
            match regions.last_mut() {
                Some(last) if s < last.1 + MIN_GAP_FRAMES => last.1 = e,
                _ => regions.push((s, e)),
            }
        }
        // Short silences at the very start or end are not worth a skip either.
        if let Some(first) = regions.first_mut() {
            if first.0 < MIN_GAP_FRAMES {
                first.0 = 0;
            }
        }
        if let Some(last) = regions.last_mut() {
            if n - last.1 < MIN_GAP_FRAMES {
                last.1 = n;
            }
        }
        Self {
            regions,
            frames: n,
            sound,
            faint,
        }
    }

    /// Fits a word's times (seconds) to the sound inside it: Whisper's cross-attention
    /// alignment tends to stretch the word before a pause deep into the silence after it (and
    /// the word after a pause back into it). Returns `None` for a word with not even faint
    /// sound near it — a hallucination written into silence. Words pass unchanged when the
    /// check is switched off.
    pub fn fit_word(&self, start: f64, end: f64) -> Option<(f64, f64)> {
        if self.sound.is_empty() {
            return Some((start, end));
        }
        let n = self.sound.len();
        let s = ((start * FPS as f64).floor().max(0.0) as usize).min(n);
        let e = ((end * FPS as f64).ceil().max(0.0) as usize).min(n).max(s);
        let near = s.saturating_sub(WORD_SEARCH_FRAMES)..(e + WORD_SEARCH_FRAMES).min(n);
        if !self.faint[near].iter().any(|&b| b) {
            return None;
        }
        let inside = &self.sound[s..e];
        let (Some(first), Some(last)) = (
            inside.iter().position(|&b| b),
            inside.iter().rposition(|&b| b),
        ) else {
            return Some((start, end)); // sound only just outside: leave it be
        };
        let to_s = |f: usize| f as f64 / FPS as f64;
        let new_start = start.max(to_s((s + first).saturating_sub(WORD_LEAD_FRAMES)));
        let new_end = end.min(to_s(s + last + WORD_TAIL_FRAMES)).max(new_start);
        Some((new_start, new_end))
    }

    /// The first frame at or after `frame` that belongs to sound, or `None` when only silence
    /// follows.
    pub fn next_sound(&self, frame: usize) -> Option<usize> {
        self.regions
            .iter()
            .find(|&&(_, end)| end > frame)
            .map(|&(start, _)| start.max(frame))
    }

    /// Frames judged as sound, for reporting.
    pub fn sound_frames(&self) -> usize {
        self.regions
            .iter()
            .map(|(s, e)| e - s)
            .sum::<usize>()
            .min(self.frames)
    }
}

/// The noise floor for each second of audio.
fn local_floors(energy_db: &[f32]) -> Vec<f32> {
    let n = energy_db.len();
    let seconds = n.div_ceil(FPS).max(1);
    let mut buf: Vec<f32> = Vec::with_capacity(2 * FLOOR_SPAN + FPS);
    (0..seconds)
        .map(|s| {
            let lo = (s * FPS).saturating_sub(FLOOR_SPAN);
            let hi = ((s + 1) * FPS + FLOOR_SPAN).min(n);
            buf.clear();
            buf.extend_from_slice(&energy_db[lo.min(hi)..hi]);
            if buf.is_empty() {
                return f32::NEG_INFINITY;
            }
            let k = ((buf.len() - 1) as f32 * FLOOR_PERCENTILE) as usize;
            let (_, v, _) = buf.select_nth_unstable_by(k, f32::total_cmp);
            *v
        })
        .collect()
}

fn drop_short_runs(flags: &mut [bool], min: usize) {
    let mut t = 0;
    while t < flags.len() {
        if !flags[t] {
            t += 1;
            continue;
        }
        let start = t;
        while t < flags.len() && flags[t] {
            t += 1;
        }
        if t - start < min {
            flags[start..t].iter_mut().for_each(|f| *f = false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn energies(spec: &[(usize, f32)]) -> Vec<f32> {
        spec.iter()
            .flat_map(|&(n, db)| std::iter::repeat_n(db, n))
            .collect()
    }

    #[test]
    fn steady_noise_and_silence_have_no_sound() {
        let a = Activity::from_energy(&energies(&[(6000, -40.0)]));
        assert_eq!(a.next_sound(0), None);
        let a = Activity::from_energy(&energies(&[(6000, -120.0)]));
        assert_eq!(a.next_sound(0), None);
    }

    #[test]
    fn long_gap_is_skipped_short_gap_is_not() {
        // 5 s speech, 1 s pause, 5 s speech, 20 s silence, 5 s speech
        let e = energies(&[
            (500, -20.0),
            (100, -90.0),
            (500, -20.0),
            (2000, -90.0),
            (500, -20.0),
        ]);
        let a = Activity::from_energy(&e);
        assert_eq!(a.next_sound(0), Some(0));
        assert_eq!(a.next_sound(550), Some(550));
        let resume = a.next_sound(1200).unwrap();
        assert_eq!(resume, 3100 - PAD_FRAMES);
        assert_eq!(a.next_sound(3200), Some(3200));
    }

    #[test]
    fn words_are_fitted_to_sound() {
        // 2 s speech, 5 s silence, 2 s speech
        let e = energies(&[(200, -20.0), (500, -90.0), (200, -20.0)]);
        let a = Activity::from_energy(&e);
        // a word stretched 3 s into the silence is cut back to the sound (+ tail)
        let (s, end) = a.fit_word(1.8, 4.8).unwrap();
        assert_eq!(s, 1.8);
        assert!((end - 2.24).abs() < 0.02, "{end}");
        // a word starting deep in the silence moves up to the speech after it
        let (s, end) = a.fit_word(5.0, 7.3).unwrap();
        assert!((s - 6.9).abs() < 0.02 && end == 7.3, "{s} {end}");
        // a word entirely in the silence is dropped
        assert_eq!(a.fit_word(3.5, 4.0), None);
        // switched off: unchanged
        assert_eq!(
            Activity::everything(900).fit_word(3.5, 4.0),
            Some((3.5, 4.0))
        );
    }

    #[test]
    fn faint_voice_keeps_its_words_but_not_the_skip() {
        // 30 s of room noise at -44 dB with 3 s of a quiet voice 8 dB above it in the middle
        let e = energies(&[(1400, -44.0), (300, -36.0), (1300, -44.0)]);
        let a = Activity::from_energy(&e);
        assert_eq!(
            a.next_sound(0),
            None,
            "faint sound alone is not worth decoding"
        );
        assert!(
            a.fit_word(15.0, 15.4).is_some(),
            "a word over the faint voice is kept"
        );
        assert_eq!(
            a.fit_word(5.0, 5.4),
            None,
            "a word over the room noise is dropped"
        );
    }

    #[test]
    fn clicks_are_not_speech() {
        let e = energies(&[(3000, -90.0), (2, -10.0), (3000, -90.0)]);
        assert_eq!(Activity::from_energy(&e).next_sound(0), None);
    }
}
