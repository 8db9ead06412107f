//! Probes and decodes a file, printing what was found and how long it took; used by the
//! memory/speed bench (`bench/audio-decode.sh`).
//!
//! Usage: `cargo run --release -p audio --example decode -- FILE [mix|split|stream]`

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next().map(PathBuf::from) else {
        eprintln!("usage: decode FILE [mix|split|stream]");
        std::process::exit(2);
    };
    let mode = args.next().unwrap_or_else(|| "mix".into());
    let started = Instant::now();
    match audio::probe(&path) {
        Ok(p) => println!("probe: {p:?} ({:.2} s)", started.elapsed().as_secs_f64()),
        Err(e) => {
            println!("probe error: {e}");
            std::process::exit(1);
        }
    }
    let started = Instant::now();
    let result = match mode.as_str() {
        "stream" => {
            // Windows of 30 s, as an engine would take them; nothing is kept.
            let mut samples = 0usize;
            audio::decode_stream(&path, audio::ChannelMode::Mix, 30.0, |chunk| {
                samples += chunk[0].len();
                ControlFlow::Continue(())
            })
            .map(|p| format!("streamed {samples} samples at 16 kHz; {p:?}"))
        }
        "split" | "mix" => {
            let channel_mode = if mode == "split" {
                audio::ChannelMode::Split
            } else {
                audio::ChannelMode::Mix
            };
            audio::decode(&path, channel_mode).map(|d| {
                let lens: Vec<usize> = d.channels.iter().map(Vec::len).collect();
                format!(
                    "decoded channels of {lens:?} samples at 16 kHz; {:?}",
                    d.probe
                )
            })
        }
        other => {
            eprintln!("unknown mode {other}");
            std::process::exit(2);
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    match result {
        Ok(text) => println!("{text} ({seconds:.2} s)"),
        Err(e) => {
            println!("decode error: {e}");
            std::process::exit(1);
        }
    }
}
