//! Language detection and forcing with the multilingual base model on real Swedish and
//! Spanish recordings.

use crate::common::*;
use asr::{AsrError, Engine, Options};
use testkit::wer::word_error_rate;

#[test]
fn detects_the_spoken_language() {
    let e = engine("base");
    assert!(e.is_multilingual());
    let audio = wav("clips/sv_nst_u0016004.wav");
    let rec = e.transcribe(&audio, &Options::default(), &|_| {}).unwrap();
    assert_eq!(rec.language, "sv", "{:?}", text(&rec.words));
    assert!(rec.language_probability > 0.5 && rec.language_probability <= 1.0);
    assert_well_formed(&rec.words, audio.len() as f64 / 16_000.0);
    let wer = word_error_rate(&reference("clips/sv_nst_u0016004.txt"), &text(&rec.words));
    assert!(wer < 0.35, "{wer}: {}", text(&rec.words));
}

#[test]
fn forced_language_is_used_and_checked() {
    let e = engine("base");
    let audio = wav("clips/sv_nst_u0016003.wav");
    let forced = Options {
        language: Some("sv".into()),
        ..Options::default()
    };
    let rec = e.transcribe(&audio, &forced, &|_| {}).unwrap();
    assert_eq!(
        (rec.language.as_str(), rec.language_probability),
        ("sv", 1.0)
    );
    assert!(!rec.words.is_empty());
    let unknown = Options {
        language: Some("xx".into()),
        ..Options::default()
    };
    assert!(matches!(
        e.transcribe(&audio, &unknown, &|_| {}),
        Err(AsrError::UnsupportedLanguage(_))
    ));
    assert!(e.languages().contains(&"es"));
}
