//! The two ways Verbatim runs, behind one handle, so that the same contract tests run on both:
//! the embedded default (SQLite and the local folder in the server's data folder) and the fleet
//! (an API replica on PostgreSQL and S3, started by scripts/start-test-services.sh).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use blob::Bucket;

use super::api::Api;
use super::fleet::{fleet_env, services, Database};
use super::{Options, Server, BIN};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Embedded,
    Fleet,
}

pub struct Deployment {
    pub kind: Kind,
    pub server: Server,
    /// The environment of every process of this deployment (the fleet's database and buckets).
    pub env: Vec<(String, String)>,
    pub input_bucket: String,
    pub output_bucket: String,
    /// Where the S3 endpoint is, for the fleet: its signed URLs point there, not at the API.
    pub s3_endpoint: Option<String>,
    /// The folders that hold the input and output buckets (the local store's, or s3s-fs's).
    bucket_roots: Option<(PathBuf, PathBuf)>,
    _db: Option<Database>,
    _dir: tempfile::TempDir,
}

impl Deployment {
    /// Starts one API server of `kind` with `workers` in-process workers and `extra_env`; `None`
    /// when the fleet services are not there and the run is not under CI (see `services`).
    pub async fn start(
        kind: Kind,
        workers: usize,
        extra_env: Vec<(String, String)>,
    ) -> Option<Deployment> {
        let dir = tempfile::tempdir().unwrap();
        let (mut env, input_bucket, output_bucket, s3_endpoint, bucket_roots, db) = match kind {
            Kind::Embedded => {
                let roots = (dir.path().join("input"), dir.path().join("output"));
                (
                    Vec::new(),
                    "input".to_string(),
                    "output".to_string(),
                    None,
                    Some(roots),
                    None,
                )
            }
            Kind::Fleet => {
                let svc = services()?;
                let db = Database::create(&svc.database_server).await;
                let (env, input, output) = fleet_env(&svc, &db);
                let roots = svc
                    .s3_dir
                    .as_ref()
                    .map(|d| (d.join(&input), d.join(&output)));
                (
                    env,
                    input,
                    output,
                    Some(svc.s3_endpoint.clone()),
                    roots,
                    Some(db),
                )
            }
        };
        env.extend(extra_env);
        let server = Server::start(
            dir.path(),
            Options {
                workers,
                env: env.clone(),
            },
        );
        Some(Deployment {
            kind,
            server,
            env,
            input_bucket,
            output_bucket,
            s3_endpoint,
            bucket_roots,
            _db: db,
            _dir: dir,
        })
    }

    /// A client of this deployment's API with `key`.
    pub fn api(&self, key: &str) -> Api {
        Api::new(&self.server.base, key)
    }

    pub fn is_fleet(&self) -> bool {
        self.kind == Kind::Fleet
    }

    /// Runs `verbatim ARGS --data-dir DIR` with this deployment's environment (so `keys` reach
    /// the fleet's database).
    pub fn cli(&self, args: &[&str]) -> Output {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .arg("--data-dir")
            .arg(&self.server.data_dir);
        for (k, v) in &self.env {
            command.env(k, v);
        }
        command.output().expect("running verbatim")
    }

    /// A new API key for `organisation` (the only stdout line of `verbatim keys create`).
    pub fn create_key(&self, organisation: &str) -> String {
        super::key_of(self.cli(&["keys", "create", "--organisation", organisation]))
    }

    fn bucket_root(&self, bucket: Bucket) -> &Path {
        let Some((input_root, output_root)) = &self.bucket_roots else {
            panic!("the S3 server's folder is unknown (VERBATIM_TEST_S3_DIR): cannot look into the buckets");
        };
        match bucket {
            Bucket::Input => input_root,
            Bucket::Output => output_root,
        }
    }

    /// Every object of a bucket, by key, read from the store's own folder (the local store's, or
    /// s3s-fs's) so that a leftover cannot hide behind the API. s3s-fs keeps metadata and
    /// unfinished uploads in dot-files, which are skipped.
    fn bucket_files(&self, bucket: Bucket) -> Vec<String> {
        let root = self.bucket_root(bucket);
        let mut out = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                if e.file_name().to_string_lossy().starts_with('.') {
                    continue;
                }
                if e.path().is_dir() {
                    stack.push(e.path());
                } else {
                    out.push(e.path().strip_prefix(root).unwrap().display().to_string());
                }
            }
        }
        out.sort();
        out
    }

    pub fn input_files(&self) -> Vec<String> {
        self.bucket_files(Bucket::Input)
    }

    pub fn output_files(&self) -> Vec<String> {
        self.bucket_files(Bucket::Output)
    }

    /// The bytes stored under `key` in the input bucket.
    pub fn read_input(&self, key: &str) -> Vec<u8> {
        std::fs::read(self.bucket_root(Bucket::Input).join(key))
            .unwrap_or_else(|e| panic!("input {key}: {e}"))
    }

    /// Where the object `key` of the input bucket lies on this machine's disk.
    pub fn input_path(&self, key: &str) -> PathBuf {
        self.bucket_root(Bucket::Input).join(key)
    }

    /// Where signed URLs of this deployment point: the API itself, or the S3 server.
    pub fn signed_url_base(&self) -> &str {
        self.s3_endpoint.as_deref().unwrap_or(&self.server.base)
    }
}

/// Every test runs on the embedded default and on the fleet (PostgreSQL + S3, one API replica).
macro_rules! on_both_deployments {
    ($($name:ident),* $(,)?) => {
        testkit::test_each!([#[tokio::test]] {
            embedded => $crate::server::deployment::Kind::Embedded,
            fleet => $crate::server::deployment::Kind::Fleet,
        } [$($name),*]);
    };
}

pub(crate) use on_both_deployments;
