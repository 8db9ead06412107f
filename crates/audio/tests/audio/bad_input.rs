//! Bad input gives a clear error (or, for a damaged but readable file, what can be read) and
//! never a panic or a hang.

use crate::common::*;
use std::path::Path;

use audio::{decode, probe, AudioError, ChannelMode};

/// Deterministic pseudo-random bytes (xorshift), so a failure reproduces.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 32) as u8
        })
        .collect()
}

fn both_fail(path: &Path) -> (AudioError, AudioError) {
    let p = probe(path).expect_err("probe should fail");
    let d = decode(path, ChannelMode::Mix).expect_err("decode should fail");
    (p, d)
}

/// Probing and decoding `path` both fail with an error that is `of_the_kind` and whose
/// message says `words`.
fn assert_both_fail_saying(path: &Path, of_the_kind: fn(&AudioError) -> bool, words: &str) {
    let (p, d) = both_fail(path);
    for e in [p, d] {
        assert!(of_the_kind(&e), "{}: {e}", path.display());
        assert!(
            e.to_string().contains(words),
            "{}: the message should say {words:?}: {e}",
            path.display()
        );
    }
}

#[test]
fn zero_length_file_is_empty() {
    let path = write_file("empty.wav", &[]);
    let (p, d) = both_fail(&path);
    assert!(matches!(p, AudioError::Empty), "{p}");
    assert!(matches!(d, AudioError::Empty), "{d}");
}

#[test]
fn missing_file_is_an_io_error() {
    let err = decode(
        std::path::Path::new("/nonexistent/audio.wav"),
        ChannelMode::Mix,
    )
    .unwrap_err();
    assert!(matches!(err, AudioError::Io(_)), "{err}");
}

#[test]
fn random_bytes_are_rejected() {
    for (seed, name) in [
        (1, "noise.mp3"),
        (2, "noise.wav"),
        (3, "noise.bin"),
        (4, "noise.m4a"),
    ] {
        let path = write_file(name, &noise(200_000, seed));
        let (p, d) = both_fail(&path);
        for e in [p, d] {
            assert!(
                matches!(e, AudioError::Unsupported(_) | AudioError::Corrupt(_)),
                "{name}: {e}"
            );
        }
    }
}

#[test]
fn text_is_rejected_as_text() {
    let text =
        "WEBVTT\n\n00:00.000 --> 00:01.000\nThis is not audio, it is a transcript.\n".repeat(50);
    let path = write_file("transcript.wav", text.as_bytes());
    assert_both_fail_saying(&path, |e| matches!(e, AudioError::Unsupported(_)), "text");
}

#[test]
fn riff_header_with_garbage_payload_is_corrupt() {
    let mut bytes = b"RIFF\x00\x00\x01\x00WAVE".to_vec();
    bytes.extend(noise(65_536, 5));
    let path = write_file("garbage-payload.wav", &bytes);
    assert_both_fail_saying(&path, |e| matches!(e, AudioError::Corrupt(_)), "WAV");
}

/// A WAV file whose `fmt ` chunk is patched after writing: the header lies about the data.
fn lying_wav(name: &str, patch: impl Fn(&mut Vec<u8>)) -> std::path::PathBuf {
    let mut bytes = std::fs::read(fixture("s16-48k-stereo.wav")).unwrap();
    patch(&mut bytes);
    write_file(name, &bytes)
}

fn fmt_offset(bytes: &[u8]) -> usize {
    bytes.windows(4).position(|w| w == b"fmt ").unwrap() + 8
}

#[test]
fn wav_header_that_lies_is_a_clear_error() {
    let cases = [
        lying_wav("zero-channels.wav", |b| {
            let o = fmt_offset(b);
            b[o + 2..o + 4].copy_from_slice(&0u16.to_le_bytes());
        }),
        lying_wav("block-size-mismatch.wav", |b| {
            let o = fmt_offset(b);
            b[o + 12..o + 14].copy_from_slice(&7u16.to_le_bytes());
        }),
        lying_wav("absurd-rate.wav", |b| {
            let o = fmt_offset(b);
            b[o + 4..o + 8].copy_from_slice(&3u32.to_le_bytes());
        }),
        lying_wav("no-fmt.wav", |b| {
            let o = fmt_offset(b) - 8;
            b[o..o + 4].copy_from_slice(b"junk");
        }),
    ];
    for path in cases {
        assert_both_fail_saying(&path, |e| matches!(e, AudioError::Corrupt(_)), "WAV header");
    }
}

#[test]
fn mp3_named_wav_is_decoded_as_mp3() {
    let bytes = std::fs::read(fixture("cbr-44k-stereo.mp3")).unwrap();
    let path = write_file("really-an-mp3.wav", &bytes);
    let p = probe(&path).unwrap();
    assert_eq!(
        (p.format.as_str(), p.mime_type.as_str()),
        ("mp3", "audio/mpeg")
    );
    let d = decode(&path, ChannelMode::Mix).unwrap();
    assert_eq!(d.probe.format, "mp3");
    let hz = dominant_hz(middle(&d.channels[0], 8192));
    assert!(
        (hz - LEFT_HZ).abs() <= 10.0 || (hz - RIGHT_HZ).abs() <= 10.0,
        "{hz} Hz"
    );
}

#[test]
fn video_without_audio_has_no_audio_track() {
    let path = write_file("silent-video.mp4", &[]);
    let status = std::process::Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=c=red:size=64x64:rate=10:duration=1",
        ])
        .args(["-c:v", "mpeg4"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    let (p, d) = both_fail(&path);
    for e in [p, d] {
        assert!(matches!(e, AudioError::NoAudioTrack), "{e}");
    }
}

/// Keeps the first `fraction` of a fixture.
fn truncated(name: &str, fraction: f64) -> std::path::PathBuf {
    let bytes = std::fs::read(fixture(name)).unwrap();
    let keep = (bytes.len() as f64 * fraction) as usize;
    write_file(&format!("truncated-{name}"), &bytes[..keep])
}

#[test]
fn truncated_files_decode_what_is_there_or_fail_clearly() {
    for f in fixtures() {
        let path = truncated(f.name, 0.5);
        match decode(&path, ChannelMode::Mix) {
            Ok(d) => {
                let seconds = d.channels[0].len() as f64 / 16_000.0;
                // About half the audio, never more than the whole, never padded with noise.
                assert!(
                    seconds > 0.2 * SECONDS && seconds <= SECONDS * 1.02,
                    "{}: {seconds} s",
                    f.name
                );
                let share = tone_energy_share(
                    middle(&d.channels[0], 2048),
                    if f.channels == 2 {
                        &[LEFT_HZ, RIGHT_HZ]
                    } else {
                        &[LEFT_HZ]
                    },
                );
                assert!(
                    share > f.min_tone_energy * 0.9,
                    "{}: decoded noise ({share:.2})",
                    f.name
                );
            }
            Err(e) => assert!(
                matches!(
                    e,
                    AudioError::Corrupt(_) | AudioError::Unsupported(_) | AudioError::NoAudioTrack
                ),
                "{}: {e}",
                f.name
            ),
        }
    }
}

/// Seconds of audio ffmpeg itself gets out of a file: the reference for damaged files.
fn ffmpeg_seconds(path: &std::path::Path) -> f64 {
    let out = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-v", "quiet", "-i"])
        .arg(path)
        .args([
            "-map", "0:a:0", "-f", "f32le", "-ac", "1", "-ar", "16000", "-",
        ])
        .output()
        .unwrap();
    out.stdout.len() as f64 / 4.0 / 16_000.0
}

#[test]
fn plain_formats_survive_truncation() {
    // These carry their audio from the start: a cut file gives as much audio as ffmpeg gets
    // out of it.
    for name in [
        "s16-44k-mono.wav",
        "cbr-44k-stereo.mp3",
        "48k-stereo.flac",
        "44k-mono.aac",
        "48k-mono-opus.ogg",
        "48k-stereo-vorbis.ogg",
        "48k-stereo.mp2",
        "8k-mono.amr",
    ] {
        let path = truncated(name, 0.5);
        let d = decode(&path, ChannelMode::Mix).unwrap_or_else(|e| panic!("{name}: {e}"));
        let seconds = d.channels[0].len() as f64 / 16_000.0;
        let reference = ffmpeg_seconds(&path);
        assert!(reference > 0.5, "{name}: ffmpeg got only {reference} s");
        assert!(
            (seconds - reference).abs() < 0.1,
            "{name}: {seconds} s from a cut file, ffmpeg gets {reference} s"
        );
    }
}

#[test]
fn a_file_cut_inside_its_header_fails() {
    for f in fixtures() {
        let bytes = std::fs::read(fixture(f.name)).unwrap();
        let path = write_file(
            &format!("header-only-{}", f.name),
            &bytes[..bytes.len().min(20)],
        );
        let err = decode(&path, ChannelMode::Mix).expect_err(f.name);
        assert!(!matches!(err, AudioError::Io(_)), "{}: {err}", f.name);
    }
}

#[test]
fn damaged_files_never_panic() {
    // Bytes overwritten throughout (past the first kilobyte, so the format is still known):
    // the decoders must resynchronise or give up, never crash or hang.
    for f in fixtures() {
        let mut bytes = std::fs::read(fixture(f.name)).unwrap();
        let damage = noise(bytes.len(), 7);
        for i in (1024..bytes.len()).step_by(97) {
            bytes[i] = damage[i];
        }
        let path = write_file(&format!("damaged-{}", f.name), &bytes);
        for mode in [ChannelMode::Mix, ChannelMode::Split] {
            if let Ok(d) = decode(&path, mode) {
                assert!(
                    d.channels.iter().all(|c| c.iter().all(|x| x.is_finite())),
                    "{}: non-finite samples",
                    f.name
                );
            }
        }
        let _ = probe(&path);
    }
}

#[test]
fn wav_without_samples_has_no_audio() {
    let mut bytes = std::fs::read(fixture("s16-44k-mono.wav")).unwrap();
    let data = bytes.windows(4).position(|w| w == b"data").unwrap();
    bytes.truncate(data + 4);
    bytes.extend(0u32.to_le_bytes());
    let path = write_file("no-samples.wav", &bytes);
    let (p, d) = both_fail(&path);
    for e in [p, d] {
        assert!(matches!(e, AudioError::Corrupt(_)), "{e}");
    }
}

#[test]
fn amr_magic_without_frames_has_no_audio() {
    let path = write_file("magic-only.amr", b"#!AMR\n");
    let (p, d) = both_fail(&path);
    for e in [p, d] {
        assert!(matches!(e, AudioError::Corrupt(_)), "{e}");
    }
}
