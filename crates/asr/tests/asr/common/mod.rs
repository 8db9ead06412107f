//! Shared helpers for the engine tests: the installed models and the real-speech fixtures.

use std::path::PathBuf;
use std::sync::Arc;

use asr::{WhisperConfig, WhisperEngine};

pub use testkit::models_dir;

/// A model installed by scripts/install-models.sh; a missing one fails the test loudly.
pub fn model_path(name: &str) -> PathBuf {
    let p = models_dir().join(name);
    assert!(
        asr::models::is_model_dir(&p),
        "model {} missing: run scripts/install-models.sh",
        p.display()
    );
    p
}

pub fn engine(name: &str) -> Arc<WhisperEngine> {
    WhisperEngine::load_shared(&model_path(name), &WhisperConfig::default()).expect("model loads")
}

pub fn engine_with(name: &str, config: WhisperConfig) -> Arc<WhisperEngine> {
    WhisperEngine::load_shared(&model_path(name), &config).expect("model loads")
}

pub use testkit::fixture;

/// A 16 kHz mono 16-bit fixture as f32 samples.
pub fn wav(rel: &str) -> Vec<f32> {
    let mut r = hound::WavReader::open(fixture(rel)).expect("fixture opens");
    let spec = r.spec();
    assert_eq!(
        (spec.sample_rate, spec.channels, spec.bits_per_sample),
        (16_000, 1, 16),
        "{rel}"
    );
    r.samples::<i16>()
        .map(|s| s.expect("sample") as f32 / 32768.0)
        .collect()
}

pub fn reference(rel: &str) -> String {
    std::fs::read_to_string(fixture(rel)).expect("reference readable")
}

pub fn text(words: &[transcript::Word]) -> String {
    words
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Times are non-decreasing, each word ends at or after it starts, inside the audio, and
/// confidences are probabilities.
pub fn assert_well_formed(words: &[transcript::Word], duration: f64) {
    let mut last_start = 0.0;
    let mut last_end = 0.0;
    for w in words {
        assert!(!w.text.is_empty() && w.text.trim() == w.text, "{w:?}");
        assert!(
            w.start >= last_start && w.start >= last_end - 1e-9,
            "not monotonic at {w:?}"
        );
        assert!(w.end >= w.start, "{w:?}");
        assert!(w.end <= duration + 1e-6, "{w:?} past {duration}");
        assert!((0.0..=1.0).contains(&w.confidence), "{w:?}");
        assert!(w.speaker.is_none() && w.channel.is_none());
        last_start = w.start;
        last_end = w.end;
    }
}

pub fn silence(seconds: f64) -> Vec<f32> {
    vec![0.0; (seconds * 16_000.0) as usize]
}

/// Deterministic white noise (a 64-bit LCG) of the given peak amplitude.
pub fn noise(seconds: f64, amplitude: f32) -> Vec<f32> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    (0..(seconds * 16_000.0) as usize)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * amplitude
        })
        .collect()
}
