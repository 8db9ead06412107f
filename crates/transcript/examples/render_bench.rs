//! Prints how long each renderer takes on a long synthetic transcript (one word per 0.3 s with
//! punctuation and pauses): `cargo run --release -p transcript --example render_bench [words]`.

use std::time::Instant;

use transcript::{render, CueOptions, Format, JsonMeta, Transcript, Word};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50_000);
    let mut t0 = 0.0;
    let words: Vec<Word> = (0..n)
        .map(|i| {
            let text = match i % 17 {
                16 => format!("word{i}."),
                7 => format!("word{i},"),
                _ => format!("word{i}"),
            };
            t0 += if i % 53 == 0 { 1.2 } else { 0.05 };
            let w = Word {
                text,
                start: t0,
                end: t0 + 0.25,
                confidence: 0.9,
                speaker: None,
                channel: None,
            };
            t0 += 0.25;
            w
        })
        .collect();
    let t = Transcript::new("en", t0 + 1.0, words);
    let meta = JsonMeta::new(
        "bench",
        "2026-11-29T00:00:00Z",
        "bench.wav",
        serde_json::Value::Null,
    );
    let opts = CueOptions::default();
    println!("{n} words, {:.0} s of speech", t.duration);
    for f in Format::ALL {
        let start = Instant::now();
        let out = render(&t, f, &meta, &opts);
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{f:>4}: {:8.1} ms  {:9} bytes  {:6.2} M words/s",
            secs * 1e3,
            out.len(),
            n as f64 / secs / 1e6
        );
    }
}
