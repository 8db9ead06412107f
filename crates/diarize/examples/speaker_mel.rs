//! Writes the voice encoder's mel frames of a 16 kHz mono WAV as raw little-endian f32
//! `[frames][40]`, for comparison with librosa (scripts/check-diarize-mel.py).
//! Usage: cargo run --release -p diarize --example speaker_mel -- IN.wav OUT.f32

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: speaker_mel IN.wav OUT.f32");
        std::process::exit(2);
    }
    let decoded = match audio::decode(std::path::Path::new(&args[1]), audio::ChannelMode::Mix) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{}: {e}", args[1]);
            std::process::exit(1);
        }
    };
    let mel = diarize::mel_spectrogram(&decoded.channels[0]);
    let bytes: Vec<u8> = mel.iter().flatten().flat_map(|v| v.to_le_bytes()).collect();
    if let Err(e) = std::fs::write(&args[2], bytes) {
        eprintln!("{}: {e}", args[2]);
        std::process::exit(1);
    }
    println!("{} frames", mel.len());
}
