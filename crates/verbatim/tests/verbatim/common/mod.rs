//! What the integration tests share: the real-speech fixtures, the models, running the binary.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

pub use testkit::{fixtures_dir, models_dir, repo_root};

/// One row of tests/fixtures/cache/manifest.tsv.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub name: String,
    pub wav: PathBuf,
    pub duration_s: f64,
    pub reference_path: PathBuf,
    pub language: String,
    pub kind: String,
}

impl Fixture {
    pub fn reference(&self) -> String {
        std::fs::read_to_string(&self.reference_path).unwrap()
    }
}

/// A program of one of the tests' virtual environments (`tests/.venv-*`, made by the install
/// script that `scripts/test.sh` runs), or the one `override_var` names.
pub fn venv_tool(override_var: &str, in_repo: &str, install_script: &str) -> PathBuf {
    let tool = std::env::var_os(override_var)
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(in_repo));
    assert!(
        tool.exists(),
        "{} is missing: run {install_script} (scripts/test.sh does)",
        tool.display()
    );
    tool
}

pub fn fixtures() -> Vec<Fixture> {
    let dir = fixtures_dir();
    let manifest = dir.join("manifest.tsv");
    let text = std::fs::read_to_string(&manifest).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run scripts/fetch-test-data.sh)",
            manifest.display()
        )
    });
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            Fixture {
                name: f[0].to_string(),
                wav: dir.join(f[1]),
                duration_s: f[2].parse().unwrap(),
                reference_path: dir.join(f[3]),
                language: f[6].to_string(),
                kind: f[7].to_string(),
            }
        })
        .collect()
}

pub fn fixture(name: &str) -> Fixture {
    fixtures()
        .into_iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no fixture {name}"))
}

/// Runs the verbatim binary with the test models folder.
pub fn verbatim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_verbatim"))
        .args(args)
        .env("VERBATIM_MODELS_DIR", models_dir())
        .env_remove("VERBATIM_MODEL")
        .output()
        .unwrap()
}

/// Runs the verbatim binary and returns its stdout, asserting that it succeeded.
pub fn verbatim_ok(args: &[&str]) -> String {
    let out = verbatim(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// [`verbatim_ok`] of a command that prints a JSON transcript.
pub fn verbatim_json(args: &[&str]) -> Value {
    serde_json::from_str(&verbatim_ok(args)).unwrap()
}

/// The entity results of a JSON transcript.
pub fn entities(transcript: &Value) -> Vec<&Value> {
    transcript["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "entity")
        .collect()
}

/// Asserts the money entity "$5" that the sonnet tests' vocabulary makes of "increase".
pub fn assert_five_dollars(transcript: &Value) {
    let entity = *entities(transcript).first().expect("an entity result");
    assert_eq!(entity["entity_class"], "money");
    assert_eq!(
        entity["written_form"][0]["alternatives"][0]["content"],
        "$5"
    );
}

/// Word error rate with the normalisation of the fixture references.
pub fn wer(reference: &str, hypothesis: &str) -> f64 {
    testkit::wer::word_error_rate(reference, hypothesis)
}
