//! Helpers of the server integration tests (api_*.rs, fleet.rs): the real `verbatim serve`
//! binary on a free port with a fresh data folder, API keys made with `verbatim keys create`,
//! the real-speech clips and an HTTPS server with a self-signed certificate for URL input.

pub mod api;
pub mod deployment;
pub mod fleet;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use crate::common::{fixtures, models_dir, repo_root};

pub const BIN: &str = env!("CARGO_BIN_EXE_verbatim");

/// A running `verbatim serve`. Dropping it kills the process (tests that stop it on purpose
/// call [`Server::sigterm`] or [`Server::kill9`]).
pub struct Server {
    pub child: Option<Child>,
    pub base: String,
    pub data_dir: PathBuf,
    pub log: Arc<Mutex<String>>,
    env: Vec<(String, String)>,
}

pub struct Options {
    pub workers: usize,
    pub env: Vec<(String, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            workers: 1,
            env: Vec::new(),
        }
    }
}

impl Options {
    /// An API without workers (its jobs stay QUEUED), with `env`.
    pub fn no_workers(env: Vec<(String, String)>) -> Options {
        Options { workers: 0, env }
    }
}

impl Server {
    pub fn start(data_dir: &Path, options: Options) -> Server {
        let mut env: Vec<(String, String)> = vec![
            ("VERBATIM_WORKERS".into(), options.workers.to_string()),
            (
                "VERBATIM_MODELS_DIR".into(),
                models_dir().display().to_string(),
            ),
            ("RUST_LOG".into(), "info".into()),
        ];
        env.extend(options.env);
        Self::start_with_env(data_dir, env)
    }

    fn start_with_env(data_dir: &Path, env: Vec<(String, String)>) -> Server {
        let mut command = Command::new(BIN);
        command
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env_remove("VERBATIM_PUBLIC_URL")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in &env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("starting verbatim serve");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Some(i) = line.find("listening on http://") {
                        let addr: String = line[i + "listening on ".len()..]
                            .chars()
                            .take_while(|c| !c.is_whitespace() && *c != '\u{1b}')
                            .collect();
                        let _ = tx.send(addr);
                    }
                    let mut log = log.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        let base = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(base) => base,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "verbatim serve did not start; its log:\n{}",
                    log.lock().unwrap()
                );
            }
        };
        Server {
            child: Some(child),
            base,
            data_dir: data_dir.to_path_buf(),
            log,
            env,
        }
    }

    /// Starts the server again on the same data folder (on a new port).
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "stop the server first");
        let mut fresh = Server::start_with_env(&self.data_dir, self.env.clone());
        self.child = fresh.child.take();
        self.base = fresh.base.clone();
        self.log = fresh.log.clone();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client of this server's API with `key`.
    pub fn api(&self, key: &str) -> api::Api {
        api::Api::new(&self.base, key)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// SIGTERM, then waits for the exit; returns the exit code.
    pub fn sigterm(&mut self) -> Option<i32> {
        let mut child = self.child.take().expect("running");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status.code();
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!(
                    "server did not exit within 120 s of SIGTERM; log:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn kill9(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().expect("kill -9");
        let _ = child.wait();
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Peak resident memory of the server process so far (VmHWM), in bytes.
    pub fn peak_rss_bytes(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("proc status");
        let line = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .expect("VmHWM");
        let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        kb * 1024
    }

    /// A new API key for `organisation`, from `verbatim keys create` (its only stdout line).
    pub fn create_key(&self, organisation: &str) -> String {
        create_key(&self.data_dir, organisation)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn create_key(data_dir: &Path, organisation: &str) -> String {
    let out = Command::new(BIN)
        .args([
            "keys",
            "create",
            "--organisation",
            organisation,
            "--data-dir",
        ])
        .arg(data_dir)
        .output()
        .expect("verbatim keys create");
    key_of(out)
}

/// The secret that `verbatim keys create` printed, checking it is its only stdout line.
pub fn key_of(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "keys create failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "keys create must print exactly one line, got {stdout:?}"
    );
    assert!(lines[0].starts_with("vb_"), "{stdout}");
    lines[0].to_string()
}

/// The environment that lets jobs fetch their input from the test's HTTPS server on localhost,
/// whose certificate `ca_cert` signs.
pub fn url_input_env(ca_cert: &Path) -> Vec<(String, String)> {
    vec![
        ("VERBATIM_URL_ALLOW_HOSTS".into(), "localhost".into()),
        ("VERBATIM_URL_CA_CERT".into(), ca_cert.display().to_string()),
    ]
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .unwrap()
}

/// One real-speech English clip of the fixtures (tests/fixtures/cache/manifest.tsv).
#[derive(Debug, Clone)]
pub struct Clip {
    pub wav: PathBuf,
    pub duration: f64,
    pub reference: String,
}

/// The English clips of the manifest (tiny.en is English only); fails clearly when the
/// fixtures were not fetched.
pub fn clips() -> Vec<Clip> {
    let clips: Vec<Clip> = fixtures()
        .into_iter()
        .filter(|f| f.language == "en" && f.kind == "clip")
        .map(|f| {
            let reference = std::fs::read_to_string(&f.reference_path).unwrap_or_default();
            assert!(
                f.wav.exists() && !reference.trim().is_empty(),
                "fixture {} is incomplete",
                f.name
            );
            Clip {
                wav: f.wav,
                duration: f.duration_s,
                reference: reference.trim().into(),
            }
        })
        .collect();
    assert!(
        !clips.is_empty(),
        "no English clip in the fixtures' manifest"
    );
    clips
}

/// Short clips (3 to 30 s), shortest first, to keep the tests quick on two cores.
pub fn short_clips() -> Vec<Clip> {
    let mut clips: Vec<Clip> = clips()
        .into_iter()
        .filter(|c| c.duration >= 3.0 && c.duration <= 30.0)
        .collect();
    clips.sort_by(|a, b| a.duration.partial_cmp(&b.duration).unwrap());
    assert!(
        clips.len() >= 3,
        "the manifest needs three English clips of 3 to 30 s"
    );
    clips
}

/// The words of a text, lowercase, without punctuation; a hyphen separates words as a space
/// does ("cold-hearted" is the reference's "cold hearted").
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == '-')
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .collect::<String>()
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Asserts that most of the reference's content words (4+ letters) appear in `text`: tiny.en is
/// not perfect, but a transcript of the wrong audio, or none, shares almost nothing.
pub fn assert_transcribes(text: &str, reference: &str) {
    let got: std::collections::HashSet<String> = words(text).into_iter().collect();
    let wanted: Vec<String> = words(reference)
        .into_iter()
        .filter(|w| w.len() >= 4)
        .collect();
    assert!(
        !wanted.is_empty(),
        "reference has no content words: {reference}"
    );
    let found = wanted.iter().filter(|w| got.contains(*w)).count();
    let share = found as f64 / wanted.len() as f64;
    assert!(
        share >= 0.6,
        "only {found}/{} reference words in the transcript\nreference: {reference}\ntranscript: {text}",
        wanted.len()
    );
}
