//! Prints the cosine similarity of whole-utterance voice embeddings between WAV files
//! (CAM++, each file embedded whole), to see how far apart the model puts voices.
//! Usage: cargo run --release -p diarize --example similarity -- MODEL IN.wav IN.wav...

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: similarity MODEL IN.wav IN.wav...");
        std::process::exit(2);
    }
    let d = diarize::SpeakerDiarizer::load(std::path::Path::new(&args[0]), 2).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1)
    });
    let embs: Vec<Vec<f32>> = args[1..]
        .iter()
        .map(
            |p| match audio::decode(std::path::Path::new(p), audio::ChannelMode::Mix) {
                Ok(a) => d.embed_utterance(&a.channels[0]).unwrap_or_else(|e| {
                    eprintln!("{p}: {e}");
                    std::process::exit(1)
                }),
                Err(e) => {
                    eprintln!("{p}: {e}");
                    std::process::exit(1)
                }
            },
        )
        .collect();
    for (i, a) in embs.iter().enumerate() {
        let row: Vec<String> = embs
            .iter()
            .map(|b| format!("{:.3}", a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>()))
            .collect();
        println!(
            "{:<40} {}",
            std::path::Path::new(&args[i + 1])
                .file_name()
                .unwrap()
                .to_string_lossy(),
            row.join(" ")
        );
    }
}
