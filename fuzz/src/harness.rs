//! What the afl targets share beyond `exercise`: the input file and the ffmpeg switch-off.

use std::path::{Path, PathBuf};

/// Removes the input file when the fuzzer stops the process.
pub struct Guard(PathBuf);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// How the targets read audio: spawning ffprobe/ffmpeg would cost milliseconds an input and
/// explore ffmpeg, not us; a path that does not exist makes the fallback fail fast with
/// MissingTool.
pub fn settings() -> audio::Settings {
    audio::Settings {
        tools: audio::Tools {
            ffprobe: "/nonexistent/verbatim-fuzz/ffprobe".into(),
            ffmpeg: "/nonexistent/verbatim-fuzz/ffmpeg".into(),
        },
        ..audio::Settings::default()
    }
}

pub fn setup() -> (PathBuf, Guard) {
    // The crate reads files by path: one file in RAM per fuzzer, rewritten per input (this runs
    // before the fork server starts, so its forked children share the name).
    let dir = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let path = dir.join(format!("verbatim-fuzz-{}.bin", std::process::id()));
    (path.clone(), Guard(path))
}

pub fn run(path: &Path, data: &[u8], modes: &[audio::ChannelMode], settings: &audio::Settings) {
    std::fs::write(path, data).expect("writing the fuzz input file");
    crate::exercise::exercise(path, modes, settings);
}
