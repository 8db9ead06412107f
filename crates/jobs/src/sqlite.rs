//! The SQLite backend.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use sqlx::sqlite::SqlitePool;

use crate::{ApiKey, Job, JobStatus, JobStore, JobsError, Lease, ListQuery, NewJob};

pub struct SqliteJobStore {
    #[allow(dead_code)]
    pool: SqlitePool,
    notify: Arc<tokio::sync::Notify>,
}

pub async fn open_sqlite(path: &Path) -> Result<Arc<dyn JobStore>, JobsError> {
    let _ = path;
    todo!()
}

#[async_trait::async_trait]
impl JobStore for SqliteJobStore {
    async fn create(&self, _job: NewJob) -> Result<Job, JobsError> { todo!() }
    async fn get(&self, _org: &str, _job_id: &str) -> Result<Option<Job>, JobsError> { todo!() }
    async fn list(&self, _org: &str, _q: &ListQuery) -> Result<(Vec<Job>, u64), JobsError> { todo!() }
    async fn mark_deleted(&self, _org: &str, _job_id: &str) -> Result<Job, JobsError> { todo!() }
    async fn reserve_upload(&self, _org: &str, _job_id: &str, _key: &str, _e: chrono::DateTime<chrono::Utc>) -> Result<(), JobsError> { todo!() }
    async fn take_reservation(&self, _org: &str, _job_id: &str) -> Result<Option<String>, JobsError> { todo!() }
    async fn claim(&self, _w: &str, _l: Duration) -> Result<Option<Lease>, JobsError> { todo!() }
    async fn renew(&self, _l: &Lease, _f: Duration) -> Result<bool, JobsError> { todo!() }
    async fn advance(&self, _l: &Lease, _s: JobStatus, _m: Option<Value>) -> Result<(), JobsError> { todo!() }
    async fn complete(&self, _l: &Lease, _o: Value) -> Result<(), JobsError> { todo!() }
    async fn fail(&self, _l: &Lease, _m: &str) -> Result<(), JobsError> { todo!() }
    async fn release(&self, _l: &Lease, _r: Duration) -> Result<(), JobsError> { todo!() }
    async fn set_input(&self, _l: &Lease, _k: &str) -> Result<(), JobsError> { todo!() }
    fn notifier(&self) -> Arc<tokio::sync::Notify> { self.notify.clone() }
    async fn create_key(&self, _n: &str) -> Result<(ApiKey, String), JobsError> { todo!() }
    async fn authenticate(&self, _s: &str) -> Result<Option<ApiKey>, JobsError> { todo!() }
    async fn list_keys(&self) -> Result<Vec<ApiKey>, JobsError> { todo!() }
    async fn revoke_key(&self, _id: &str) -> Result<bool, JobsError> { todo!() }
    async fn status_counts(&self) -> Result<Vec<(JobStatus, u64)>, JobsError> { todo!() }
}
