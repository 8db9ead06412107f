//! Renders a short realistic two-speaker transcript in every format, to read the output:
//! `cargo run --release -p transcript --example sample [json|txt|srt|vtt]`.

use transcript::{render, CueOptions, Format, JsonMeta, Transcript, Word};

const SCRIPT: &[(&str, &str)] = &[
    ("S1", "Good morning, everyone. Thanks for joining the call today; we have a lot to cover, so let's get started."),
    ("S1", "First, the U.S. launch: it's been pushed to March 3.5... well, roughly the first week of March."),
    ("S2", "Sorry, quick question. Does that affect the \"well-known\" partner programme?"),
    ("S1", "No."),
    ("S1", "Pneumonoultramicroscopicsilicovolcanoconiosis is the longest word I know, and it's not relevant!"),
];

fn main() {
    let format: Format = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "srt".into())
        .parse()
        .unwrap_or(Format::Srt);
    let mut words = Vec::new();
    let mut t = 0.4;
    for (turn, (speaker, line)) in SCRIPT.iter().enumerate() {
        for (i, w) in line.split(' ').enumerate() {
            // Whisper-style: leading space, punctuation glued; a pause after each sentence.
            let len = 0.12 + 0.04 * w.chars().count() as f64;
            words.push(Word {
                text: format!(" {w}"),
                start: t,
                end: t + len,
                confidence: 0.8 + 0.02 * (i % 10) as f32,
                speaker: Some(speaker.to_string()),
                channel: None,
            });
            t += len
                + if w.ends_with(['.', '?', '!']) {
                    0.5
                } else {
                    0.08
                };
        }
        t += if turn == 2 { 2.5 } else { 0.3 };
    }
    let tr = Transcript::new("en", t + 1.0, words);
    let meta = JsonMeta::new(
        "jobsample",
        "2026-11-29T03:00:00Z",
        "sample.wav",
        serde_json::json!({"language": "en", "diarization": "speaker"}),
    );
    print!("{}", render(&tr, format, &meta, &CueOptions::default()));
}
