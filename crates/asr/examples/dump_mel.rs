//! Writes the log-mel features of a 16 kHz mono 16-bit WAV as raw little-endian f32
//! (n_mels rows x content frames), window by window as the engine computes them, for
//! comparison with faster-whisper's FeatureExtractor (see tests/mel_parity.rs).
//! `cargo run --release -p asr --example dump_mel -- FILE.wav OUT.f32 [N_MELS]`

use asr::whisper::mel::{MelExtractor, WINDOW_FRAMES};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        return Err("usage: dump_mel FILE.wav OUT.f32 [N_MELS]".into());
    }
    let n_mels: usize = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(80);
    let samples: Vec<f32> = hound::WavReader::open(&args[1])?
        .samples::<i16>()
        .map(|s| s.map(|v| v as f32 / 32768.0))
        .collect::<Result<_, _>>()?;
    let mel = MelExtractor::new(n_mels);
    let log_max = mel.log_max(&samples);
    let frames = MelExtractor::content_frames(&samples);
    let mut out = vec![0f32; n_mels * frames];
    let mut start = 0;
    while start < frames {
        let n = WINDOW_FRAMES.min(frames - start);
        let w = mel.window(&samples, start, n, log_max);
        for m in 0..n_mels {
            out[m * frames + start..m * frames + start + n]
                .copy_from_slice(&w[m * WINDOW_FRAMES..m * WINDOW_FRAMES + n]);
        }
        start += n;
    }
    let bytes: Vec<u8> = out.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(&args[2], bytes)?;
    println!("{n_mels} x {frames}");
    Ok(())
}
