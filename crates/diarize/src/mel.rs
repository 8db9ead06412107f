//! The voice encoder's front-end: librosa's `feature.melspectrogram` with resemblyzer's settings
//! (16 kHz, 25 ms Hann window = 400-point FFT, 10 ms hop, 40 Slaney mel bands, power 2, centred
//! frames with reflect padding). Not log-compressed: the encoder was trained on linear power.
//! Hand-written because no crate reproduces librosa's Slaney filterbank and framing exactly.

use realfft::RealFftPlanner;

pub const SAMPLE_RATE: usize = 16_000;
pub const N_FFT: usize = 400;
pub const HOP: usize = 160;
pub const N_MELS: usize = 40;

/// Mel frames of `wav`, row-major `[n_frames][N_MELS]`, `n_frames = 1 + len / HOP`.
pub fn mel_spectrogram(wav: &[f32]) -> Vec<[f32; N_MELS]> {
    if wav.is_empty() {
        return Vec::new();
    }
    let filters = mel_filters();
    let window: Vec<f32> = (0..N_FFT)
        // periodic Hann, as scipy.signal.get_window("hann", n, fftbins=True)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / N_FFT as f64).cos())
        .map(|w| w as f32)
        .collect();
    let pad = N_FFT / 2;
    let n_frames = 1 + wav.len() / HOP;
    let mut planner = RealFftPlanner::<f32>::new();
    let fft = planner.plan_fft_forward(N_FFT);
    let mut input = fft.make_input_vec();
    let mut spectrum = fft.make_output_vec();
    let mut power = vec![0f32; N_FFT / 2 + 1];
    let mut out = Vec::with_capacity(n_frames);
    for f in 0..n_frames {
        for (k, x) in input.iter_mut().enumerate() {
            let idx = (f * HOP + k) as isize - pad as isize;
            *x = reflect(wav, idx) * window[k];
        }
        fft.process(&mut input, &mut spectrum)
            .expect("fft sizes are fixed");
        for (p, c) in power.iter_mut().zip(&spectrum) {
            *p = c.norm_sqr();
        }
        let mut frame = [0f32; N_MELS];
        for (m, row) in filters.iter().enumerate() {
            frame[m] = row.iter().zip(&power).map(|(a, b)| a * b).sum();
        }
        out.push(frame);
    }
    out
}

/// numpy.pad(mode="reflect") indexing (edge sample not repeated); short inputs bounce repeatedly.
fn reflect(wav: &[f32], mut i: isize) -> f32 {
    let n = wav.len() as isize;
    if n == 1 {
        return wav[0];
    }
    loop {
        if i < 0 {
            i = -i;
        } else if i >= n {
            i = 2 * (n - 1) - i;
        } else {
            return wav[i as usize];
        }
    }
}

fn hz_to_mel(f: f64) -> f64 {
    // Slaney: linear below 1 kHz, logarithmic above.
    let (f_sp, min_log_hz) = (200.0 / 3.0, 1000.0);
    let min_log_mel = min_log_hz / f_sp;
    let logstep = (6.4f64).ln() / 27.0;
    if f >= min_log_hz {
        min_log_mel + (f / min_log_hz).ln() / logstep
    } else {
        f / f_sp
    }
}

fn mel_to_hz(m: f64) -> f64 {
    let (f_sp, min_log_hz) = (200.0 / 3.0, 1000.0);
    let min_log_mel = min_log_hz / f_sp;
    let logstep = (6.4f64).ln() / 27.0;
    if m >= min_log_mel {
        min_log_hz * (logstep * (m - min_log_mel)).exp()
    } else {
        f_sp * m
    }
}

/// librosa.filters.mel(sr=16000, n_fft=400, n_mels=40, fmin=0, fmax=8000, htk=False, norm="slaney").
fn mel_filters() -> Vec<Vec<f32>> {
    let n_bins = N_FFT / 2 + 1;
    let fft_freqs: Vec<f64> = (0..n_bins)
        .map(|i| i as f64 * SAMPLE_RATE as f64 / N_FFT as f64)
        .collect();
    let (mel_min, mel_max) = (hz_to_mel(0.0), hz_to_mel(SAMPLE_RATE as f64 / 2.0));
    let mel_pts: Vec<f64> = (0..N_MELS + 2)
        .map(|i| mel_to_hz(mel_min + (mel_max - mel_min) * i as f64 / (N_MELS + 1) as f64))
        .collect();
    (0..N_MELS)
        .map(|m| {
            let (lo, c, hi) = (mel_pts[m], mel_pts[m + 1], mel_pts[m + 2]);
            let enorm = 2.0 / (hi - lo);
            fft_freqs
                .iter()
                .map(|&f| {
                    let lower = (f - lo) / (c - lo);
                    let upper = (hi - f) / (hi - c);
                    (lower.min(upper).max(0.0) * enorm) as f32
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_count_matches_librosa_centering() {
        assert_eq!(mel_spectrogram(&vec![0.0; 16_000]).len(), 101);
        assert_eq!(mel_spectrogram(&vec![0.0; 159]).len(), 1);
    }

    #[test]
    fn tone_energy_lands_in_its_band() {
        // 1 kHz sine: the band centred nearest 1 kHz holds the most energy.
        let wav: Vec<f32> = (0..16_000)
            .map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 16_000.0).sin())
            .collect();
        let mel = mel_spectrogram(&wav);
        let frame = mel[50];
        let best = (0..N_MELS)
            .max_by(|&a, &b| frame[a].total_cmp(&frame[b]))
            .unwrap();
        let centre = mel_to_hz(hz_to_mel(8000.0) * (best + 1) as f64 / (N_MELS + 1) as f64);
        assert!(
            (centre - 1000.0).abs() < 150.0,
            "band {best} centred at {centre} Hz"
        );
    }
}
