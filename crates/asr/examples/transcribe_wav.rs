//! Transcribes a 16 kHz mono WAV and prints the words, timing and, given a reference text
//! file, the word error rate. For quick comparisons with faster-whisper:
//! `cargo run --release -p asr --example transcribe_wav -- MODEL_DIR FILE.wav [REF.txt]`
//! Environment: `THREADS`, `COMPUTE_TYPE`, `BEAM_SIZE`, `BATCH_SIZE`, `SKIP_SILENCE=0`, `LANGUAGE`,
//! `QUIET=1`.

use std::time::Instant;

use asr::{Engine, Options, WhisperConfig, WhisperEngine};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        return Err("usage: transcribe_wav MODEL_DIR FILE.wav [REFERENCE.txt]".into());
    }
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let mut config = WhisperConfig::default();
    if let Some(t) = env("THREADS") {
        config.threads = t.parse()?;
    }
    if let Some(c) = env("COMPUTE_TYPE") {
        config.compute_type = c;
    }
    if let Some(b) = env("BEAM_SIZE") {
        config.beam_size = b.parse()?;
    }
    if let Some(b) = env("BATCH_SIZE") {
        config.batch_size = b.parse()?;
    }
    config.skip_silence = env("SKIP_SILENCE").as_deref() != Some("0");

    let mut reader = hound::WavReader::open(&args[2])?;
    let spec = reader.spec();
    if spec.sample_rate != 16_000 || spec.channels != 1 {
        return Err(format!("{}: need 16 kHz mono, got {spec:?}", args[2]).into());
    }
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Int => {
            let scale = (1i64 << (spec.bits_per_sample - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 / scale))
                .collect::<Result<_, _>>()?
        }
        hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>()?,
    };

    let t0 = Instant::now();
    let engine = WhisperEngine::load(std::path::Path::new(&args[1]), &config)?;
    let load_s = t0.elapsed().as_secs_f64();
    let options = Options {
        language: env("LANGUAGE"),
        initial_prompt: env("PROMPT"),
        ..Options::default()
    };
    let t1 = Instant::now();
    let rec = engine.transcribe(&samples, &options, &|_| {})?;
    let run_s = t1.elapsed().as_secs_f64();
    let text: Vec<&str> = rec.words.iter().map(|w| w.text.as_str()).collect();
    let text = text.join(" ");
    if env("QUIET").is_none() {
        for w in &rec.words {
            println!(
                "{:8.2} {:8.2} {:.3} {}",
                w.start, w.end, w.confidence, w.text
            );
        }
    }
    println!("TEXT {text}");
    let audio_s = samples.len() as f64 / 16_000.0;
    println!(
        "language {} ({:.2}) words {} audio {:.1}s load {:.2}s transcribe {:.2}s ({:.1}x realtime) config {:?}",
        rec.language, rec.language_probability, rec.words.len(), audio_s, load_s, run_s, audio_s / run_s, config
    );
    if let Some(reference) = args.get(3) {
        let reference = std::fs::read_to_string(reference)?;
        println!(
            "WER {:.4}",
            testkit::wer::word_error_rate(&reference, &text)
        );
    }
    Ok(())
}
