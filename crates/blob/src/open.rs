//! Picks the backend from the environment, so one binary serves both the embedded default and
//! a fleet (issue 4: configuration picks the backends, no feature flag).

use std::path::Path;
use std::sync::Arc;

use crate::{BlobError, BlobStore, LocalBlobStore, S3BlobStore};

/// S3 when `VERBATIM_S3_ENDPOINT` or a `VERBATIM_*_BUCKET` is set (see [`crate::S3Config::from_env`]),
/// else the local store in `data_dir` (buckets `input` and `output`, URLs signed by this
/// server under `public_base_url`). The second value is the local store when it is the one
/// chosen: only then does the server serve the signed `/v1/blob/...` routes itself.
#[allow(clippy::type_complexity)]
pub fn open_from_env(
    data_dir: &Path,
    public_base_url: &str,
) -> Result<(Arc<dyn BlobStore>, Option<Arc<LocalBlobStore>>), BlobError> {
    if let Some(s3) = S3BlobStore::from_env()? {
        return Ok((Arc::new(s3), None));
    }
    let local = Arc::new(LocalBlobStore::open(
        data_dir,
        public_base_url,
        "input",
        "output",
    )?);
    Ok((local.clone(), Some(local)))
}
