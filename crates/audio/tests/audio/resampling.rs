//! The resampling to 16 kHz is band-limited: tones below 8 kHz survive at full strength,
//! tones above it are removed instead of folding back (aliasing) into the speech band.

use crate::common::*;
use audio::{decode, ChannelMode};

fn decoded_tone(name: &str, hz: f64, rate: u32) -> Vec<f32> {
    let path = tone_wav(name, hz, rate);
    let d = decode(&path, ChannelMode::Mix).unwrap();
    assert_eq!(d.channels[0].len(), 32_000, "2 s at 16 kHz");
    d.channels.into_iter().next().unwrap()
}

/// ffmpeg's `sine` source has amplitude 1/8.
const SINE_RMS: f64 = 0.125 / std::f64::consts::SQRT_2;

#[test]
fn a_7khz_tone_keeps_its_frequency_and_level() {
    for rate in [48_000, 44_100] {
        let out = decoded_tone(&format!("7k-{rate}.wav"), 7_000.0, rate);
        let window = middle(&out, 8192);
        let hz = dominant_hz(window);
        assert!((hz - 7_000.0).abs() <= 10.0, "{rate} Hz: dominant {hz} Hz");
        let level = rms(window) / SINE_RMS;
        assert!(
            (level - 1.0).abs() < 0.05,
            "{rate} Hz: level changed to {level:.3} of the input"
        );
    }
}

#[test]
fn a_10khz_tone_is_removed_not_aliased_to_6khz() {
    for rate in [48_000, 44_100] {
        let out = decoded_tone(&format!("10k-{rate}.wav"), 10_000.0, rate);
        let window = middle(&out, 8192);
        let level = rms(window) / SINE_RMS;
        // −60 dB: a dropping or linear-interpolating resampler leaves the alias near full level.
        assert!(
            level < 1e-3,
            "{rate} Hz: a 10 kHz tone leaves {level:.2e} of its level"
        );
        // The alias would sit at 16 − 10 = 6 kHz (6.1 kHz from 44.1 kHz is near enough).
        let at_alias = power_at(window, 6_000.0);
        let full_level: Vec<f32> = (0..window.len())
            .map(|i| 0.125 * (2.0 * std::f32::consts::PI * 6_000.0 * i as f32 / 16_000.0).sin())
            .collect();
        let reference = power_at(&full_level, 6_000.0);
        assert!(
            at_alias < reference * 1e-6,
            "{rate} Hz: power at 6 kHz {at_alias:.2e} against {reference:.2e} for a full tone"
        );
    }
}

#[test]
fn upsampling_from_8khz_keeps_the_tone() {
    let out = decoded_tone("3k-8000.wav", 3_000.0, 8_000);
    let window = middle(&out, 8192);
    assert!((dominant_hz(window) - 3_000.0).abs() <= 10.0);
    let level = rms(window) / SINE_RMS;
    assert!((level - 1.0).abs() < 0.05, "level {level:.3}");
    // Nothing new appears above the old 4 kHz Nyquist frequency.
    assert!(tone_energy_share(window, &[3_000.0]) > 0.99);
}

#[test]
fn the_start_is_aligned() {
    // A tone that starts at 0.5 s must start at sample 8000 at 16 kHz, not later: the
    // resampler's delay is compensated.
    let path = tone_wav_delayed("late-start.wav");
    let d = decode(&path, ChannelMode::Mix).unwrap();
    let s = &d.channels[0];
    let onset = s.iter().position(|x| x.abs() > 0.05).unwrap();
    assert!(
        (7_990..=8_010).contains(&onset),
        "tone starts at sample {onset}, expected 8000"
    );
}

fn tone_wav_delayed(name: &str) -> std::path::PathBuf {
    let path = write_file(name, &[]);
    let status = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("sine=frequency=1000:sample_rate=48000:duration=2")
        .args(["-af", "adelay=500", "-c:a", "pcm_f32le"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    path
}
