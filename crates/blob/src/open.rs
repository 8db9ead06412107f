//! Opens the backend the settings name, so one binary serves both the embedded default and a
//! fleet (issue 4: configuration picks the backends, no feature flag).

use std::path::Path;
use std::sync::Arc;

use crate::{BlobError, BlobStore, LocalBlobStore, S3BlobStore, S3Config};

/// The S3 store when `s3` is given, else the local store in `data_dir` (buckets `input` and
/// `output`, URLs signed by this server under `public_base_url`). The second value is the local
/// store when it is the one chosen: only then does the server serve the signed `/v1/blob/...`
/// routes itself.
#[allow(clippy::type_complexity)]
pub fn open(
    s3: Option<S3Config>,
    data_dir: &Path,
    public_base_url: &str,
) -> Result<(Arc<dyn BlobStore>, Option<Arc<LocalBlobStore>>), BlobError> {
    if let Some(config) = s3 {
        return Ok((Arc::new(S3BlobStore::open(config)?), None));
    }
    let local = Arc::new(LocalBlobStore::open(
        data_dir,
        public_base_url,
        "input",
        "output",
    )?);
    Ok((local.clone(), Some(local)))
}
