//! Replays the fuzz seed corpus and every past fuzz finding (`fuzz/corpus/audio/`,
//! `fuzz/regressions/`) through what the afl target does, without afl: errors are fine, a
//! panic fails the test and names the file. Unlike the fuzz target this keeps ffmpeg, so the
//! fallback paths see the inputs too. It runs in a process of its own, under the fuzzer's
//! memory cap: an input that exhausts memory aborts that process (and fails the test), whose
//! output shows which file it was replaying.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use audio::{ChannelMode, Settings};

// The fuzz target's own code, included rather than copied so the two cannot drift apart.
#[path = "../../../../fuzz/src/exercise.rs"]
mod exercise;

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "md"))
        .collect();
    files.sort();
    files
}

/// The fuzzer's memory cap (`-m 4096`): a few-KB file that makes a decoder reserve gigabytes is
/// a finding, and must abort here as it did there rather than lean on the machine's overcommit.
#[cfg(target_os = "linux")]
fn cap_memory() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    unsafe {
        if libc::getrlimit(libc::RLIMIT_AS, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max.min(4 << 30);
            libc::setrlimit(libc::RLIMIT_AS, &limit);
        }
    }
}

#[test]
fn fuzz_corpus_and_regressions_do_not_panic() {
    // The cap is the whole process's: the other tests of this binary must not share it.
    if !testkit::own_process::here(module_path!(), "fuzz_corpus_and_regressions_do_not_panic") {
        return;
    }
    #[cfg(target_os = "linux")]
    cap_memory();
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let corpus = inputs(&fuzz.join("corpus/audio"));
    assert!(!corpus.is_empty(), "the seed corpus is missing");
    let files = corpus.into_iter().chain(inputs(&fuzz.join("regressions")));
    let failed: Vec<String> = files
        .filter(|path| {
            // Shown with the test's captured output, just before that file's panic message.
            eprintln!("replaying {}", path.display());
            catch_unwind(AssertUnwindSafe(|| {
                exercise::exercise(
                    path,
                    &[ChannelMode::Mix, ChannelMode::Split],
                    &Settings::default(),
                )
            }))
            .is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(failed.is_empty(), "panicked on: {failed:#?}");
}
