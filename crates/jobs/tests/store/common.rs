//! Shared helpers for the job store tests: a real store, fresh for each test, on either backend
//! (SQLite: a file in a temp folder; PostgreSQL: a database of its own per test on
//! VERBATIM_TEST_DATABASE_URL's server).

use std::sync::Arc;
use std::time::Duration;

use jobs::{
    open_sqlite, InputMetadata, InputSource, JobConfig, JobStatus, JobStore, Lease, NewJob,
    OutputMetadata, TranscriptionConfig,
};
use serde_json::json;

pub struct Db {
    pub store: Arc<dyn JobStore>,
    pub dir: tempfile::TempDir,
    /// What `jobs::open` takes to open this same database again (a second process).
    pub url: String,
    _pg: Option<PgDatabase>,
}

impl Db {
    /// Another handle on the same database, as another process would open it.
    pub async fn reopen(&self) -> Arc<dyn JobStore> {
        jobs::open(&self.url).await.unwrap()
    }

    /// Everything the database holds, as text: the SQLite files' bytes, or PostgreSQL's rows
    /// of every table.
    pub async fn stored_text(&self) -> Vec<String> {
        if self._pg.is_none() {
            let read = |name: &str| std::fs::read(self.dir.path().join(name)).unwrap_or_default();
            let raw = read("sub/verbatim.db");
            assert!(!raw.is_empty(), "no database file");
            return [raw, read("sub/verbatim.db-wal")]
                .iter()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .collect();
        }
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
        let mut out = Vec::new();
        for table in ["organisations", "api_keys", "jobs", "upload_reservations"] {
            let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT t::text FROM {table} t"))
                .fetch_all(&mut conn)
                .await
                .unwrap();
            out.extend(rows);
        }
        assert!(!out.is_empty(), "no rows");
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates, for each suite test `async fn name(d: Db)` of the calling module, one test per
/// backend: `sqlite::name` and `postgres::name`. Every suite test is listed, or the compiler
/// warns that it is never used.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        testkit::test_each!([#[tokio::test(flavor = "multi_thread", worker_threads = 4)]] {
            sqlite => $crate::common::db($crate::common::Backend::Sqlite).await,
            postgres => $crate::common::db($crate::common::Backend::Postgres).await,
        } [$($name),*]);
    };
}

/// A fresh store of that backend. PostgreSQL falls back to SQLite, with a note, when no
/// server is configured outside CI (see [`postgres_server_url`]).
pub async fn db(backend: Backend) -> Db {
    let dir = tempfile::tempdir().unwrap();
    if backend == Backend::Postgres {
        if let Some(server) = postgres_server_url() {
            let pg = PgDatabase::create(&server).await;
            let store = jobs::open(&pg.url).await.unwrap();
            return Db {
                store,
                dir,
                url: pg.url.clone(),
                _pg: Some(pg),
            };
        }
    }
    let path = dir.path().join("sub/verbatim.db");
    let store = open_sqlite(&path).await.unwrap();
    Db {
        store,
        url: path.to_str().unwrap().to_string(),
        dir,
        _pg: None,
    }
}

pub use testkit::postgres::{server_url as postgres_server_url, Database as PgDatabase};

pub fn new_job(org: &str, job_id: &str) -> NewJob {
    NewJob {
        job_id: job_id.to_string(),
        api_key_id: format!("key-{org}"),
        organisation_id: org.to_string(),
        model_code: "slng/speechmatics/batch:15.0.0".to_string(),
        job_config: JobConfig::transcription(
            TranscriptionConfig::parse(&json!({"language": "fr", "domain": "finance"})).unwrap(),
            None,
            None,
        ),
        metadata: Some(json!({"client": job_id})),
        input_metadata: InputMetadata {
            size_bytes: Some(10),
            ..InputMetadata::new(InputSource::Upload)
        },
        input_key: Some(format!("inputs/{job_id}.wav")),
        input_url: None,
        held_for: None,
        streams_text: false,
    }
}

/// Outputs that say who completed the job (in `model`), to tell completions apart.
pub fn made_by(who: impl ToString) -> OutputMetadata {
    OutputMetadata {
        model: Some(who.to_string()),
        ..OutputMetadata::default()
    }
}

/// Takes a claimed job through every working status and completes it as `worker`'s.
pub async fn work_through(store: &dyn JobStore, lease: &Lease, worker: &str) {
    for status in [
        JobStatus::InProgress,
        JobStatus::Decoding,
        JobStatus::PostProcessing,
    ] {
        store.advance(lease, status, None).await.unwrap();
    }
    store.complete(lease, made_by(worker)).await.unwrap();
}

/// Creates the job `job_id` of `org1` and claims it for `worker` for `lease_for`.
pub async fn create_and_claim(
    store: &dyn JobStore,
    job_id: &str,
    worker: &str,
    lease_for: Duration,
) -> Lease {
    store.create(new_job("org1", job_id)).await.unwrap();
    store.claim(worker, lease_for).await.unwrap().unwrap()
}

pub fn in_english() -> OutputMetadata {
    OutputMetadata {
        language: Some("en".into()),
        ..OutputMetadata::default()
    }
}
