//! Removing objects nothing points at: presigned uploads never completed (`uploads/`),
//! multipart uploads staged by a request that died before it finished
//! (`inputs/<job_id>.<nonce>.<ext>`), and outputs of an attempt that never published them
//! (`outputs/<job_id>.<attempt>.<ext>`). Both are written under keys of their request alone and
//! moved away (or removed) within it, so one older than a day is an orphan.

use std::time::Duration;

use crate::{BlobError, BlobStore, Bucket, UPLOADS};

/// Deletes the orphans older than `age`; returns how many.
pub async fn sweep_orphans(store: &dyn BlobStore, age: Duration) -> Result<usize, BlobError> {
    let mut removed = 0;
    let staged_presigns = store.list_older_than(Bucket::Input, UPLOADS, age).await?;
    let staged_uploads = store.list_older_than(Bucket::Input, "inputs/", age).await?.into_iter().filter(|k| crate::is_staged_object(k));
    let staged_outputs: Vec<String> =
        store.list_older_than(Bucket::Output, "outputs/", age).await?.into_iter().filter(|k| crate::is_staged_object(k)).collect();
    for key in staged_outputs {
        match store.delete(Bucket::Output, &key).await {
            Ok(()) | Err(BlobError::NotFound) => removed += 1,
            Err(e) => return Err(e),
        }
    }
    for key in staged_presigns.into_iter().chain(staged_uploads) {
        match store.delete(Bucket::Input, &key).await {
            Ok(()) | Err(BlobError::NotFound) => removed += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(removed)
}
