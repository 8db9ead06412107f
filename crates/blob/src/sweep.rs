//! Removing objects nothing points at: presigned uploads never completed (`uploads/`), and
//! multipart uploads staged by a request that died before it finished
//! (`inputs/<job_id>.<nonce>.<ext>`). Both are written under keys of their request alone and
//! moved away (or removed) within it, so one older than a day is an orphan.

use std::time::Duration;

use crate::{BlobError, BlobStore, Bucket, UPLOADS};

/// Deletes the orphans older than `age`; returns how many.
pub async fn sweep_orphans(store: &dyn BlobStore, age: Duration) -> Result<usize, BlobError> {
    let mut removed = 0;
    let staged_presigns = store.list_older_than(Bucket::Input, UPLOADS, age).await?;
    let staged_uploads = store
        .list_older_than(Bucket::Input, "inputs/", age)
        .await?
        .into_iter()
        .filter(|key| key.split_once('.').is_some_and(|(job, _)| crate::unstaged_input_key(job.trim_start_matches("inputs/"), key).is_some()));
    for key in staged_presigns.into_iter().chain(staged_uploads) {
        match store.delete(Bucket::Input, &key).await {
            Ok(()) | Err(BlobError::NotFound) => removed += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(removed)
}
