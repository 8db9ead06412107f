//! Test fixtures made on the fly with ffmpeg (and sox for AMR), once per test process, plus
//! signal checks.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// Seconds of audio in every fixture.
pub const SECONDS: f64 = 4.0;
/// Tone of the left (or only) channel.
pub const LEFT_HZ: f64 = 440.0;
/// Tone of the right channel of stereo fixtures.
pub const RIGHT_HZ: f64 = 1250.0;

/// One fixture: how to make it and what it must probe as.
pub struct Fixture {
    pub name: &'static str,
    pub format: &'static str,
    pub mime: &'static str,
    pub channels: u16,
    pub sample_rate: u32,
    /// Lossy speech codecs (AMR) keep less of a pure tone.
    pub min_tone_energy: f64,
}

/// Every format of the contract, in the variants that matter: the fixture's name, the format
/// and MIME type it must probe as, its channels and its sample rate.
const FORMATS: &[(&str, &str, &str, u16, u32)] = &[
    ("s16-44k-mono.wav", "wav", "audio/wav", 1, 44_100),
    ("s16-48k-stereo.wav", "wav", "audio/wav", 2, 48_000),
    ("f32-44k-stereo.wav", "wav", "audio/wav", 2, 44_100),
    ("f32-48k-mono.wav", "wav", "audio/wav", 1, 48_000),
    ("s16-16k-mono.wav", "wav", "audio/wav", 1, 16_000),
    ("cbr-44k-stereo.mp3", "mp3", "audio/mpeg", 2, 44_100),
    ("vbr-noxing-48k-mono.mp3", "mp3", "audio/mpeg", 1, 48_000),
    ("48k-stereo.flac", "flac", "audio/flac", 2, 48_000),
    ("44k-mono.aac", "aac", "audio/aac", 1, 44_100),
    ("48k-stereo-vorbis.ogg", "ogg", "audio/ogg", 2, 48_000),
    ("48k-mono-opus.ogg", "ogg", "audio/ogg", 1, 48_000),
    ("44k-stereo.m4a", "m4a", "audio/mp4", 2, 44_100),
    ("48k-stereo-video.mp4", "mp4", "video/mp4", 2, 48_000),
    ("8k-mono.amr", "amr", "audio/amr", 1, 8_000),
    ("48k-stereo.mp2", "mpeg", "audio/mpeg", 2, 48_000),
    ("48k-stereo-program.mpg", "mpeg", "video/mpeg", 2, 48_000),
];

/// Every fixture of [`FORMATS`].
pub fn fixtures() -> impl Iterator<Item = Fixture> {
    FORMATS
        .iter()
        .map(|&(name, format, mime, channels, sample_rate)| Fixture {
            name,
            format,
            mime,
            channels,
            sample_rate,
            // Lossy speech codecs keep less of a pure tone.
            min_tone_energy: if format == "amr" { 0.5 } else { 0.9 },
        })
}

pub fn fixture_spec(name: &str) -> Fixture {
    fixtures()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no fixture {name}"))
}

fn dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"))
        .path()
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} (needed to make test fixtures): {e}"));
    assert!(
        out.status.success(),
        "{program} {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ffmpeg(args: &[&str]) {
    let mut all = vec!["-nostdin", "-hide_banner", "-v", "error", "-y"];
    all.extend_from_slice(args);
    run("ffmpeg", &all);
}

fn has_encoder(name: &str) -> bool {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-encoders"])
        .output()
        .expect("ffmpeg");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.split_whitespace().nth(1) == Some(name))
}

fn sine(hz: f64, rate: u32, seconds: f64) -> String {
    format!("sine=frequency={hz}:sample_rate={rate}:duration={seconds}")
}

/// lavfi inputs and filter for the test signal: a 440 Hz tone, plus a 1250 Hz tone on the
/// right channel for stereo.
fn signal_args(rate: u32, channels: u16) -> Vec<String> {
    let mut args = vec![
        "-f".into(),
        "lavfi".into(),
        "-i".into(),
        sine(LEFT_HZ, rate, SECONDS),
    ];
    if channels == 2 {
        args.extend([
            "-f".into(),
            "lavfi".into(),
            "-i".into(),
            sine(RIGHT_HZ, rate, SECONDS),
        ]);
        args.extend([
            "-filter_complex".into(),
            "[0:a][1:a]amerge=inputs=2[a]".into(),
            "-map".into(),
            "[a]".into(),
        ]);
    }
    args
}

/// Path of a fixture, made on first use.
pub fn fixture(name: &str) -> PathBuf {
    static MADE: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let path = dir().join(name);
    let mut made = MADE.lock().unwrap_or_else(|e| e.into_inner());
    if made.get_or_insert_with(HashSet::new).contains(name) {
        return path;
    }
    let spec = fixture_spec(name);
    let out = path.to_str().unwrap();
    let signal = signal_args(spec.sample_rate, spec.channels);
    let s: Vec<&str> = signal.iter().map(String::as_str).collect();
    let with = |extra: &[&str]| {
        let mut args = s.clone();
        args.extend_from_slice(extra);
        args.push(out);
        ffmpeg(&args);
    };
    match name {
        "s16-44k-mono.wav" | "s16-48k-stereo.wav" | "s16-16k-mono.wav" => {
            with(&["-c:a", "pcm_s16le"])
        }
        "f32-44k-stereo.wav" | "f32-48k-mono.wav" => with(&["-c:a", "pcm_f32le"]),
        "cbr-44k-stereo.mp3" => with(&["-c:a", "libmp3lame", "-b:a", "128k"]),
        // VBR without a Xing header: the headers cannot give the duration.
        "vbr-noxing-48k-mono.mp3" => with(&["-c:a", "libmp3lame", "-q:a", "4", "-write_xing", "0"]),
        "48k-stereo.flac" => with(&["-c:a", "flac"]),
        "44k-mono.aac" => with(&["-c:a", "aac", "-b:a", "96k", "-f", "adts"]),
        "48k-stereo-vorbis.ogg" => with(&["-c:a", "libvorbis", "-q:a", "4"]),
        "48k-mono-opus.ogg" => with(&["-c:a", "libopus", "-b:a", "48k", "-f", "ogg"]),
        "44k-stereo.m4a" => with(&["-c:a", "aac", "-b:a", "128k"]),
        "48k-stereo-video.mp4" => with_to(&[], &to_strs(&mp4_args()), out),
        "8k-mono.amr" => {
            // This ffmpeg may lack an AMR encoder (libopencore_amrnb); sox has one.
            if has_encoder("libopencore_amrnb") {
                with(&["-c:a", "libopencore_amrnb", "-b:a", "12.2k"]);
            } else {
                let wav = dir().join("amr-source.wav");
                with_to(&s, &["-c:a", "pcm_s16le"], wav.to_str().unwrap());
                let sox = Command::new("sox")
                    .args([wav.to_str().unwrap(), "-t", "amr-nb", "-C", "7", out])
                    .output();
                match sox {
                    Ok(o) if o.status.success() => {}
                    other => panic!(
                        "no AMR-NB encoder: ffmpeg has no libopencore_amrnb and sox could not write amr-nb ({other:?}); \
                         install sox with libsox-fmt-all (opencore-amr) to test AMR"
                    ),
                }
            }
        }
        "48k-stereo.mp2" => with(&["-c:a", "mp2", "-b:a", "192k", "-f", "mp2"]),
        "48k-stereo-program.mpg" => with_to(&[], &to_strs(&mpg_args()), out),
        other => panic!("no recipe for fixture {other}"),
    }
    made.as_mut().unwrap().insert(name.to_string());
    path
}

fn with_to(signal: &[&str], extra: &[&str], out: &str) {
    let mut args = signal.to_vec();
    args.extend_from_slice(extra);
    args.push(out);
    ffmpeg(&args);
}

fn to_strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// A video stream (input 0) plus the stereo test signal (inputs 1 and 2).
fn video_plus_signal(rate: u32) -> Vec<String> {
    let mut args: Vec<String> = [
        "-f",
        "lavfi",
        "-i",
        "color=c=blue:size=160x120:rate=25:duration=4",
    ]
    .map(String::from)
    .to_vec();
    for hz in [LEFT_HZ, RIGHT_HZ] {
        args.extend([
            "-f".into(),
            "lavfi".into(),
            "-i".into(),
            sine(hz, rate, SECONDS),
        ]);
    }
    args.extend(
        [
            "-filter_complex",
            "[1:a][2:a]amerge=inputs=2[a]",
            "-map",
            "0:v",
            "-map",
            "[a]",
        ]
        .map(String::from),
    );
    args
}

fn mp4_args() -> Vec<String> {
    let mut args = video_plus_signal(48_000);
    args.extend(["-c:v", "mpeg4", "-c:a", "aac", "-b:a", "128k", "-f", "mp4"].map(String::from));
    args
}

fn mpg_args() -> Vec<String> {
    let mut args = video_plus_signal(48_000);
    args.extend(
        [
            "-c:v",
            "mpeg1video",
            "-c:a",
            "mp2",
            "-b:a",
            "192k",
            "-f",
            "mpeg",
        ]
        .map(String::from),
    );
    args
}

/// Writes a file with a single tone, for the resampler tests.
pub fn tone_wav(name: &str, hz: f64, rate: u32) -> PathBuf {
    let path = dir().join(name);
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &sine(hz, rate, 2.0),
        "-c:a",
        "pcm_f32le",
        path.to_str().unwrap(),
    ]);
    path
}

/// Writes arbitrary bytes to a fixture file.
pub fn write_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Power of `signal` (at 16 kHz) at `hz`, by Goertzel's single-bin DFT over `window`.
pub fn power_at(window: &[f32], hz: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * hz / 16_000.0;
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in window {
        let s0 = x as f64 + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    (s1 * s1 + s2 * s2 - coeff * s1 * s2) / window.len() as f64
}

/// The strongest frequency in `window`, scanning 50 Hz–7950 Hz in 5 Hz steps.
pub fn dominant_hz(window: &[f32]) -> f64 {
    (10..1590)
        .map(|i| i as f64 * 5.0)
        .map(|hz| (hz, power_at(window, hz)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap()
        .0
}

/// Share of a window's energy that lies within ±25 Hz of the given tones (a Hann-windowed
/// spectrum scanned in 5 Hz steps from 50 Hz to 7950 Hz).
pub fn tone_energy_share(window: &[f32], tones: &[f64]) -> f64 {
    let n = window.len();
    let hann: Vec<f32> = window
        .iter()
        .enumerate()
        .map(|(i, x)| {
            x * (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos()) as f32
        })
        .collect();
    let (mut near, mut total) = (0.0, 0.0);
    for i in 10..1590 {
        let hz = i as f64 * 5.0;
        let p = power_at(&hann, hz);
        total += p;
        if tones.iter().any(|t| (hz - t).abs() <= 25.0) {
            near += p;
        }
    }
    near / total
}

/// A window of `len` samples from the middle of `signal`, clear of codec start-up.
pub fn middle(signal: &[f32], len: usize) -> &[f32] {
    assert!(
        signal.len() >= len,
        "signal of {} samples is shorter than {len}",
        signal.len()
    );
    let start = (signal.len() - len) / 2;
    &signal[start..start + len]
}

pub fn rms(signal: &[f32]) -> f64 {
    (signal.iter().map(|x| (*x as f64).powi(2)).sum::<f64>() / signal.len() as f64).sqrt()
}

/// Makes a file with ffmpeg from `args` (inputs and options; the output path is appended).
pub fn ffmpeg_file(name: &str, args: &[&str]) -> PathBuf {
    let path = dir().join(name);
    let mut all = args.to_vec();
    all.push(path.to_str().unwrap());
    ffmpeg(&all);
    path
}
