//! Deleting every file of one job: what DELETE does for a client and the retention sweeper does
//! when a job's time is up.

use crate::{output_key, presigned_input_prefix, BlobError, BlobStore, Bucket};

/// Deletes a job's input (a multipart or URL input is one object, `input_key`; a presigned
/// upload is a folder of its own) and its outputs, one per extension of `output_exts`. Deleting
/// what is already gone is no error, so a purge interrupted halfway is finished by the next.
pub async fn purge_job_files(
    store: &dyn BlobStore,
    job_id: &str,
    input_key: Option<&str>,
    output_exts: &[&str],
) -> Result<(), BlobError> {
    if let Some(input_key) = input_key {
        store.delete(Bucket::Input, input_key).await?;
    }
    store
        .delete_prefix(Bucket::Input, &presigned_input_prefix(job_id))
        .await?;
    for ext in output_exts {
        store
            .delete(Bucket::Output, &output_key(job_id, ext))
            .await?;
    }
    Ok(())
}
