use std::path::PathBuf;

use vad::{speech_regions, RegionOptions, SileroVad, FRAME_SAMPLES, SAMPLE_RATE};

fn model() -> SileroVad {
    let path: PathBuf = testkit::models_dir()
        .join("silero-vad")
        .join(vad::MODEL_FILE);
    SileroVad::load(&path, 1).expect("the Silero VAD model (run scripts/install-models.sh)")
}

fn clip(name: &str) -> Vec<f32> {
    let mut reader =
        hound::WavReader::open(testkit::fixture(&format!("clips/{name}.wav"))).unwrap();
    assert_eq!(reader.spec().sample_rate as usize, SAMPLE_RATE);
    assert_eq!(reader.spec().channels, 1);
    reader
        .samples::<i16>()
        .map(|s| s.unwrap() as f32 / 32768.0)
        .collect()
}

/// faster-whisper 1.2.1's `SileroVADModel` on onnxruntime 1.32.0 (Python), run over this clip:
/// the probabilities of a few frames, and its `get_speech_timestamps` with default options.
/// Matching them shows the frames are cut, given context and carried state as there.
#[test]
fn probabilities_and_regions_match_faster_whisper() {
    let samples = clip("en_mfa_words");
    let probabilities = model().probabilities(&samples).unwrap();
    assert_eq!(probabilities.len(), 240);
    for (frame, expected) in [
        (0, 0.04329),
        (10, 0.00266),
        (20, 0.00358),
        (40, 0.69728),
        (80, 0.97698),
        (120, 0.99504),
        (160, 0.18719),
        (200, 0.02005),
    ] {
        let got = probabilities[frame];
        assert!(
            (got - expected).abs() < 1e-4,
            "frame {frame}: {got} vs {expected}"
        );
    }
    let mean = probabilities.iter().sum::<f32>() / probabilities.len() as f32;
    assert!((mean - 0.54126).abs() < 1e-4, "mean {mean}");
    let regions = speech_regions(&probabilities, samples.len(), &RegionOptions::default());
    assert_eq!(regions, vec![7424..122_512]);
}

#[test]
fn streaming_in_odd_pieces_gives_the_same_probabilities() {
    let samples = clip("en_mfa_surround");
    let vad = model();
    let whole = vad.probabilities(&samples).unwrap();
    let mut stream = vad.stream();
    let mut pieces = Vec::new();
    // Pieces of every size around a frame, and a long one that fills several model calls.
    let sizes = [1, 511, 512, 513, 7, 100_000, 3001];
    let mut rest = &samples[..];
    for size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (piece, tail) = rest.split_at((*size).min(rest.len()));
        pieces.extend(stream.push(piece).unwrap());
        rest = tail;
    }
    pieces.extend(stream.finish().unwrap());
    assert_eq!(pieces, whole);
    assert_eq!(whole.len(), samples.len().div_ceil(FRAME_SAMPLES));
}

#[test]
fn a_minute_of_silence_or_noise_has_no_speech() {
    let vad = model();
    let silence = vec![0.0f32; 60 * SAMPLE_RATE];
    // Low white noise from a fixed linear congruential sequence.
    let mut state = 12345u32;
    let noise: Vec<f32> = (0..60 * SAMPLE_RATE)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 24) as f32 * 0.02 - 0.01
        })
        .collect();
    for (name, audio) in [("silence", silence), ("noise", noise)] {
        let p = vad.probabilities(&audio).unwrap();
        let regions = speech_regions(&p, audio.len(), &RegionOptions::default());
        assert!(regions.is_empty(), "{name}: {regions:?}");
    }
}

#[test]
fn speech_between_silences_is_found_and_padded() {
    let speech = clip("en_sense_and_sensibility_0870");
    let gap = 20 * SAMPLE_RATE;
    let mut audio = vec![0.0f32; gap];
    audio.extend_from_slice(&speech);
    audio.extend(std::iter::repeat_n(0.0, gap));
    // Bad samples must not poison the stream's state for what follows.
    audio[100] = f32::NAN;
    let p = model().probabilities(&audio).unwrap();
    let regions = speech_regions(&p, audio.len(), &RegionOptions::default());
    assert!(!regions.is_empty());
    let (first, last) = (regions[0].start, regions[regions.len() - 1].end);
    let pad = 400 * SAMPLE_RATE / 1000;
    assert!(
        first + pad >= gap && first < gap + SAMPLE_RATE,
        "starts at {first}"
    );
    let speech_end = gap + speech.len();
    assert!(
        last <= speech_end + pad && last + SAMPLE_RATE > speech_end,
        "ends at {last}"
    );
}

#[test]
fn a_missing_model_is_a_clear_error() {
    let err = SileroVad::load(std::path::Path::new("/nonexistent/silero.onnx"), 1).unwrap_err();
    assert!(err.to_string().contains("not found"), "{err}");
}

/// The state is reset after a second of pause: a quiet speaker in a noisy room after a minute
/// of clean speech is found as surely as on its own (carried over, the state scores that
/// speaker near zero; see the `silero` module).
#[test]
fn a_quiet_speaker_after_clean_speech_is_still_found() {
    let vad = model();
    let quiet = clip("en_mfa_cold_corpus");
    let alone = vad.probabilities(&quiet).unwrap();
    let mut audio = clip("en_sonnet_001");
    audio.extend_from_slice(&clip("en_mfa_acoustic_corpus"));
    audio.extend(std::iter::repeat_n(0.0, SAMPLE_RATE));
    let offset = audio.len();
    audio.extend_from_slice(&quiet);
    let after = vad.probabilities(&audio).unwrap();
    let mean = |p: &[f32]| p.iter().sum::<f32>() / p.len() as f32;
    let first = offset / FRAME_SAMPLES + 1;
    let (mean_alone, mean_after) = (mean(&alone), mean(&after[first..]));
    assert!(
        mean_after > 0.8 * mean_alone,
        "mean probability {mean_after:.3} after clean speech, {mean_alone:.3} alone"
    );
    let regions = speech_regions(&after, audio.len(), &RegionOptions::default());
    let covered: usize = regions
        .iter()
        .map(|r| r.end.min(audio.len()).saturating_sub(r.start.max(offset)))
        .sum();
    assert!(covered > quiet.len() * 8 / 10, "{regions:?}");
}
