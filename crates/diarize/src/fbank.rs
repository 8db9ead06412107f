//! CAM++'s front-end: Kaldi's log mel filterbank (`compute-fbank-feats`, as 3D-Speaker and
//! kaldi-native-fbank compute it) with the settings CAM++ was trained on: 16 kHz, 25 ms frames
//! every 10 ms without edge padding (`snip_edges`), DC offset removed, pre-emphasis 0.97, Povey
//! window, 512-point FFT, power spectrum, 80 triangular bands on Kaldi's mel scale from 20 Hz to
//! Nyquist, natural log floored at f32 epsilon, no dither. Hand-written because no maintained
//! crate computes Kaldi's variant (its window, mel scale and band edges differ from librosa's).

use realfft::RealFftPlanner;

pub const SAMPLE_RATE: usize = 16_000;
/// Samples per frame (25 ms) and between frame starts (10 ms).
pub const FRAME: usize = 400;
pub const SHIFT: usize = 160;
pub const N_MELS: usize = 80;
const N_FFT: usize = 512;
const PREEMPH: f32 = 0.97;
const LOW_HZ: f64 = 20.0;

/// Frames of `wav` (samples in -1..1): `1 + (len - 400) / 160`, none when shorter than a frame.
pub fn frame_count(len: usize) -> usize {
    if len < FRAME {
        0
    } else {
        1 + (len - FRAME) / SHIFT
    }
}

/// Log mel energies, `[frame_count(len)][N_MELS]`.
pub struct Fbank {
    window: Vec<f32>,
    /// Per band: first FFT bin and the weights from there.
    bands: Vec<(usize, Vec<f32>)>,
    fft: std::sync::Arc<dyn realfft::RealToComplex<f32>>,
}

impl Default for Fbank {
    fn default() -> Self {
        Self::new()
    }
}

impl Fbank {
    pub fn new() -> Self {
        let window = (0..FRAME)
            .map(|i| {
                let a = 2.0 * std::f64::consts::PI * i as f64 / (FRAME - 1) as f64;
                (0.5 - 0.5 * a.cos()).powf(0.85) as f32
            })
            .collect();
        Fbank {
            window,
            bands: mel_bands(),
            fft: RealFftPlanner::<f32>::new().plan_fft_forward(N_FFT),
        }
    }

    pub fn compute(&self, wav: &[f32]) -> Vec<[f32; N_MELS]> {
        let n = frame_count(wav.len());
        let mut input = self.fft.make_input_vec();
        let mut spectrum = self.fft.make_output_vec();
        let mut scratch = self.fft.make_scratch_vec();
        let mut power = vec![0f32; N_FFT / 2 + 1];
        let mut out = Vec::with_capacity(n);
        for f in 0..n {
            let frame = &wav[f * SHIFT..f * SHIFT + FRAME];
            let mean = frame.iter().map(|&x| x as f64).sum::<f64>() / FRAME as f64;
            input.iter_mut().for_each(|x| *x = 0.0);
            for (x, &s) in input.iter_mut().zip(frame) {
                *x = (s as f64 - mean) as f32;
            }
            for i in (1..FRAME).rev() {
                input[i] -= PREEMPH * input[i - 1];
            }
            input[0] -= PREEMPH * input[0];
            for (x, w) in input.iter_mut().zip(&self.window) {
                *x *= w;
            }
            self.fft
                .process_with_scratch(&mut input, &mut spectrum, &mut scratch)
                .expect("fft sizes are fixed");
            for (p, c) in power.iter_mut().zip(&spectrum) {
                *p = c.norm_sqr();
            }
            let mut row = [0f32; N_MELS];
            for (r, (first, weights)) in row.iter_mut().zip(&self.bands) {
                let e: f32 = weights
                    .iter()
                    .zip(&power[*first..])
                    .map(|(w, p)| w * p)
                    .sum();
                *r = e.max(f32::EPSILON).ln();
            }
            out.push(row);
        }
        out
    }
}

fn mel(hz: f64) -> f64 {
    1127.0 * (1.0 + hz / 700.0).ln()
}

/// Kaldi's `MelBanks`: triangles equally spaced on the mel scale between LOW_HZ and Nyquist,
/// over FFT bins 0..N_FFT/2 (Kaldi leaves out the Nyquist bin).
fn mel_bands() -> Vec<(usize, Vec<f32>)> {
    let bin_hz = SAMPLE_RATE as f64 / N_FFT as f64;
    let (lo, hi) = (mel(LOW_HZ), mel(SAMPLE_RATE as f64 / 2.0));
    let delta = (hi - lo) / (N_MELS + 1) as f64;
    (0..N_MELS)
        .map(|m| {
            let (left, centre, right) = (
                lo + m as f64 * delta,
                lo + (m + 1) as f64 * delta,
                lo + (m + 2) as f64 * delta,
            );
            let weights: Vec<(usize, f32)> = (0..N_FFT / 2)
                .filter_map(|i| {
                    let x = mel(bin_hz * i as f64);
                    if x > left && x < right {
                        let w = if x <= centre {
                            (x - left) / (centre - left)
                        } else {
                            (right - x) / (right - centre)
                        };
                        Some((i, w as f32))
                    } else {
                        None
                    }
                })
                .collect();
            let first = weights.first().map_or(0, |w| w.0);
            (first, weights.into_iter().map(|w| w.1).collect())
        })
        .collect()
}

/// Subtracts each band's mean over the frames (3D-Speaker's per-utterance mean normalisation,
/// applied to every embedded window on its own).
pub fn subtract_mean(frames: &mut [[f32; N_MELS]]) {
    if frames.is_empty() {
        return;
    }
    let mut mean = [0f64; N_MELS];
    for row in frames.iter() {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += *v as f64;
        }
    }
    let n = frames.len() as f64;
    for row in frames.iter_mut() {
        for (v, m) in row.iter_mut().zip(&mean) {
            *v -= (*m / n) as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_snipped_at_the_edges() {
        assert_eq!(frame_count(399), 0);
        assert_eq!(frame_count(400), 1);
        assert_eq!(frame_count(16_000), 98);
        assert_eq!(Fbank::new().compute(&vec![0.0; 16_000]).len(), 98);
    }

    #[test]
    fn tone_energy_lands_in_its_band() {
        let wav: Vec<f32> = (0..16_000)
            .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 16_000.0).sin())
            .collect();
        let frame = Fbank::new().compute(&wav)[50];
        let best = (0..N_MELS)
            .max_by(|&a, &b| frame[a].total_cmp(&frame[b]))
            .unwrap();
        let (lo, hi) = (mel(LOW_HZ), mel(8000.0));
        let centre_mel = lo + (best + 1) as f64 * (hi - lo) / (N_MELS + 1) as f64;
        let centre = 700.0 * ((centre_mel / 1127.0).exp() - 1.0);
        assert!((centre - 1000.0).abs() < 60.0, "band {best} at {centre} Hz");
    }
}
