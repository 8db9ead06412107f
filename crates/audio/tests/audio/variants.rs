//! Variants met in real uploads beyond the basic fixtures: telephony codecs in WAV, other
//! codecs inside MP4 and WAV (decoded through the ffmpeg fallback), big cover art, surround
//! sound, MPEG transport streams, and a container outside the contract.

use crate::common::*;
use audio::{decode, probe, AudioError, ChannelMode};

/// ffmpeg's 4 s 440 Hz mono tone at one sample rate.
struct Tone {
    lavfi: String,
    sample_rate: u32,
}

fn tone(sample_rate: u32) -> Tone {
    Tone {
        lavfi: format!("sine=frequency=440:sample_rate={sample_rate}:duration=4"),
        sample_rate,
    }
}

/// Probes as `format`, decodes to about 4 s with the 440 Hz tone in it.
fn check(
    name: &str,
    args: &[&str],
    format: &str,
    channels: u16,
    sample_rate: u32,
) -> std::path::PathBuf {
    let path = ffmpeg_file(name, args);
    let p = probe(&path).unwrap_or_else(|e| panic!("{name}: probe: {e}"));
    assert_eq!(
        (p.format.as_str(), p.channels, p.sample_rate),
        (format, channels, sample_rate),
        "{name}"
    );
    assert!(
        (p.duration_seconds - SECONDS).abs() / SECONDS < 0.05,
        "{name}: {} s",
        p.duration_seconds
    );
    let d = decode(&path, ChannelMode::Mix).unwrap_or_else(|e| panic!("{name}: decode: {e}"));
    let seconds = d.channels[0].len() as f64 / 16_000.0;
    assert!(
        (seconds - SECONDS).abs() / SECONDS < 0.03,
        "{name}: decoded {seconds} s"
    );
    let hz = dominant_hz(middle(&d.channels[0], 8192));
    assert!((hz - LEFT_HZ).abs() <= 10.0, "{name}: dominant {hz} Hz");
    path
}

fn lavfi(tone: &Tone) -> Vec<&str> {
    vec!["-f", "lavfi", "-i", &tone.lavfi]
}

/// [`check`] of `tone` encoded with the ffmpeg arguments `codec`: mono, at the tone's rate.
fn check_tone(name: &str, tone: &Tone, codec: &[&str], format: &str) {
    check(name, &with(lavfi(tone), codec), format, 1, tone.sample_rate);
}

fn with<'a>(mut base: Vec<&'a str>, rest: &[&'a str]) -> Vec<&'a str> {
    base.extend_from_slice(rest);
    base
}

#[test]
fn telephony_wav_codecs() {
    check_tone("mulaw.wav", &tone(8_000), &["-c:a", "pcm_mulaw"], "wav");
    check_tone("alaw.wav", &tone(8_000), &["-c:a", "pcm_alaw"], "wav");
    check_tone(
        "ima-adpcm.wav",
        &tone(8_000),
        &["-c:a", "adpcm_ima_wav"],
        "wav",
    );
    check_tone("ms-adpcm.wav", &tone(8_000), &["-c:a", "adpcm_ms"], "wav");
}

#[test]
fn alac_in_m4a() {
    check_tone("alac.m4a", &tone(44_100), &["-c:a", "alac"], "m4a");
}

#[test]
fn codecs_symphonia_lacks_fall_back_to_ffmpeg() {
    let args = ["-c:a", "libopus", "-f", "mp4"];
    check_tone("opus.mp4", &tone(48_000), &args, "mp4");
    let args = ["-c:a", "libmp3lame", "-f", "wav"];
    check_tone("mp3-in.wav", &tone(44_100), &args, "wav");
}

#[test]
fn mp3_behind_large_cover_art() {
    // A cover image of ~500 kB in the ID3v2 tag: the MPEG frames start far into the file.
    let cover = ffmpeg_file(
        "cover.png",
        &[
            "-f",
            "lavfi",
            "-i",
            "nullsrc=s=600x600,geq=random(1)*255:128:128",
            "-frames:v",
            "1",
        ],
    );
    let cover = cover.to_str().unwrap();
    let tone = tone(44_100);
    let args = with(
        lavfi(&tone),
        &[
            "-i",
            cover,
            "-map",
            "0",
            "-map",
            "1",
            "-c:a",
            "libmp3lame",
            "-c:v",
            "png",
            "-id3v2_version",
            "3",
            "-disposition:v",
            "attached_pic",
            "-f",
            "mp3",
        ],
    );
    check("cover-art.mp3", &args, "mp3", 1, 44_100);
}

#[test]
fn surround_mixes_down_and_splits_into_six() {
    let tone = tone(48_000);
    let args = with(
        lavfi(&tone),
        &[
            "-af",
            "pan=5.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0",
            "-c:a",
            "flac",
        ],
    );
    let path = check("surround.flac", &args, "flac", 6, 48_000);
    let d = decode(&path, ChannelMode::Split).unwrap();
    assert_eq!(d.channels.len(), 6);
}

#[test]
fn mpeg_transport_stream() {
    let args = ["-c:a", "mp2", "-f", "mpegts"];
    check_tone("audio.ts", &tone(44_100), &args, "mpeg");
}

#[test]
fn containers_outside_the_contract_are_named_in_the_error() {
    let tone = tone(48_000);
    let args = with(lavfi(&tone), &["-c:a", "libvorbis", "-f", "webm"]);
    let path = ffmpeg_file("audio.webm", &args);
    let err = probe(&path).unwrap_err();
    assert!(matches!(err, AudioError::Unsupported(_)), "{err}");
    assert!(err.to_string().contains("webm"), "{err}");
}

#[test]
fn wav_written_to_a_pipe_has_no_sizes_in_its_header() {
    // ffmpeg writing to a pipe cannot seek back, so the RIFF and data sizes stay 0xFFFFFFFF.
    let tone = tone(44_100);
    let to_stdout = with(lavfi(&tone), &["-f", "wav", "-"]);
    let out = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error"])
        .args(&to_stdout)
        .output()
        .unwrap();
    assert!(out.status.success());
    let data = out.stdout.windows(4).position(|w| w == b"data").unwrap();
    assert_eq!(
        &out.stdout[data + 4..data + 8],
        &[0xFF; 4],
        "data size should be unknown"
    );
    let path = write_file("piped.wav", &out.stdout);
    let p = probe(&path).unwrap();
    assert!(
        (p.duration_seconds - SECONDS).abs() / SECONDS < 0.05,
        "{} s",
        p.duration_seconds
    );
    let d = decode(&path, ChannelMode::Mix).unwrap();
    assert_eq!(d.channels[0].len(), 64_000);
}

#[test]
fn mpeg_2_and_2_5_low_rate_audio() {
    // Lower sample rates use MPEG-2 and MPEG-2.5 frame layouts (other frame sizes, bitrates).
    for (name, sample_rate, bitrate) in [("mpeg2.mp3", 16_000, "32k"), ("mpeg25.mp3", 8_000, "16k")]
    {
        let args = ["-c:a", "libmp3lame", "-b:a", bitrate];
        check_tone(name, &tone(sample_rate), &args, "mp3");
    }
    let args = ["-c:a", "mp2", "-b:a", "64k", "-f", "mp2"];
    check_tone("mpeg2.mp2", &tone(24_000), &args, "mpeg");
}
