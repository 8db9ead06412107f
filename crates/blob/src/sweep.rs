//! Removing objects nothing points at: presigned uploads never completed (`uploads/`),
//! multipart uploads staged by a request that died before it finished
//! (`inputs/<job_id>.<nonce>.<ext>`), and outputs of an attempt that never published them
//! (`outputs/<job_id>.<attempt>.<ext>`). Both are written under keys of their request alone and
//! moved away (or removed) within it, so one older than a day is an orphan.

use std::time::Duration;

use crate::{BlobError, BlobStore, Bucket, UPLOADS};

/// Deletes the orphans older than `age`; returns how many.
pub async fn sweep_orphans(store: &dyn BlobStore, age: Duration) -> Result<usize, BlobError> {
    let staged = |bucket, prefix| async move {
        let keys = store.list_older_than(bucket, prefix, age).await?;
        Ok::<_, BlobError>(
            keys.into_iter()
                .filter(|k| crate::is_staged_object(k))
                .map(move |k| (bucket, k)),
        )
    };
    let presigns = store
        .list_older_than(Bucket::Input, UPLOADS, age)
        .await?
        .into_iter()
        .map(|k| (Bucket::Input, k));
    let orphans = presigns
        .chain(staged(Bucket::Input, crate::INPUTS).await?)
        .chain(staged(Bucket::Output, crate::OUTPUTS).await?);
    let mut removed = 0;
    for (bucket, key) in orphans {
        match store.delete(bucket, &key).await {
            Ok(()) | Err(BlobError::NotFound) => removed += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(removed)
}
