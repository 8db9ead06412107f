//! `render` dispatches to the per-format renderers, and extreme inputs stay well-behaved.

use crate::common::{generate, Spec};
use transcript::{
    render, to_json, to_srt, to_txt, to_vtt, CueOptions, Format, JsonMeta, Transcript, Word,
};

#[test]
fn render_matches_the_per_format_functions() {
    let g = generate(
        42,
        Spec {
            words: 300,
            speakers: 2,
            channels: 0,
        },
    );
    let meta = JsonMeta::new(
        "job42",
        "2026-11-29T00:00:00Z",
        "a.wav",
        serde_json::Value::Null,
    );
    let opts = CueOptions {
        max_line_length: 30,
        max_lines: 2,
    };
    let t = &g.transcript;
    let json: serde_json::Value =
        serde_json::from_str(&render(t, Format::Json, &meta, &opts)).unwrap();
    assert_eq!(json, to_json(t, &meta));
    assert_eq!(render(t, Format::Txt, &meta, &opts), to_txt(t));
    assert_eq!(render(t, Format::Srt, &meta, &opts), to_srt(t, &opts));
    assert_eq!(render(t, Format::Vtt, &meta, &opts), to_vtt(t, &opts));
    for f in Format::ALL {
        assert!(!render(t, f, &meta, &opts).is_empty());
    }
}

#[test]
fn empty_transcript_in_every_format() {
    let t = Transcript {
        language: "en".into(),
        duration: 0.0,
        words: vec![],
    };
    let meta = JsonMeta::default();
    let opts = CueOptions::default();
    assert_eq!(render(&t, Format::Txt, &meta, &opts), "");
    assert_eq!(render(&t, Format::Srt, &meta, &opts), "");
    assert_eq!(render(&t, Format::Vtt, &meta, &opts), "WEBVTT\n");
    let json: serde_json::Value =
        serde_json::from_str(&render(&t, Format::Json, &meta, &opts)).unwrap();
    assert_eq!(json["results"], serde_json::json!([]));
}

/// 20 000 words without a pause and options allowing everything on one screen: one cue holding
/// all of it, produced without blowing up (the layout is linear in the words).
#[test]
fn huge_options_on_a_long_unbroken_transcript() {
    let words: Vec<Word> = (0..20_000)
        .map(|i| Word {
            text: format!("w{i}"),
            start: i as f64 * 0.2,
            end: i as f64 * 0.2 + 0.2,
            confidence: 0.9,
            speaker: None,
            channel: None,
        })
        .collect();
    let t = Transcript {
        language: "en".into(),
        duration: 4001.0,
        words,
    };
    let cues = transcript::cues(
        &t,
        &CueOptions {
            max_line_length: usize::MAX / 4,
            max_lines: usize::MAX / 4,
        },
    );
    assert_eq!(cues.len(), 1);
    assert_eq!(cues[0].lines.len(), 1);
    let many_lines = transcript::cues(
        &t,
        &CueOptions {
            max_line_length: 10,
            max_lines: 5000,
        },
    );
    assert_eq!(many_lines.len(), 4);
    assert!(many_lines
        .iter()
        .all(|c| c.lines.len() <= 5000 && c.lines.iter().all(|l| l.chars().count() <= 10)));
}
