//! Shared helpers for the worker tests: a real SQLite store and a real local blob store in a
//! temp folder, the real tiny.en model, real recorded speech, and a store wrapper that records
//! every call a worker makes (and can hold a job at DECODING).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use blob::{BlobStore, Bucket, LocalBlobStore};
use jobs::{
    ApiKey, AttemptResult, Delivery, DeliveryState, Job, JobStatus, JobStore, JobsError, Lease,
    ListQuery, NewJob, WebhookSecrets,
};
use serde_json::{json, Value};
use tokio::sync::{Notify, Semaphore};
use worker::{WorkerConfig, WorkerPool};

pub const ORG: &str = "org-test";

pub use testkit::{fixture, repo_root};

pub fn fixture_text(rel: &str) -> String {
    std::fs::read_to_string(fixture(rel)).unwrap()
}

pub fn models_dir() -> PathBuf {
    match std::env::var_os("VERBATIM_MODELS_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => repo_root().join("models"),
    }
}

/// A fast configuration for tests: the real tiny.en model, short waits.
pub fn config() -> WorkerConfig {
    WorkerConfig {
        models_dir: models_dir(),
        model_standard: "tiny.en".into(),
        model_enhanced: "base".into(),
        idle_poll: Duration::from_millis(200),
        retry_base: Duration::from_millis(50),
        retry_max: Duration::from_millis(200),
        ..WorkerConfig::default()
    }
    .with_workers(1)
}

pub struct Env {
    pub dir: tempfile::TempDir,
    /// The real SQLite store.
    pub db: Arc<dyn JobStore>,
    /// The same store seen through the recorder (what the worker is given).
    pub recorder: Arc<Recorder>,
    pub blobs: Arc<LocalBlobStore>,
}

impl Env {
    pub async fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let db = jobs::open_sqlite(&dir.path().join("verbatim.db"))
            .await
            .unwrap();
        let blobs = Arc::new(
            LocalBlobStore::open(dir.path(), "http://127.0.0.1:1", "input", "output").unwrap(),
        );
        let recorder = Arc::new(Recorder::new(db.clone()));
        Env {
            dir,
            db,
            recorder,
            blobs,
        }
    }

    pub fn jobs(&self) -> Arc<dyn JobStore> {
        self.recorder.clone()
    }

    pub fn blobs(&self) -> Arc<dyn BlobStore> {
        self.blobs.clone()
    }

    /// Stores `audio` as an upload and queues a job for it, as the api does.
    pub async fn submit(&self, job_id: &str, audio: &Path, job_config: Value) -> Job {
        self.submit_as(job_id, audio, job_config, "slng/speechmatics/batch:15.0.0")
            .await
    }

    pub async fn submit_as(
        &self,
        job_id: &str,
        audio: &Path,
        job_config: Value,
        model_code: &str,
    ) -> Job {
        let ext = audio.extension().and_then(|e| e.to_str()).unwrap_or("bin");
        let key = format!("inputs/{job_id}.{ext}");
        let size = self
            .blobs
            .put_file(Bucket::Input, &key, audio)
            .await
            .unwrap();
        self.db
            .create(NewJob {
                job_id: job_id.into(),
                api_key_id: "key-test".into(),
                organisation_id: ORG.into(),
                model_code: model_code.into(),
                job_config: typed(job_config),
                metadata: None,
                input_metadata: typed(
                    json!({"size_bytes": size, "format": ext, "source": "upload"}),
                ),
                input_key: Some(key),
                input_url: None,
                held_for: None,
                streams_text: false,
            })
            .await
            .unwrap()
    }

    pub async fn job(&self, job_id: &str) -> Job {
        self.db.get(ORG, job_id).await.unwrap().expect("job exists")
    }

    /// Polls until the job satisfies `done`; panics after `limit` (a hang guard, not a speed
    /// check: the limit is far above what any run takes).
    pub async fn wait_for(
        &self,
        job_id: &str,
        limit: Duration,
        done: impl Fn(&Job) -> bool,
    ) -> Job {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let job = self.job(job_id).await;
            if done(&job) {
                return job;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "job {job_id} never got there; last seen {job:#?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn wait_terminal(&self, job_id: &str) -> Job {
        self.wait_for(job_id, Duration::from_secs(600), |j| {
            matches!(j.status, JobStatus::Done | JobStatus::Failed)
        })
        .await
    }

    /// Runs a pool with `config` until the job `job_id` is DONE or FAILED, then shuts it down.
    pub async fn run_to_the_end(&self, job_id: &str, config: WorkerConfig) -> Job {
        let pool = WorkerPool::start(self.jobs(), self.blobs(), config);
        let job = self.wait_terminal(job_id).await;
        pool.shutdown().await;
        job
    }

    /// Submits `audio` as `job_id` with `job_config`, runs a pool until the job ends, and
    /// checks that it is DONE.
    pub async fn run_done(&self, job_id: &str, audio: &Path, job_config: Value) -> Job {
        self.submit(job_id, audio, job_config).await;
        let job = self.run_to_the_end(job_id, config()).await;
        assert_eq!(job.status, JobStatus::Done, "{:?}", job.error_message);
        job
    }

    /// A worker that claims the next job with a lease of `lease`, takes it through `statuses`
    /// and dies (kill -9: nothing is recorded, its lease runs out).
    pub async fn dead_worker(&self, lease: Duration, statuses: &[JobStatus]) -> Lease {
        let dead = self.db.claim("dead-worker", lease).await.unwrap().unwrap();
        for status in statuses {
            self.db.advance(&dead, *status, None).await.unwrap();
        }
        dead
    }

    pub async fn output(&self, job_id: &str, ext: &str) -> Option<String> {
        let key = format!("outputs/{job_id}.{ext}");
        self.blobs.head(Bucket::Output, &key).await.unwrap()?;
        let path = self.dir.path().join(format!("read-{job_id}.{ext}"));
        self.blobs
            .get_to_file(Bucket::Output, &key, &path)
            .await
            .unwrap();
        Some(std::fs::read_to_string(path).unwrap())
    }
}

/// What the worker did to the store, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Claim(String),
    Advance {
        job_id: String,
        status: JobStatus,
        with_metadata: bool,
        ok: bool,
    },
    Complete {
        job_id: String,
        ok: bool,
    },
    Fail {
        job_id: String,
        message: String,
        ok: bool,
    },
    Release {
        job_id: String,
        after: Duration,
        ok: bool,
    },
    Renew {
        job_id: String,
        held: bool,
    },
    Progress {
        job_id: String,
        progress: jobs::Progress,
        at: std::time::Instant,
        ok: bool,
    },
}

/// Holds a job at DECODING (after the move is stored) until opened.
pub struct Gate {
    pub reached: Notify,
    reached_flag: Mutex<bool>,
    open: Semaphore,
}

impl Gate {
    pub async fn wait_reached(&self) {
        loop {
            let n = self.reached.notified();
            if *self.reached_flag.lock().unwrap() {
                return;
            }
            n.await;
        }
    }
    pub fn open(&self) {
        self.open.add_permits(1000);
    }
}

/// A [`JobStore`] that passes every call to the real store and records what the worker did.
pub struct Recorder {
    inner: Arc<dyn JobStore>,
    pub events: Mutex<Vec<Event>>,
    gate: Mutex<Option<Arc<Gate>>>,
}

impl Recorder {
    pub fn new(inner: Arc<dyn JobStore>) -> Recorder {
        Recorder {
            inner,
            events: Mutex::new(Vec::new()),
            gate: Mutex::new(None),
        }
    }

    /// From now on, a job moved to DECODING waits there until the returned gate is opened.
    pub fn hold_at_decoding(&self) -> Arc<Gate> {
        let gate = Arc::new(Gate {
            reached: Notify::new(),
            reached_flag: Mutex::new(false),
            open: Semaphore::new(0),
        });
        *self.gate.lock().unwrap() = Some(gate.clone());
        gate
    }

    pub fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }

    /// The statuses the worker moved `job_id` to, in order (successful moves only), ending with
    /// DONE or FAILED when it got there.
    pub fn statuses(&self, job_id: &str) -> Vec<JobStatus> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Advance {
                    job_id: j,
                    status,
                    ok: true,
                    ..
                } if j == job_id => Some(status),
                Event::Complete {
                    job_id: j,
                    ok: true,
                } if j == job_id => Some(JobStatus::Done),
                Event::Fail {
                    job_id: j,
                    ok: true,
                    ..
                } if j == job_id => Some(JobStatus::Failed),
                _ => None,
            })
            .collect()
    }

    /// The progress `job_id`'s worker recorded, with when, in order.
    pub fn progress(&self, job_id: &str) -> Vec<(std::time::Instant, jobs::Progress)> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Progress {
                    job_id: j,
                    progress,
                    at,
                    ok: true,
                } if j == job_id => Some((at, progress)),
                _ => None,
            })
            .collect()
    }

    fn push(&self, e: Event) {
        self.events.lock().unwrap().push(e);
    }
}

#[async_trait::async_trait]
impl JobStore for Recorder {
    async fn create(&self, job: NewJob) -> Result<Job, JobsError> {
        self.inner.create(job).await
    }
    async fn get(&self, org: &str, job_id: &str) -> Result<Option<Job>, JobsError> {
        self.inner.get(org, job_id).await
    }
    async fn list(&self, org: &str, q: &ListQuery) -> Result<(Vec<Job>, u64), JobsError> {
        self.inner.list(org, q).await
    }
    async fn mark_deleted(&self, org: &str, job_id: &str) -> Result<Job, JobsError> {
        self.inner.mark_deleted(org, job_id).await
    }
    async fn reserve_upload(
        &self,
        org: &str,
        job_id: &str,
        key: &str,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), JobsError> {
        self.inner
            .reserve_upload(org, job_id, key, expires_at)
            .await
    }
    async fn take_reservation(&self, org: &str, job_id: &str) -> Result<Option<String>, JobsError> {
        self.inner.take_reservation(org, job_id).await
    }
    async fn partial_text(
        &self,
        org: &str,
        job_id: &str,
        from: usize,
    ) -> Result<Option<String>, JobsError> {
        self.inner.partial_text(org, job_id, from).await
    }
    async fn append_partial_text(&self, lease: &Lease, text: &str) -> Result<(), JobsError> {
        self.inner.append_partial_text(lease, text).await
    }
    async fn corrections(
        &self,
        org: &str,
        job_id: &str,
    ) -> Result<Option<jobs::Corrections>, JobsError> {
        self.inner.corrections(org, job_id).await
    }
    async fn set_corrections(
        &self,
        org: &str,
        job_id: &str,
        revision: u64,
        document: &serde_json::Value,
    ) -> Result<Option<u64>, JobsError> {
        self.inner
            .set_corrections(org, job_id, revision, document)
            .await
    }
    async fn release_hold(&self, org: &str, job_id: &str) -> Result<(), JobsError> {
        self.inner.release_hold(org, job_id).await
    }
    async fn cancel(&self, org: &str, job_id: &str, message: &str) -> Result<Job, JobsError> {
        self.inner.cancel(org, job_id, message).await
    }
    async fn expirable(
        &self,
        retention: Option<Duration>,
        limit: u32,
    ) -> Result<Vec<Job>, JobsError> {
        self.inner.expirable(retention, limit).await
    }
    async fn mark_expired(&self, job_id: &str) -> Result<bool, JobsError> {
        self.inner.mark_expired(job_id).await
    }
    async fn claim_idempotency_key(
        &self,
        org: &str,
        key: &str,
        lifetime: Duration,
        abandoned_after: Duration,
    ) -> Result<jobs::Idempotency, JobsError> {
        self.inner
            .claim_idempotency_key(org, key, lifetime, abandoned_after)
            .await
    }
    async fn record_idempotent_response(
        &self,
        org: &str,
        key: &str,
        response: &jobs::IdempotentResponse,
    ) -> Result<(), JobsError> {
        self.inner
            .record_idempotent_response(org, key, response)
            .await
    }
    async fn release_idempotency_key(&self, org: &str, key: &str) -> Result<(), JobsError> {
        self.inner.release_idempotency_key(org, key).await
    }
    async fn purge_idempotency_keys(&self, lifetime: Duration) -> Result<u64, JobsError> {
        self.inner.purge_idempotency_keys(lifetime).await
    }
    async fn upload_pending(&self, key: &str) -> Result<bool, JobsError> {
        self.inner.upload_pending(key).await
    }
    async fn claim(&self, worker_id: &str, lease: Duration) -> Result<Option<Lease>, JobsError> {
        let r = self.inner.claim(worker_id, lease).await;
        if let Ok(Some(l)) = &r {
            self.push(Event::Claim(l.job.job_id.clone()));
        }
        r
    }
    async fn renew(&self, lease: &Lease, lease_for: Duration) -> Result<bool, JobsError> {
        let r = self.inner.renew(lease, lease_for).await;
        self.push(Event::Renew {
            job_id: lease.job.job_id.clone(),
            held: matches!(r, Ok(true)),
        });
        r
    }
    async fn report_progress(
        &self,
        lease: &Lease,
        progress: &jobs::Progress,
    ) -> Result<(), JobsError> {
        let at = std::time::Instant::now();
        let r = self.inner.report_progress(lease, progress).await;
        self.push(Event::Progress {
            job_id: lease.job.job_id.clone(),
            progress: progress.clone(),
            at,
            ok: r.is_ok(),
        });
        r
    }
    async fn advance(
        &self,
        lease: &Lease,
        status: JobStatus,
        input_metadata: Option<jobs::InputMetadata>,
    ) -> Result<(), JobsError> {
        let with_metadata = input_metadata.is_some();
        let r = self.inner.advance(lease, status, input_metadata).await;
        self.push(Event::Advance {
            job_id: lease.job.job_id.clone(),
            status,
            with_metadata,
            ok: r.is_ok(),
        });
        if r.is_ok() && status == JobStatus::Decoding {
            let gate = self.gate.lock().unwrap().clone();
            if let Some(gate) = gate {
                *gate.reached_flag.lock().unwrap() = true;
                gate.reached.notify_waiters();
                let _permit = gate.open.acquire().await;
            }
        }
        r
    }
    async fn complete(
        &self,
        lease: &Lease,
        output_metadata: jobs::OutputMetadata,
    ) -> Result<(), JobsError> {
        let r = self.inner.complete(lease, output_metadata).await;
        self.push(Event::Complete {
            job_id: lease.job.job_id.clone(),
            ok: r.is_ok(),
        });
        r
    }
    async fn fail(&self, lease: &Lease, message: &str) -> Result<(), JobsError> {
        let r = self.inner.fail(lease, message).await;
        self.push(Event::Fail {
            job_id: lease.job.job_id.clone(),
            message: message.into(),
            ok: r.is_ok(),
        });
        r
    }
    async fn release(&self, lease: &Lease, retry_after: Duration) -> Result<(), JobsError> {
        let r = self.inner.release(lease, retry_after).await;
        self.push(Event::Release {
            job_id: lease.job.job_id.clone(),
            after: retry_after,
            ok: r.is_ok(),
        });
        r
    }
    async fn set_input(&self, lease: &Lease, input_key: &str) -> Result<(), JobsError> {
        self.inner.set_input(lease, input_key).await
    }
    fn notifier(&self) -> Arc<Notify> {
        self.inner.notifier()
    }
    async fn claim_delivery(&self, lease: Duration) -> Result<Option<Delivery>, JobsError> {
        self.inner.claim_delivery(lease).await
    }
    async fn finish_delivery(
        &self,
        delivery: &Delivery,
        result: &AttemptResult,
    ) -> Result<bool, JobsError> {
        self.inner.finish_delivery(delivery, result).await
    }
    async fn deliveries(&self, job_id: &str) -> Result<Vec<DeliveryState>, JobsError> {
        self.inner.deliveries(job_id).await
    }
    async fn webhook_secrets(&self, organisation_id: &str) -> Result<WebhookSecrets, JobsError> {
        self.inner.webhook_secrets(organisation_id).await
    }
    async fn organisation_webhook_secrets(
        &self,
        organisation_name: &str,
        rotate: bool,
        overlap: Duration,
    ) -> Result<Option<WebhookSecrets>, JobsError> {
        self.inner
            .organisation_webhook_secrets(organisation_name, rotate, overlap)
            .await
    }
    async fn create_key(&self, organisation_name: &str) -> Result<(ApiKey, String), JobsError> {
        self.inner.create_key(organisation_name).await
    }
    async fn authenticate(&self, secret: &str) -> Result<Option<ApiKey>, JobsError> {
        self.inner.authenticate(secret).await
    }
    async fn list_keys(&self) -> Result<Vec<ApiKey>, JobsError> {
        self.inner.list_keys().await
    }
    async fn revoke_key(&self, id: &str) -> Result<bool, JobsError> {
        self.inner.revoke_key(id).await
    }
    async fn status_counts(&self) -> Result<Vec<(JobStatus, u64)>, JobsError> {
        self.inner.status_counts().await
    }
}

/// The text lines of an srt file's cues (no numbers, no timings, no blank lines).
pub fn srt_text_lines(srt: &str) -> Vec<String> {
    srt.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.contains(" --> ") && l.parse::<u64>().is_err())
        .map(String::from)
        .collect()
}

/// A stored JSON shape (job config, input or output metadata) from its JSON, as tests write it.
pub fn typed<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}
