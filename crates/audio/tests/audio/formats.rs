//! Every format of the contract, made with ffmpeg from a known signal: probed right, decoded
//! to 16 kHz at the right length, with the signal really there.

use std::ops::ControlFlow;

use crate::common::*;
use audio::{decode, decode_stream, probe, ChannelMode, TARGET_SAMPLE_RATE};

/// Samples in the analysis window (half a second at 16 kHz).
const WINDOW: usize = 8192;

fn check(name: &str) {
    let spec = fixture_spec(name);
    let path = fixture(name);

    let p = probe(&path).unwrap_or_else(|e| panic!("{name}: probe failed: {e}"));
    assert_eq!(p.format, spec.format, "{name}: format");
    assert_eq!(p.mime_type, spec.mime, "{name}: mime type");
    assert_eq!(p.channels, spec.channels, "{name}: channels");
    assert_eq!(p.sample_rate, spec.sample_rate, "{name}: sample rate");
    let off = (p.duration_seconds - SECONDS).abs() / SECONDS;
    assert!(
        off < 0.05,
        "{name}: probed duration {} s, expected {SECONDS} s",
        p.duration_seconds
    );

    let mixed =
        decode(&path, ChannelMode::Mix).unwrap_or_else(|e| panic!("{name}: decode failed: {e}"));
    assert_eq!(mixed.channels.len(), 1, "{name}: mixing gives one channel");
    assert_eq!(mixed.probe.format, spec.format);
    let mono = &mixed.channels[0];
    let expected = SECONDS * TARGET_SAMPLE_RATE as f64;
    let off = (mono.len() as f64 - expected).abs() / expected;
    assert!(
        off < 0.02,
        "{name}: decoded {} samples, expected about {expected}",
        mono.len()
    );
    assert!((mixed.probe.duration_seconds - mono.len() as f64 / 16_000.0).abs() < 1e-9);

    let window = middle(mono, WINDOW);
    let tones: &[f64] = if spec.channels == 2 {
        &[LEFT_HZ, RIGHT_HZ]
    } else {
        &[LEFT_HZ]
    };
    let share = tone_energy_share(window, tones);
    assert!(
        share >= spec.min_tone_energy,
        "{name}: only {share:.3} of the energy is at the test tones {tones:?}"
    );
    if spec.channels == 1 {
        let hz = dominant_hz(window);
        assert!(
            (hz - LEFT_HZ).abs() <= 10.0,
            "{name}: dominant frequency {hz} Hz, expected {LEFT_HZ}"
        );
    } else {
        let split = decode(&path, ChannelMode::Split)
            .unwrap_or_else(|e| panic!("{name}: split decode: {e}"));
        assert_eq!(
            split.channels.len(),
            2,
            "{name}: split gives one channel each"
        );
        assert_eq!(
            split.channels[0].len(),
            mono.len(),
            "{name}: split and mix lengths"
        );
        for (channel, want) in split.channels.iter().zip([LEFT_HZ, RIGHT_HZ]) {
            let hz = dominant_hz(middle(channel, WINDOW));
            assert!(
                (hz - want).abs() <= 10.0,
                "{name}: split channel has {hz} Hz, expected {want}"
            );
            let share = tone_energy_share(middle(channel, WINDOW), &[want]);
            assert!(
                share >= spec.min_tone_energy,
                "{name}: split channel at {want} Hz holds only {share:.3}"
            );
        }
    }

    // The streaming API yields the same audio, in chunks of the asked length.
    let mut streamed = Vec::new();
    let mut sizes = Vec::new();
    let streamed_probe = decode_stream(&path, ChannelMode::Mix, 1.0, |chunk| {
        assert_eq!(chunk.len(), 1);
        sizes.push(chunk[0].len());
        streamed.extend_from_slice(&chunk[0]);
        ControlFlow::Continue(())
    })
    .unwrap_or_else(|e| panic!("{name}: decode_stream: {e}"));
    assert_eq!(streamed_probe.format, spec.format);
    assert_eq!(
        &streamed, mono,
        "{name}: streamed audio differs from decode()"
    );
    let (last, full) = sizes.split_last().unwrap();
    assert!(
        full.iter().all(|s| *s == 16_000) && *last <= 16_000 && *last > 0,
        "{name}: chunk sizes {sizes:?}"
    );
}

macro_rules! format_tests {
    ($($test:ident => $name:literal,)*) => {
        $(#[test] fn $test() { check($name); })*

        #[test]
        fn every_fixture_is_tested() {
            let tested = [$($name),*];
            for f in fixtures() {
                assert!(tested.contains(&f.name), "fixture {} has no test", f.name);
            }
        }
    };
}

format_tests! {
    wav_s16_44k_mono => "s16-44k-mono.wav",
    wav_s16_48k_stereo => "s16-48k-stereo.wav",
    wav_f32_44k_stereo => "f32-44k-stereo.wav",
    wav_f32_48k_mono => "f32-48k-mono.wav",
    wav_s16_16k_mono => "s16-16k-mono.wav",
    mp3_cbr_stereo => "cbr-44k-stereo.mp3",
    mp3_vbr_without_xing => "vbr-noxing-48k-mono.mp3",
    flac_stereo => "48k-stereo.flac",
    aac_adts => "44k-mono.aac",
    ogg_vorbis => "48k-stereo-vorbis.ogg",
    ogg_opus => "48k-mono-opus.ogg",
    m4a_aac => "44k-stereo.m4a",
    mp4_with_video => "48k-stereo-video.mp4",
    amr_nb => "8k-mono.amr",
    mpeg_layer2 => "48k-stereo.mp2",
    mpeg_program_stream => "48k-stereo-program.mpg",
}

#[test]
fn wav_length_is_exact() {
    // 4 s at 44.1 kHz is 176400 frames: exactly 64000 at 16 kHz.
    let d = decode(&fixture("s16-44k-mono.wav"), ChannelMode::Mix).unwrap();
    assert_eq!(d.channels[0].len(), 64_000);
}

#[test]
fn stopping_a_stream_early_is_clean() {
    // ffmpeg-decoded format: breaking off must end the child process, not hang.
    let mut chunks = 0;
    decode_stream(&fixture("48k-mono-opus.ogg"), ChannelMode::Mix, 0.5, |_| {
        chunks += 1;
        ControlFlow::Break(())
    })
    .unwrap();
    assert_eq!(chunks, 1);
}
