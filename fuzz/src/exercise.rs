//! The work one fuzz input gets: probe, then a bounded decode mixed and split.
//!
//! Shared by the afl targets and by `crates/audio/tests/audio/fuzz_corpus.rs` (which includes this
//! file by path), so the CI replay runs exactly what the fuzzer ran.

use std::ops::ControlFlow;
use std::path::Path;

use audio::{ChannelMode, Settings, TARGET_SAMPLE_RATE};

/// Chunks of 1 s decoded per mode: enough to get through headers, first frames and the
/// resampler's warm-up, little enough to keep a slow input from looking like a hang.
pub const MAX_CHUNKS: usize = 20;

/// Probes and decodes `path` with `settings` (the fuzzer's point ffmpeg at nothing). Errors
/// are expected and ignored; a panic (including a broken invariant below) is the finding.
pub fn exercise(path: &Path, modes: &[ChannelMode], settings: &Settings) {
    let probed = audio::probe_with(path, settings);
    for &mode in modes {
        let mut chunks = 0;
        let decoded = audio::decode_stream_with(path, mode, 1.0, settings, |chunk| {
            check_chunk(chunk, mode);
            chunks += 1;
            if chunks >= MAX_CHUNKS {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        if let (Ok(p), Ok(d)) = (&probed, &decoded) {
            assert_eq!(
                p.format, d.format,
                "probe and decode disagree on the format"
            );
        }
    }
}

fn check_chunk(chunk: &[Vec<f32>], mode: ChannelMode) {
    assert!(!chunk.is_empty(), "a chunk with no channels");
    if mode == ChannelMode::Mix {
        assert_eq!(
            chunk.len(),
            1,
            "a mixed chunk with {} channels",
            chunk.len()
        );
    }
    let len = chunk[0].len();
    assert!(len > 0, "an empty chunk");
    assert!(
        len <= TARGET_SAMPLE_RATE as usize,
        "a 1 s chunk of {len} frames"
    );
    for channel in chunk {
        assert_eq!(channel.len(), len, "channels of one chunk differ in length");
        // The crate sanitises samples before resampling, so anything non-finite is a bug.
        assert!(channel.iter().all(|s| s.is_finite()), "a non-finite sample");
    }
}
