//! Where the repository, the installed models and the real-speech fixtures are.

use std::path::{Path, PathBuf};

/// The repository's root (this crate is `crates/testkit`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root")
}

/// `VERBATIM_MODELS_DIR`, or `models/` (where scripts/install-models.sh puts them).
pub fn models_dir() -> PathBuf {
    match std::env::var_os("VERBATIM_MODELS_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => repo_root().join("models"),
    }
}

/// `VERBATIM_FIXTURES`, or `tests/fixtures/cache` (where scripts/fetch-test-data.sh puts them).
pub fn fixtures_dir() -> PathBuf {
    match std::env::var_os("VERBATIM_FIXTURES") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => repo_root().join("tests/fixtures/cache"),
    }
}

/// A fixture file by its path in the fixtures folder; a missing one fails the test loudly.
pub fn fixture(rel: &str) -> PathBuf {
    let path = fixtures_dir().join(rel);
    assert!(
        path.is_file(),
        "missing fixture {} (run scripts/fetch-test-data.sh)",
        path.display()
    );
    path
}
