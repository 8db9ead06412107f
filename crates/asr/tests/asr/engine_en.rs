//! The Whisper engine with the real tiny.en model on real recorded speech.

use std::sync::{Arc, Mutex};

use crate::common::*;
use asr::{AsrError, Engine, Options, SettledWords, WhisperConfig};
use testkit::wer::word_error_rate;

fn transcribe(samples: &[f32]) -> asr::Recognition {
    engine("tiny.en")
        .transcribe(samples, &Options::default(), &|_| {})
        .expect("transcribes")
}

#[test]
fn silence_and_low_noise_give_no_words() {
    for (what, audio) in [("silence", silence(60.0)), ("low noise", noise(60.0, 0.01))] {
        let rec = transcribe(&audio);
        assert!(rec.words.is_empty(), "{what}: {:?}", text(&rec.words));
        assert_eq!(rec.language, "en");
    }
}

/// Without the silence skip, Whisper's own guards (no-speech probability, suppressed
/// non-speech tokens) must keep silence wordless too.
#[test]
fn silence_gives_no_words_without_the_skip() {
    let config = WhisperConfig {
        skip_silence: false,
        ..WhisperConfig::default()
    };
    let rec = engine_with("tiny.en", config)
        .transcribe(&silence(60.0), &Options::default(), &|_| {})
        .unwrap();
    assert!(rec.words.is_empty(), "{:?}", text(&rec.words));
}

#[test]
fn real_speech_is_recognised_with_timed_words() {
    let mut total_errors = 0.0;
    let mut total_words = 0.0;
    for name in [
        "en_sense_and_sensibility_0870",
        "en_sense_and_sensibility_0890",
        "en_librispeech_61-70968-0000",
        "en_mfa_surround",
    ] {
        let audio = wav(&format!("clips/{name}.wav"));
        let reference = reference(&format!("clips/{name}.txt"));
        let rec = transcribe(&audio);
        assert_well_formed(&rec.words, audio.len() as f64 / 16_000.0);
        let wer = word_error_rate(&reference, &text(&rec.words));
        eprintln!("{name}: WER {wer:.3}: {}", text(&rec.words));
        assert!(wer < 0.35, "{name}: WER {wer}: {}", text(&rec.words));
        let n = testkit::wer::normalize(&reference).len() as f64;
        total_errors += wer * n;
        total_words += n;
        // Real confidence, not a constant: most words are confident, not all equally.
        let mean: f32 =
            rec.words.iter().map(|w| w.confidence).sum::<f32>() / rec.words.len() as f32;
        assert!(mean > 0.6, "{name}: mean confidence {mean}");
    }
    let wer = total_errors / total_words;
    assert!(wer < 0.15, "overall WER {wer}");
}

/// Five seconds of silence between two recordings: no word may be placed inside the gap,
/// and the words of the second recording start after it. Evenly spread times would fail.
#[test]
fn word_times_follow_the_audio_across_a_gap() {
    let first = wav("clips/en_sense_and_sensibility_0870.wav");
    let second = wav("clips/en_sense_and_sensibility_0890.wav");
    let gap_start = first.len() as f64 / 16_000.0;
    let gap_end = gap_start + 5.0;
    let audio: Vec<f32> = [first, silence(5.0), second].concat();
    let rec = transcribe(&audio);
    assert_well_formed(&rec.words, audio.len() as f64 / 16_000.0);
    let tolerance = 0.4;
    for w in &rec.words {
        let inside = w.start > gap_start + tolerance && w.start < gap_end - tolerance
            || w.end > gap_start + tolerance && w.end < gap_end - tolerance;
        assert!(!inside, "{w:?} inside the gap {gap_start:.2}..{gap_end:.2}");
    }
    let after: Vec<_> = rec
        .words
        .iter()
        .filter(|w| w.start >= gap_end - tolerance)
        .collect();
    let after_text: Vec<&str> = after.iter().map(|w| w.text.as_str()).collect();
    let wer = word_error_rate(
        &reference("clips/en_sense_and_sensibility_0890.txt"),
        &after_text.join(" "),
    );
    assert!(wer < 0.35, "after the gap: {after_text:?}");
    let before = rec.words.len() - after.len();
    assert!(before >= 15, "only {before} words before the gap");
}

/// A clip repeated past 90 s: several windows, seeking by timestamps; the text repeats and
/// the times keep growing through to the end.
#[test]
fn long_audio_keeps_text_and_times_aligned() {
    let clip = wav("clips/en_mfa_surround.wav");
    let clip_s = clip.len() as f64 / 16_000.0;
    let copies = 8;
    let audio: Vec<f32> = std::iter::repeat_n(clip, copies).flatten().collect();
    let duration = audio.len() as f64 / 16_000.0;
    assert!(duration > 90.0);
    let seen = Mutex::new(Vec::new());
    let rec = engine("tiny.en")
        .transcribe(&audio, &Options::default(), &|f| {
            seen.lock().unwrap().push(f)
        })
        .unwrap();
    assert_well_formed(&rec.words, duration);
    let said = testkit::wer::normalize(&text(&rec.words));
    let montreal = said.iter().filter(|w| w.as_str() == "montreal").count();
    assert!(montreal >= copies - 1, "{montreal} x montreal in {said:?}");
    // Every repetition has words near its own time.
    for i in 0..copies {
        let (from, to) = (i as f64 * clip_s, (i + 1) as f64 * clip_s);
        let n = rec
            .words
            .iter()
            .filter(|w| w.start >= from && w.start < to)
            .count();
        assert!(n >= 8, "copy {i} ({from:.1}..{to:.1} s) has {n} words");
    }
    let progress = seen.into_inner().unwrap();
    assert!(progress.len() >= 4, "{progress:?}");
    assert!(progress.windows(2).all(|p| p[0] <= p[1]), "{progress:?}");
    assert_eq!(progress.last(), Some(&1.0));
}

#[test]
fn english_only_model_takes_english_only() {
    let audio = wav("clips/en_sense_and_sensibility_0890.wav");
    let e = engine("tiny.en");
    let forced = Options {
        language: Some("en".into()),
        ..Options::default()
    };
    let rec = e.transcribe(&audio, &forced, &|_| {}).unwrap();
    assert_eq!(
        (rec.language.as_str(), rec.language_probability),
        ("en", 1.0)
    );
    assert!(!rec.words.is_empty());
    let german = Options {
        language: Some("de".into()),
        ..Options::default()
    };
    match e.transcribe(&audio, &german, &|_| {}) {
        Err(AsrError::UnsupportedLanguage(m)) => assert!(m.contains("de"), "{m}"),
        other => panic!("expected UnsupportedLanguage, got {other:?}"),
    }
    assert!(!e.is_multilingual());
    assert_eq!(e.model_name(), "tiny.en");
}

#[test]
fn initial_prompt_conditions_without_breaking() {
    let audio = wav("clips/en_sense_and_sensibility_0870.wav");
    let options = Options {
        initial_prompt: Some("Mister John Dashwood, a novel by Jane Austen.".into()),
        ..Options::default()
    };
    let rec = engine("tiny.en")
        .transcribe(&audio, &options, &|_| {})
        .unwrap();
    let wer = word_error_rate(
        &reference("clips/en_sense_and_sensibility_0870.txt"),
        &text(&rec.words),
    );
    assert!(wer < 0.2, "{wer}: {}", text(&rec.words));
    // The prompt is context, not output.
    assert!(!text(&rec.words).contains("novel"), "{}", text(&rec.words));
}

#[test]
fn bad_input_never_panics() {
    let e = engine("tiny.en");
    let rec = e.transcribe(&[], &Options::default(), &|_| {}).unwrap();
    assert!(rec.words.is_empty());
    let short = e
        .transcribe(&[0.1, -0.1, 0.05], &Options::default(), &|_| {})
        .unwrap();
    assert!(short.words.is_empty());
    let mut broken = wav("clips/en_sense_and_sensibility_0890.wav");
    for (i, s) in broken.iter_mut().enumerate().step_by(97) {
        *s = match i % 3 {
            0 => f32::NAN,
            1 => f32::INFINITY,
            _ => f32::NEG_INFINITY,
        };
    }
    broken[5] = 1e30;
    let rec = e.transcribe(&broken, &Options::default(), &|_| {}).unwrap();
    assert_well_formed(&rec.words, broken.len() as f64 / 16_000.0);
}

/// Whisper writes "cold-hearted" as " cold" "-" "heart" "ed": one word, one time span, no piece
/// split off behind a space.
#[test]
fn hyphenated_words_are_whole() {
    let rec = transcribe(&wav("clips/en_sense_and_sensibility_0890.wav"));
    let hyphenated: Vec<_> = rec.words.iter().filter(|w| w.text.contains('-')).collect();
    assert!(
        hyphenated
            .iter()
            .any(|w| w.text.to_lowercase().starts_with("cold-heart")),
        "{}",
        text(&rec.words)
    );
    for w in &rec.words {
        assert!(!w.text.contains(char::is_whitespace), "{w:?}");
        assert!(!w.text.starts_with(['-', '\'']), "a piece split off: {w:?}");
    }
    for w in hyphenated {
        assert!(w.end - w.start > 0.2, "one span for the whole word: {w:?}");
    }
}

/// Asserts that the words within each clip's stretch (name, start s, end s) of a recording of
/// clips one after another say that clip (WER under 0.5).
fn each_clip_in_its_span(words: &[transcript::Word], spans: &[(&str, f64, f64)], run: &str) {
    for (name, start, end) in spans {
        let inside: Vec<&str> = words
            .iter()
            .filter(|w| w.start >= start - 0.5 && w.end <= end + 0.5)
            .map(|w| w.text.as_str())
            .collect();
        let wer = word_error_rate(&reference(&format!("clips/{name}.txt")), &inside.join(" "));
        assert!(
            wer < 0.5,
            "{run}: {name} ({start:.1}..{end:.1} s): WER {wer:.2}: {inside:?}"
        );
    }
}

/// Four minutes of several speakers: long enough to be cut into three tracks decoded side by side.
/// Every recording's words land inside its own stretch of time, in order, and the batched
/// decoding is as accurate as one window at a time; split between two lanes it says the same.
#[test]
fn batched_tracks_cover_the_recording_in_order() {
    let names = [
        "en_sonnet_001",
        "en_mfa_acoustic_corpus",
        "en_mfa_cold_corpus",
        "en_sense_and_sensibility_0870",
        "en_sense_and_sensibility_0890",
        "en_sense_and_sensibility_0920",
        "en_mfa_surround",
        "en_librispeech_61-70968-0000",
        "en_sonnet_001",
        "en_mfa_acoustic_corpus",
        "en_mfa_words",
    ];
    let mut audio = Vec::new();
    let mut spans = Vec::new();
    let mut full_reference = String::new();
    for name in names {
        let start = audio.len() as f64 / 16_000.0;
        audio.extend(wav(&format!("clips/{name}.wav")));
        spans.push((name, start, audio.len() as f64 / 16_000.0));
        audio.extend(silence(1.0));
        full_reference.push_str(&reference(&format!("clips/{name}.txt")));
        full_reference.push(' ');
    }
    let duration = audio.len() as f64 / 16_000.0;
    assert!(duration > 200.0, "{duration}");
    let mut wers = Vec::new();
    let mut texts = Vec::new();
    // (windows per batch, threads, lanes)
    for (batch_size, threads, lanes) in [(8, 2, 1), (8, 2, 2), (1, 1, 1)] {
        let run = format!("batch {batch_size}, {lanes} lane(s)");
        let config = WhisperConfig {
            batch_size,
            threads,
            lanes,
            ..WhisperConfig::default()
        };
        let rec = engine_with("tiny.en", config)
            .transcribe(&audio, &Options::default(), &|_| {})
            .unwrap();
        assert_well_formed(&rec.words, duration);
        each_clip_in_its_span(&rec.words, &spans, &run);
        wers.push(word_error_rate(&full_reference, &text(&rec.words)));
        texts.push(text(&rec.words));
    }
    let (batched, in_lanes, sequential) = (wers[0], wers[1], wers[2]);
    eprintln!(
        "WER batched {batched:.3}, in two lanes {in_lanes:.3}, one window at a time {sequential:.3}"
    );
    // The lanes run the same windows through the same model, in smaller beam-search calls,
    // whose arithmetic may differ in the last bits.
    let apart = word_error_rate(&texts[0], &texts[1]);
    assert!(
        apart <= 0.02,
        "two lanes differ from one by {apart:.3}:\n{}\n{}",
        texts[0],
        texts[1]
    );
    assert!(batched < 0.2, "batched WER {batched}");
    assert!(
        batched <= sequential + 0.03,
        "batched {batched} vs {sequential}"
    );
}

/// Audio handed over in pieces, as a decoder gives it, longer than one block of tracks: the
/// recording is recognised block by block, every clip's words in its own stretch, in order.
#[test]
fn streamed_audio_is_recognised_block_by_block() {
    let names = [
        "en_sonnet_001",
        "en_mfa_acoustic_corpus",
        "en_sense_and_sensibility_0870",
        "en_sense_and_sensibility_0890",
        "en_mfa_surround",
        "en_librispeech_61-70968-0000",
        "en_sense_and_sensibility_0920",
    ];
    let mut audio = Vec::new();
    let mut spans = Vec::new();
    // More speech than one block holds (8 tracks of about a minute).
    while audio.len() < 11 * 60 * 16_000 {
        for name in names {
            let start = audio.len() as f64 / 16_000.0;
            audio.extend(wav(&format!("clips/{name}.wav")));
            spans.push((name, start, audio.len() as f64 / 16_000.0));
            audio.extend(silence(0.7));
        }
    }
    let duration = audio.len() as f64 / 16_000.0;
    let mut chunks = audio.chunks(7 * 16_000 + 123).map(|c| Ok(c.to_vec()));
    let seen = Arc::new(Mutex::new(Vec::new()));
    // Each settled word, with how far the recognition had got when it was told.
    let told = Arc::new(Mutex::new(Vec::new()));
    let options = Options {
        settled: Some(SettledWords(Arc::new({
            let (seen, told) = (seen.clone(), told.clone());
            move |words: &[transcript::Word]| {
                let at = seen.lock().unwrap().last().copied().unwrap_or(0.0f32);
                told.lock()
                    .unwrap()
                    .extend(words.iter().map(|w| (at, w.clone())));
            }
        }))),
        ..Options::default()
    };
    let rec = engine("tiny.en")
        .transcribe_stream(&mut chunks, Some(duration), &options, &|f| {
            seen.lock().unwrap().push(f)
        })
        .unwrap();
    assert_well_formed(&rec.words, duration);
    each_clip_in_its_span(&rec.words, &spans, "streamed");
    // The settled words are the recognition's words, in order, each once; most of the first
    // block's first track is told while the rest of the recording is still being decoded.
    let told = std::mem::take(&mut *told.lock().unwrap());
    let told_words: Vec<_> = told.iter().map(|(_, w)| w.clone()).collect();
    assert_eq!(told_words, rec.words);
    let early = told.iter().filter(|(at, _)| *at < 0.25).count();
    assert!(
        early >= 20,
        "only {early} of {} words told before a quarter of the audio was done",
        told.len()
    );
    let progress = std::mem::take(&mut *seen.lock().unwrap());
    assert!(progress.windows(2).all(|p| p[0] <= p[1]), "{progress:?}");
    assert!(
        progress.iter().any(|&f| f > 0.3 && f < 0.9),
        "no progress reported between blocks: {progress:?}"
    );
    assert_eq!(progress.last(), Some(&1.0));
}

/// A decoder that fails part way ends the recognition with its own error, unchanged.
#[test]
fn an_audio_error_while_streaming_is_the_audio_error() {
    #[derive(Debug)]
    struct Truncated;
    impl std::fmt::Display for Truncated {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("the audio data is corrupt or truncated")
        }
    }
    impl std::error::Error for Truncated {}

    let clip = wav("clips/en_mfa_surround.wav");
    let mut chunks = clip
        .chunks(16_000)
        .map(|c| Ok(c.to_vec()))
        .take(5)
        .chain(std::iter::once(Err(Box::new(Truncated) as Box<_>)));
    let err = engine("tiny.en")
        .transcribe_stream(&mut chunks, None, &Options::default(), &|_| {})
        .unwrap_err();
    match err {
        AsrError::Audio(source) => assert!(source.downcast_ref::<Truncated>().is_some()),
        other => panic!("expected the audio's error, got {other:?}"),
    }
}
