//! transcription_config options through `verbatim transcribe` on real speech: each test fails
//! when its option is ignored (the CLI runs the same option code as API jobs: worker::recognition).

use crate::common::{
    assert_five_dollars, entities, fixtures_dir, verbatim, verbatim_json, verbatim_ok, wer,
};
use serde_json::Value;

fn clip(name: &str) -> String {
    fixtures_dir()
        .join("clips")
        .join(format!("{name}.wav"))
        .to_string_lossy()
        .into_owned()
}

fn words_of(json: &Value) -> String {
    json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["alternatives"][0]["content"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join(" ")
}

/// base scores about 20–30 % on these MLS / NST clips (measured: es 0.27); broken language
/// handling (English decoding of Spanish) scores far above the bound.
const NON_ENGLISH_WER_BOUND: f64 = 0.45;

#[test]
fn auto_detects_spanish_and_swedish_and_reports_it() {
    for (name, lang) in [
        ("es_mls_13697_11991_000000", "es"),
        ("sv_nst_u0016003", "sv"),
        ("sv_nst_u0016004", "sv"),
    ] {
        let json: Value = verbatim_json(&[
            "transcribe",
            &clip(name),
            "--format",
            "json",
            "--language",
            "auto",
        ]);
        assert_eq!(
            json["results"][0]["alternatives"][0]["language"], lang,
            "{name}"
        );
        let reference =
            std::fs::read_to_string(fixtures_dir().join("clips").join(format!("{name}.txt")))
                .unwrap();
        let rate = wer(
            &reference,
            &verbatim_ok(&["transcribe", &clip(name), "--language", lang]),
        );
        eprintln!("{name}: WER {:.1}%", rate * 100.0);
        assert!(rate <= NON_ENGLISH_WER_BOUND, "{name}: WER {rate:.3}");
    }
}

#[test]
fn english_is_detected_and_a_forced_language_is_used() {
    let json: Value = verbatim_json(&[
        "transcribe",
        &clip("en_two_cities"),
        "--format",
        "json",
        "--language",
        "auto",
    ]);
    assert_eq!(json["results"][0]["alternatives"][0]["language"], "en");
    // Forcing Spanish on Spanish speech with the English-only default model moves to the
    // multilingual one and reports the forced language.
    let json: Value = verbatim_json(&[
        "transcribe",
        &clip("es_mls_13697_11991_000000"),
        "--format",
        "json",
        "--language",
        "es",
    ]);
    assert_eq!(json["results"][0]["alternatives"][0]["language"], "es");
    assert!(words_of(&json).contains("disgusto"));
}

#[test]
fn unknown_language_and_bad_options_are_errors() {
    for (args, message) in [
        (vec!["--language", "xx"], "Unsupported language: xx"),
        (
            vec!["--operating-point", "best"],
            "invalid value 'best' for '--operating-point",
        ),
        (
            vec!["--additional-vocab", "[{\"content\": \"\"}]"],
            "additional_vocab[0].content",
        ),
        // Speaker settings are checked as an API job's are, with the same messages.
        (
            vec!["--diarization", "speaker", "--max-speakers", "1"],
            "transcription_config.speaker_diarization_config.max_speakers must be an integer between 2 and 100",
        ),
        (
            vec!["--diarization", "speaker", "--speaker-sensitivity", "1.5"],
            "transcription_config.speaker_diarization_config.speaker_sensitivity must be a number between 0 and 1",
        ),
    ] {
        let mut all = vec!["transcribe", "--format", "txt"];
        let c = clip("en_two_cities");
        all.push(&c);
        all.extend(args);
        let out = verbatim(&all);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(message), "{all:?}: {err}");
    }
}

/// base hears the name "Wentworth" in this Spanish clip as "buen worth"; with the vocabulary it
/// comes out right. (Measured: the prompt alone already fixes it here; the `sounds_like`
/// rewrite is pinned by `enable_entities_and_locale_reach_the_output` and transcript::vocab.)
#[test]
fn additional_vocab_fixes_a_misheard_name() {
    let c = clip("es_mls_13697_11991_000000");
    let plain = verbatim_ok(&["transcribe", &c, "--language", "es"]);
    assert!(!plain.contains("Wentworth"), "{plain}");
    let vocab = r#"[{"content": "Wentworth", "sounds_like": ["buen worth", "wen worth"]}]"#;
    let fixed: Value = verbatim_json(&[
        "transcribe",
        &c,
        "--language",
        "es",
        "--format",
        "json",
        "--additional-vocab",
        vocab,
    ]);
    let hit = fixed["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["alternatives"][0]["content"] == "Wentworth");
    let hit = hit.unwrap_or_else(|| panic!("{}", words_of(&fixed)));
    assert!(hit["end_time"].as_f64().unwrap() > hit["start_time"].as_f64().unwrap());
}

#[test]
fn channel_diarization_labels_and_separates_channels() {
    let stereo = fixtures_dir()
        .join("speakers")
        .join("two_speakers_stereo.wav")
        .to_string_lossy()
        .into_owned();
    let json: Value = verbatim_json(&[
        "transcribe",
        &stereo,
        "--format",
        "json",
        "--diarization",
        "channel",
        "--language",
        "en",
    ]);
    let channels: std::collections::BTreeSet<&str> = json["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["channel"].as_str())
        .collect();
    assert_eq!(
        channels.into_iter().collect::<Vec<_>>(),
        ["channel_1", "channel_2"]
    );
    let txt = verbatim_ok(&[
        "transcribe",
        &stereo,
        "--diarization",
        "channel",
        "--language",
        "en",
    ]);
    assert!(
        txt.contains("Channel 1: ") && txt.contains("Channel 2: "),
        "{txt}"
    );
    // Without the option the channels are mixed and nothing is labelled.
    let json: Value = verbatim_json(&[
        "transcribe",
        &stereo,
        "--format",
        "json",
        "--language",
        "en",
    ]);
    assert!(json["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r.get("channel").is_none()));
}

/// Reference turns of the two-speaker fixture (written by scripts/fetch-test-data.sh).
fn speaker_turns() -> Vec<testkit::der::Turn> {
    let tsv = std::fs::read_to_string(
        fixtures_dir()
            .join("speakers")
            .join("two_speakers.turns.tsv"),
    )
    .unwrap();
    testkit::der::parse_turns(&tsv).unwrap()
}

/// Two real speakers taking turns (6 turns, A B A B A B, 62.7 s; A: the MFA corpus author, B: a
/// LibriVox reader). With `--diarization speaker` the words carry S1/S2 found from the voices
/// (on the recogniser's own word times), the txt is a labelled paragraph per change, and the
/// diarization error rate is measured and printed; without it every word is "UU" and the txt
/// carries no labels.
#[test]
fn speaker_diarization_tells_two_voices_apart() {
    let wav = fixtures_dir()
        .join("speakers")
        .join("two_speakers_turns.wav")
        .to_string_lossy()
        .into_owned();
    // Every format from one run each (62.7 s of speech).
    let outputs = |extra: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_string_lossy().into_owned();
        verbatim_ok(
            &[
                &["transcribe", wav.as_str(), "--output-dir", d.as_str()][..],
                extra,
            ]
            .concat(),
        );
        let read = |ext: &str| {
            std::fs::read_to_string(dir.path().join(format!("two_speakers_turns.{ext}"))).unwrap()
        };
        (
            serde_json::from_str::<Value>(&read("json")).unwrap(),
            read("txt"),
            read("srt"),
        )
    };
    let (json, txt, srt) = outputs(&["--diarization", "speaker"]);
    let words = transcript::word_results(&json);
    testkit::der::assert_two_voices(&words);

    let reference = speaker_turns();
    let per_turn: Vec<(usize, usize)> = testkit::der::labels_per_turn(&reference, &words)
        .iter()
        .map(|counts| {
            (
                counts.get("S1").copied().unwrap_or(0),
                counts.get("S2").copied().unwrap_or(0),
            )
        })
        .collect();
    let der = testkit::der::diarization_error_rate_with_collar(
        &reference,
        &words,
        testkit::der::COLLAR_S,
    );
    eprintln!(
        "two_speakers_turns via `verbatim transcribe --diarization speaker` (tiny.en word times, 0.25 s collar): DER {:.1}% \
         (confusion {:.1}%, missed {:.1}%, false alarm {:.1}%); (S1, S2) words per turn {per_turn:?}",
        der.total() * 100.0,
        der.confusion * 100.0,
        der.missed * 100.0,
        der.false_alarm * 100.0
    );
    // Most words of each of A's turns are S1 and of each of B's turns S2 (A's later turns were
    // recorded in another session). At least twice as many: CTranslate2's kernels differ by CPU,
    // and on an AMD EPYC machine A's third turn came out (13, 5) with the same code and model
    // (other machines: more than 3 to 1); a diarizer that cannot tell the voices apart is near
    // 1 to 1.
    let mostly = |(s1, s2): (usize, usize), label: &str| {
        if label == "S1" {
            s1 > 2 * s2
        } else {
            s2 > 2 * s1
        }
    };
    assert!(
        [0, 2, 4].iter().all(|&a| mostly(per_turn[a], "S1")),
        "{per_turn:?}"
    );
    assert!(
        [1, 3, 5].iter().all(|&b| mostly(per_turn[b], "S2")),
        "{per_turn:?}"
    );
    assert!(
        der.confusion < SPEAKER_CONFUSION_BOUND && der.total() < SPEAKER_DER_BOUND,
        "{der:?}"
    );

    let paragraphs: Vec<&str> = txt.trim_end().split("\n\n").collect();
    assert!(
        paragraphs
            .iter()
            .all(|p| p.starts_with("S1: ") || p.starts_with("S2: ")),
        "{txt}"
    );
    assert!(paragraphs.iter().any(|p| p.starts_with("S2: ")), "{txt}");
    // No subtitle cue holds words of two speakers.
    testkit::der::assert_no_cue_spans_speakers(&srt, &words);

    // Without the option: one anonymous speaker, no labels.
    let (plain, txt, _) = outputs(&[]);
    assert!(transcript::word_results(&plain)
        .iter()
        .all(|w| w.speaker.as_deref() == Some("UU")));
    assert!(!txt.contains("S1: ") && !txt.contains("UU: "), "{txt}");
}

/// Measured (tiny.en word times, 0.25 s collar, as the worker's pipeline test): DER 18.0 % =
/// confusion 0.7 % + missed 16.9 % (pauses of over a second between words inside turns: the
/// recogniser's timing) + false alarm 0.4 %. Bounds with margin.
const SPEAKER_CONFUSION_BOUND: f64 = 0.05;
const SPEAKER_DER_BOUND: f64 = 0.25;

/// Without the speaker model, `--diarization speaker` still prints the transcript, every word
/// `UU`, after a warning that names the install command.
#[test]
fn speaker_diarization_without_its_model_still_transcribes() {
    let models = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(testkit::models_dir()).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() != "campplus" {
            std::os::unix::fs::symlink(entry.path(), models.path().join(entry.file_name()))
                .unwrap();
        }
    }
    let c = clip("en_sense_and_sensibility_0870");
    let dir = models.path().to_string_lossy().into_owned();
    let out = verbatim(&[
        "transcribe",
        &c,
        "--format",
        "json",
        "--diarization",
        "speaker",
        "--models-dir",
        &dir,
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("speaker diarization is not available")
            && err.contains("scripts/install-models.sh"),
        "{err}"
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let words = transcript::word_results(&json);
    assert!(words.len() > 5, "the transcript is there");
    assert!(words.iter().all(|w| w.speaker.as_deref() == Some("UU")));
}

/// This Swedish clip counts "en två tre… åtta"; the engine writes digits, which become
/// cardinal entities with the spoken word's times, only when asked.
#[test]
fn enable_entities_marks_spoken_numbers() {
    let c = clip("sv_nst_u0016002");
    let with: Value = verbatim_json(&[
        "transcribe",
        &c,
        "--language",
        "sv",
        "--format",
        "json",
        "--enable-entities",
    ]);
    let found = entities(&with);
    assert!(found.len() >= 6, "{}", words_of(&with));
    assert!(found.iter().all(|e| e["entity_class"] == "cardinal"
        && e["spoken_form"].as_array().is_some_and(|s| !s.is_empty())));
    let without: Value = verbatim_json(&["transcribe", &c, "--language", "sv", "--format", "json"]);
    assert!(entities(&without).is_empty());
}

#[test]
fn enable_entities_and_locale_reach_the_output() {
    // The sonnet says "From fairest creatures we desire increase"; the vocabulary turns a real
    // recognised word into a value so the entity and spelling passes see real timed words.
    let c = clip("en_sonnet_001");
    let vocab = r#"[{"content": "$5", "sounds_like": ["increase"]}, {"content": "color", "sounds_like": ["fairest"]}]"#;
    let base = [
        "transcribe",
        c.as_str(),
        "--language",
        "en",
        "--format",
        "json",
        "--additional-vocab",
        vocab,
    ];
    let with: Value = verbatim_json(
        &[
            &base[..],
            &["--enable-entities", "--output-locale", "en-GB"],
        ]
        .concat(),
    );
    assert_five_dollars(&with);
    assert!(words_of(&with).contains("colour"), "{}", words_of(&with));
    let without: Value = verbatim_json(&base);
    assert!(entities(&without).is_empty());
    assert!(words_of(&without).contains("color"));
    let srt = verbatim_ok(
        &[
            &base[..4],
            &[
                "--format",
                "srt",
                "--additional-vocab",
                vocab,
                "--output-locale",
                "en-GB",
            ],
        ]
        .concat(),
    );
    assert!(srt.contains("colour"), "{srt}");
}

/// An operating point's compute type that CTranslate2 does not know would fail every job that
/// loads the model, so `serve` refuses it at start-up and names the variable. (Ignored, the
/// server would keep running and the wait below would time out.)
#[test]
fn an_unknown_compute_type_stops_serve_at_start_up() {
    let data = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_verbatim"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
            data.path().to_str().unwrap(),
        ])
        .env("VERBATIM_MODELS_DIR", crate::common::models_dir())
        .env("VERBATIM_COMPUTE_TYPE_ENHANCED", "int3")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().ok();
            panic!("serve kept running with VERBATIM_COMPUTE_TYPE_ENHANCED=int3");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success());
    assert!(
        stderr.contains("VERBATIM_COMPUTE_TYPE_ENHANCED") && stderr.contains("int3"),
        "{stderr}"
    );
}
