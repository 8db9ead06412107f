//! Diarizes a recording with the word times of its transcript, reading the audio as the worker
//! does (a stream of 10 s pieces, opened once per pass), and prints the speakers found, the time
//! taken and, with `RUST_LOG=diarize=debug`, where the time went (model, reading and fbank,
//! clustering). For profiling diarization apart from recognition.
//! Usage: cargo run --release -p diarize --example diarize_file -- MODEL AUDIO TRANSCRIPT.json [THREADS]
//! (TRANSCRIPT.json: json-v2, e.g. `verbatim transcribe AUDIO --format json`).

use std::path::Path;

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: diarize_file MODEL AUDIO TRANSCRIPT.json [THREADS]");
        std::process::exit(2);
    }
    let fail = |what: &str, e: &dyn std::fmt::Display| -> ! {
        eprintln!("{what}: {e}");
        std::process::exit(1)
    };
    let threads = args
        .get(3)
        .map_or(2, |t| t.parse().expect("THREADS is a number"));
    let d = diarize::SpeakerDiarizer::load(Path::new(&args[0]), threads)
        .unwrap_or_else(|e| fail(&args[0], &e));
    let doc: serde_json::Value = std::fs::read(&args[2])
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        .unwrap_or_else(|e| fail(&args[2], &e));
    let mut words: Vec<transcript::Word> = doc["results"]
        .as_array()
        .unwrap_or_else(|| fail(&args[2], &"no results: not json-v2"))
        .iter()
        .filter(|r| r["type"] == "word")
        .map(|r| transcript::Word {
            text: r["alternatives"][0]["content"]
                .as_str()
                .unwrap_or("")
                .into(),
            start: r["start_time"].as_f64().unwrap_or(0.0),
            end: r["end_time"].as_f64().unwrap_or(0.0),
            confidence: 1.0,
            speaker: None,
            channel: None,
        })
        .collect();
    let audio = Path::new(&args[1]);
    let timer = std::time::Instant::now();
    let found = d
        .assign_speakers_streamed(
            || {
                audio::AudioStream::open(audio, audio::ChannelMode::Mix, 10.0)
                    .map(|s| s.map(|piece| piece.map(|mut p| p.pop().unwrap_or_default())))
            },
            &mut words,
            &diarize::DiarizeOptions::default(),
        )
        .unwrap_or_else(|e| fail(&args[1], &e));
    println!(
        "{} words, {found} speakers, {:.2} s",
        words.len(),
        timer.elapsed().as_secs_f64()
    );
}
