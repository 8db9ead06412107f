//! Prints the voice embedding (256 numbers, one per line) of a 16 kHz mono WAV, for checking the
//! Rust encoder against a reference implementation (scripts/check-diarize-parity.py).
//! Usage: cargo run --release -p diarize --example embed -- MODEL IN.wav

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 2 {
        eprintln!("usage: embed MODEL IN.wav");
        std::process::exit(2);
    }
    let d = diarize::SpeakerDiarizer::load(std::path::Path::new(&args[0])).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1)
    });
    let audio = audio::decode(std::path::Path::new(&args[1]), audio::ChannelMode::Mix)
        .unwrap_or_else(|e| {
            eprintln!("{}: {e}", args[1]);
            std::process::exit(1)
        });
    for v in d.embed_utterance(&audio.channels[0]) {
        println!("{v}");
    }
}
