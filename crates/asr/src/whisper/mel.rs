//! Whisper's log-mel features, computed like faster-whisper's `FeatureExtractor` (and hence
//! OpenAI's `log_mel_spectrogram`): 400-point Hann STFT with hop 160 over the audio padded
//! with 160 zeros and reflected at both ends, power spectrum, Slaney mel filterbank,
//! `log10(max(x, 1e-10))`, floored at the global maximum minus 8, then `(x + 4) / 4`.
//!
//! Hand-written rather than taken from a crate because the model folders have no
//! `preprocessor_config.json` to load filters from, and because long audio is computed window
//! by window: any frame can be computed on its own from the samples around it, so a window's
//! features are exactly the slice faster-whisper takes from its whole-file spectrogram without
//! ever holding the whole spectrogram in memory.

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

pub const N_FFT: usize = 400;
pub const HOP: usize = 160;
pub const SAMPLE_RATE: usize = 16_000;
/// Frames in one 30 s model window.
pub const WINDOW_FRAMES: usize = 3000;
const N_BINS: usize = N_FFT / 2 + 1;

/// The audio as faster-whisper sees it: the samples followed by `HOP` zeros.
struct Padded<'a> {
    samples: &'a [f32],
}

impl Padded<'_> {
    fn len(&self) -> usize {
        self.samples.len() + HOP
    }

    fn at(&self, i: usize) -> f32 {
        self.samples.get(i).copied().unwrap_or(0.0)
    }

    /// Sample `j` of the centred STFT input (numpy `pad(mode="reflect")` by N_FFT/2 on each
    /// side), `j` relative to the start of the padded audio.
    fn reflected(&self, j: isize) -> f32 {
        let len = self.len() as isize;
        let mut j = j;
        // One reflection suffices once the audio is longer than N_FFT/2, which `MelExtractor`
        // guarantees by padding shorter audio; the loop keeps the index in range regardless.
        loop {
            if j < 0 {
                j = -j;
            } else if j >= len {
                j = 2 * (len - 1) - j;
            } else {
                return self.at(j as usize);
            }
        }
    }
}

pub struct MelExtractor {
    n_mels: usize,
    /// Per mel band: the first FFT bin with a non-zero weight and the weights from there.
    bands: Vec<(usize, Vec<f32>)>,
    window: Vec<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
}

/// Reusable buffers for one thread computing frames.
pub struct Scratch {
    frame: Vec<f32>,
    spectrum: Vec<realfft::num_complex::Complex<f32>>,
    fft_scratch: Vec<realfft::num_complex::Complex<f32>>,
    power: Vec<f32>,
}

impl MelExtractor {
    pub fn new(n_mels: usize) -> Self {
        let filters = mel_filters(n_mels);
        let bands = filters
            .chunks(N_BINS)
            .map(|row| {
                let first = row.iter().position(|&w| w != 0.0).unwrap_or(row.len());
                let last = row.iter().rposition(|&w| w != 0.0).map_or(first, |i| i + 1);
                (first, row[first..last].to_vec())
            })
            .collect();
        // np.hanning(N_FFT + 1)[:-1], computed in f64 and stored as f32 like numpy's astype.
        let window = (0..N_FFT)
            .map(|n| {
                (0.5 - 0.5 * (2.0 * std::f64::consts::PI * n as f64 / N_FFT as f64).cos()) as f32
            })
            .collect();
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(N_FFT);
        Self {
            n_mels,
            bands,
            window,
            fft,
        }
    }

    pub fn n_mels(&self) -> usize {
        self.n_mels
    }

    pub fn scratch(&self) -> Scratch {
        Scratch {
            frame: self.fft.make_input_vec(),
            spectrum: self.fft.make_output_vec(),
            fft_scratch: self.fft.make_scratch_vec(),
            power: vec![0.0; N_BINS],
        }
    }

    /// Frames of content (faster-whisper's `content_frames`): one per hop of audio.
    pub fn content_frames(samples: &[f32]) -> usize {
        samples.len() / HOP
    }

    /// Mel power of frame `t` into `out` (length n_mels), before the log.
    fn frame_mel(&self, audio: &Padded, t: usize, s: &mut Scratch, out: &mut [f32]) {
        let start = (t * HOP) as isize - (N_FFT / 2) as isize;
        for (k, x) in s.frame.iter_mut().enumerate() {
            *x = audio.reflected(start + k as isize) * self.window[k];
        }
        // Lengths come from the planner, so the transform cannot fail.
        let _ = self
            .fft
            .process_with_scratch(&mut s.frame, &mut s.spectrum, &mut s.fft_scratch);
        for (p, c) in s.power.iter_mut().zip(&s.spectrum) {
            *p = c.re * c.re + c.im * c.im;
        }
        for (o, (first, weights)) in out.iter_mut().zip(&self.bands) {
            *o = weights
                .iter()
                .zip(&s.power[*first..])
                .map(|(w, p)| w * p)
                .sum();
        }
    }

    /// log10 of the largest mel power over the whole audio (faster-whisper's `log_spec.max()`,
    /// which sets the floor of every window), in one pass that keeps nothing else.
    pub fn log_max(&self, samples: &[f32]) -> f32 {
        let audio = Padded { samples };
        let frames = audio.len() / HOP; // faster-whisper's feature count (content + 1)
        let mut s = self.scratch();
        let mut mel = vec![0.0f32; self.n_mels];
        let mut max = f32::NEG_INFINITY;
        for t in 0..frames {
            self.frame_mel(&audio, t, &mut s, &mut mel);
            for &m in &mel {
                max = max.max(m.max(1e-10).log10());
            }
        }
        max
    }

    /// The features of `frames` frames from `start` as the model takes them: n_mels rows of
    /// WINDOW_FRAMES, frames past `frames` zero (faster-whisper's `pad_or_trim`).
    pub fn window(&self, samples: &[f32], start: usize, frames: usize, log_max: f32) -> Vec<f32> {
        let audio = Padded { samples };
        let frames = frames.min(WINDOW_FRAMES);
        let floor = log_max - 8.0;
        let mut out = vec![0.0f32; self.n_mels * WINDOW_FRAMES];
        let mut s = self.scratch();
        let mut mel = vec![0.0f32; self.n_mels];
        for f in 0..frames {
            self.frame_mel(&audio, start + f, &mut s, &mut mel);
            for (m, &v) in mel.iter().enumerate() {
                out[m * WINDOW_FRAMES + f] = (v.max(1e-10).log10().max(floor) + 4.0) / 4.0;
            }
        }
        out
    }
}

/// librosa's Slaney-style mel filterbank (`htk=False, norm="slaney"`), as faster-whisper's
/// `get_mel_filters` computes it, row-major n_mels x (N_FFT/2 + 1).
pub fn mel_filters(n_mels: usize) -> Vec<f32> {
    let sr = SAMPLE_RATE as f64;
    let fft_freqs: Vec<f64> = (0..N_BINS).map(|i| i as f64 * sr / N_FFT as f64).collect();
    let min_mel = 0.0;
    let max_mel = 45.245640471924965;
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    let freqs: Vec<f64> = (0..n_mels + 2)
        .map(|i| {
            let mel = min_mel + (max_mel - min_mel) * i as f64 / (n_mels + 1) as f64;
            if mel >= min_log_mel {
                min_log_hz * (logstep * (mel - min_log_mel)).exp()
            } else {
                f_sp * mel
            }
        })
        .collect();
    let mut weights = vec![0.0f32; n_mels * N_BINS];
    for m in 0..n_mels {
        let lower_diff = freqs[m + 1] - freqs[m];
        let upper_diff = freqs[m + 2] - freqs[m + 1];
        let enorm = 2.0 / (freqs[m + 2] - freqs[m]);
        for (b, &f) in fft_freqs.iter().enumerate() {
            let lower = -(freqs[m] - f) / lower_diff;
            let upper = (freqs[m + 2] - f) / upper_diff;
            let w = 0f64.max(lower.min(upper));
            weights[m * N_BINS + b] = (w * enorm) as f32;
        }
    }
    weights
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_triangles_with_slaney_area() {
        let f = mel_filters(80);
        assert_eq!(f.len(), 80 * N_BINS);
        assert!(f.iter().all(|w| w.is_finite() && *w >= 0.0));
        // every band has some weight
        for row in f.chunks(N_BINS) {
            assert!(row.iter().any(|&w| w > 0.0));
        }
    }

    /// Values printed by faster-whisper 1.x's `FeatureExtractor(feature_size=n)(x)` for the
    /// same signal (a tone plus a chirp for 1 s, then 0.3 s of silence): frames at the start,
    /// the tone/silence edge and the reflected end, for 80 and 128 bands.
    /// (Kept digit for digit as the reference printed them, hence the extra precision.)
    #[allow(clippy::excessive_precision)]
    #[test]
    fn matches_faster_whisper() {
        let x: Vec<f32> = (0..20_800)
            .map(|n| {
                let n = n as f64;
                let v = 0.5 * (2.0 * std::f64::consts::PI * 440.0 * n / 16000.0).sin()
                    + 0.2 * (2.0 * std::f64::consts::PI * (300.0 + n * 0.2) * n / 16000.0).sin();
                if n < 16000.0 {
                    v as f32
                } else {
                    0.0
                }
            })
            .collect();
        // (bands, [(band, frame, value)]).
        type Probes<'a> = [(usize, &'a [(usize, usize, f32)]); 2];
        let expected: Probes = [
            (
                80,
                &[
                    (0, 0, 1.0844395),
                    (3, 1, 0.59115493),
                    (10, 50, 1.3487380),
                    (20, 99, 0.17589879),
                    (79, 100, 0.41697949),
                    (40, 129, -0.55778468),
                    (5, 2, 0.14929843),
                    (40, 75, -0.55778468),
                ],
            ),
            (
                128,
                &[
                    (0, 0, 1.0086803),
                    (3, 1, 0.53474867),
                    (10, 50, -0.50985777),
                    (20, 99, 1.2894678),
                    (127, 100, 0.40839696),
                    (40, 129, -0.50985777),
                    (5, 2, -0.24679768),
                    (64, 75, -0.50985777),
                ],
            ),
        ];
        for (n_mels, points) in expected {
            let mel = MelExtractor::new(n_mels);
            let log_max = mel.log_max(&x);
            let frames = MelExtractor::content_frames(&x);
            assert_eq!(frames, 130);
            let w = mel.window(&x, 0, frames, log_max);
            for &(m, t, v) in points {
                let got = w[m * WINDOW_FRAMES + t];
                assert!(
                    (got - v).abs() < 1e-4,
                    "{n_mels} mels, band {m} frame {t}: {got} vs {v}"
                );
            }
            // A window starting later holds the same values as the whole-file computation.
            let later = mel.window(&x, 50, frames - 50, log_max);
            assert_eq!(later[10 * WINDOW_FRAMES], w[10 * WINDOW_FRAMES + 50]);
        }
    }

    #[test]
    fn window_of_silence_is_the_floor() {
        let mel = MelExtractor::new(80);
        let silence = vec![0.0f32; 16_000];
        let log_max = mel.log_max(&silence);
        assert_eq!(log_max, -10.0);
        let w = mel.window(&silence, 0, MelExtractor::content_frames(&silence), log_max);
        // log10(1e-10) = -10 -> (-10 + 4) / 4
        assert!((w[0] - (-1.5)).abs() < 1e-6);
        // padding beyond the content is zero
        assert_eq!(w[WINDOW_FRAMES - 1], 0.0);
    }
}
