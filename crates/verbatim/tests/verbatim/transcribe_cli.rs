//! `verbatim transcribe` end to end: the real binary, the real tiny.en model, real recorded
//! speech with exact reference transcripts (built by scripts/fetch-test-data.sh).

use std::process::Command;

use crate::common::{fixture, fixtures, models_dir, verbatim, verbatim_json, verbatim_ok, wer};

/// tiny.en scores 5–15 % on these clips; a bound well above that still fails loudly when the
/// decoder, the resampler or the timestamps go wrong (a broken pipeline scores 60 % or worse).
/// CTranslate2's kernels differ by CPU: on an AMD EPYC machine the 14-word `en_mfa_words` scores
/// 28.6 % (one "word" too many, "aligner" as "a liner") where other machines gave under 25 %,
/// with the same code and model; the bound leaves room for that.
const CLIP_WER_BOUND: f64 = 0.3;
const AGGREGATE_WER_BOUND: f64 = 0.18;

#[test]
fn english_clips_are_transcribed_within_the_wer_bound() {
    let clips: Vec<_> = fixtures()
        .into_iter()
        .filter(|f| f.kind == "clip" && f.language == "en")
        .collect();
    assert!(
        clips.len() >= 5,
        "expected the English clips of the fixture manifest"
    );
    let (mut errors, mut words) = (0.0, 0usize);
    let mut report = String::new();
    for clip in &clips {
        let hypothesis =
            verbatim_ok(&["transcribe", clip.wav.to_str().unwrap(), "--format", "txt"]);
        let reference = clip.reference();
        let rate = wer(&reference, &hypothesis);
        let n = reference.split_whitespace().count();
        report.push_str(&format!(
            "{:<40} WER {:>5.1}%  ({n} words)\n",
            clip.name,
            rate * 100.0
        ));
        assert!(
            rate <= CLIP_WER_BOUND,
            "{}: WER {rate:.3}\nref: {reference}\nhyp: {hypothesis}",
            clip.name
        );
        errors += rate * n as f64;
        words += n;
    }
    let aggregate = errors / words as f64;
    eprintln!(
        "{report}aggregate WER {:.1}% over {words} words",
        aggregate * 100.0
    );
    assert!(
        aggregate <= AGGREGATE_WER_BOUND,
        "aggregate WER {aggregate:.3}\n{report}"
    );
}

#[test]
fn every_container_format_decodes_and_transcribes() {
    let formats: Vec<_> = fixtures()
        .into_iter()
        .filter(|f| f.kind == "format")
        .collect();
    let extensions: Vec<String> = formats
        .iter()
        .map(|f| {
            f.wav
                .file_name()
                .unwrap()
                .to_string_lossy()
                .split_once('.')
                .unwrap()
                .1
                .to_string()
        })
        .collect();
    for wanted in [
        "wav",
        "mp3",
        "flac",
        "aac",
        "vorbis.ogg",
        "opus.ogg",
        "m4a",
        "mp4",
        "amr",
        "mp2",
        "mpg",
    ] {
        assert!(
            extensions.iter().any(|e| e == wanted),
            "no {wanted} fixture in {extensions:?}"
        );
    }
    for file in &formats {
        let json = verbatim_json(&["transcribe", file.wav.to_str().unwrap(), "--format", "json"]);
        let text = json_words(&json).join(" ");
        let rate = wer(&file.reference(), &text);
        eprintln!("{:<48} WER {:>5.1}%", file.name, rate * 100.0);
        // AMR-NB is 8 kHz telephone quality: allow it more.
        let bound = if file.name.ends_with(".amr") {
            0.4
        } else {
            CLIP_WER_BOUND
        };
        assert!(rate <= bound, "{}: WER {rate:.3}: {text}", file.name);
    }
}

#[test]
fn json_has_the_speechmatics_shape_with_aligned_words() {
    let clip = fixture("en_two_cities");
    let json = verbatim_json(&["transcribe", clip.wav.to_str().unwrap(), "--format", "json"]);
    assert_eq!(json["format"], "2.9");
    assert_eq!(json["metadata"]["type"], "transcription");
    assert_eq!(
        json["metadata"]["language_pack_info"]["language_description"],
        "English"
    );
    let results = json["results"].as_array().unwrap();
    let mut last_start = 0.0;
    let (mut words, mut punctuation) = (0, 0);
    for r in results {
        let start = r["start_time"].as_f64().unwrap();
        let end = r["end_time"].as_f64().unwrap();
        let alt = &r["alternatives"][0];
        assert!(
            start >= last_start - 1e-6 && end >= start,
            "times out of order: {r}"
        );
        assert!(end <= 44.5, "time past the end of the audio: {r}");
        let confidence = alt["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&confidence), "{r}");
        assert_eq!(alt["speaker"], "UU");
        assert_eq!(alt["language"], "en");
        match r["type"].as_str().unwrap() {
            "word" => words += 1,
            "punctuation" => {
                punctuation += 1;
                assert_eq!(start, end);
                assert!(
                    r["attaches_to"].is_string() && r["is_eos"].is_boolean(),
                    "{r}"
                );
            }
            other => panic!("unexpected result type {other}"),
        }
        last_start = start;
    }
    assert!(
        words > 80 && punctuation > 5,
        "{words} words, {punctuation} punctuation marks"
    );
    // The reading starts after about half a second of silence: aligned times show it.
    assert!(results[0]["start_time"].as_f64().unwrap() > 0.2);
}

#[test]
fn sixty_seconds_of_silence_yield_no_words() {
    let dir = tempfile::tempdir().unwrap();
    let silence = dir.path().join("silence.wav");
    let status = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "anullsrc=r=16000:cl=mono",
            "-t",
            "60",
        ])
        .arg(&silence)
        .status()
        .unwrap();
    assert!(status.success());
    let json = verbatim_json(&["transcribe", silence.to_str().unwrap(), "--format", "json"]);
    assert_eq!(json["results"].as_array().unwrap().len(), 0, "{json}");
}

#[test]
fn bad_input_fails_with_a_clear_message_and_no_panic() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(fixture("en_sense_and_sensibility_0870.mp3").wav).unwrap();
    let wav = std::fs::read(fixture("en_sense_and_sensibility_0870.wav").wav).unwrap();
    let mut random = vec![0u8; 64 * 1024];
    let mut x: u32 = 0x1234_5678;
    for b in random.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    let mut lying_wav = wav[..44].to_vec(); // a RIFF/WAVE header followed by mp3 frames
    lying_wav.extend_from_slice(&good);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty.wav", vec![]),
        ("random.mp3", random),
        (
            "text.wav",
            b"this is not audio at all, just a text file\n".repeat(100),
        ),
        ("truncated.wav", wav[..30].to_vec()),
        ("lying.wav", lying_wav),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = verbatim(&["transcribe", path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{name} was accepted: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(
            stderr.starts_with("error: cannot decode"),
            "{name}: {stderr}"
        );
        assert!(
            stderr.lines().count() <= 3,
            "{name}: not a short message: {stderr}"
        );
    }
    let missing = verbatim(&["transcribe", "/nonexistent/file.wav"]);
    assert!(!missing.status.success());
}

#[test]
fn a_file_named_wav_that_holds_mp3_is_decoded_by_its_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("actually-mp3.wav");
    std::fs::copy(fixture("en_sense_and_sensibility_0870.mp3").wav, &path).unwrap();
    let out = verbatim(&["transcribe", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rate = wer(
        &fixture("en_sense_and_sensibility_0870.mp3").reference(),
        &String::from_utf8_lossy(&out.stdout),
    );
    assert!(rate <= CLIP_WER_BOUND, "WER {rate}");
}

#[test]
fn output_dir_gets_all_four_formats_and_subtitles_obey_the_line_options() {
    let dir = tempfile::tempdir().unwrap();
    let clip = fixture("en_sonnet_001");
    let out = verbatim(&[
        "transcribe",
        clip.wav.to_str().unwrap(),
        "--output-dir",
        dir.path().to_str().unwrap(),
        "--max-line-length",
        "20",
        "--max-lines",
        "1",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    for ext in ["json", "txt", "srt", "vtt"] {
        let path = dir.path().join(format!("en_sonnet_001.{ext}"));
        assert!(
            std::fs::metadata(&path)
                .map(|m| m.len() > 0)
                .unwrap_or(false),
            "{path:?}"
        );
    }
    let srt = std::fs::read_to_string(dir.path().join("en_sonnet_001.srt")).unwrap();
    let mut cues = 0;
    for block in srt.trim().split("\n\n") {
        let lines: Vec<&str> = block.lines().collect();
        assert!(lines[1].contains(" --> "), "{block}");
        assert_eq!(lines.len(), 3, "one text line per cue: {block}");
        assert!(lines[2].chars().count() <= 20, "line too long: {block}");
        cues += 1;
    }
    assert!(cues > 10);
    let vtt = std::fs::read_to_string(dir.path().join("en_sonnet_001.vtt")).unwrap();
    assert!(vtt.starts_with("WEBVTT"));
}

#[test]
fn models_list_shows_the_installed_models() {
    let out = Command::new(env!("CARGO_BIN_EXE_verbatim"))
        .args(["models", "list", "--models-dir"])
        .arg(models_dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("tiny.en") && stdout.contains("English"),
        "{stdout}"
    );
    assert!(
        stdout.contains("base") && stdout.contains("multilingual"),
        "{stdout}"
    );
}

#[test]
fn an_unknown_model_is_a_clear_error() {
    let clip = fixture("en_mfa_words");
    let out = verbatim(&[
        "transcribe",
        clip.wav.to_str().unwrap(),
        "--model",
        "no-such-model",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no-such-model") && stderr.contains("tiny.en"),
        "{stderr}"
    );
}

fn json_words(json: &serde_json::Value) -> Vec<String> {
    json["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "word")
        .map(|r| {
            r["alternatives"][0]["content"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}
