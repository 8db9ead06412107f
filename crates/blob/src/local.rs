//! The embedded default: two folders under the data folder, and URLs signed by ourselves.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use object_store::local::LocalFileSystem;

use crate::objects::{object_path, Buckets};
use crate::signer::Grant;
use crate::store::{Access, UrlToSign};
use crate::{BlobError, BlobStore, Bucket, Signer};

pub struct LocalBlobStore {
    root: PathBuf,
    public_base_url: url::Url,
    input_name: String,
    output_name: String,
    buckets: Buckets,
    /// The same two folders, typed, to find an object's file (input, output).
    files: (Arc<LocalFileSystem>, Arc<LocalFileSystem>),
    signer: Signer,
}

/// Whether a file name is a local-store staging file: `<name>#<digits>`.
fn is_staging_name(name: &str) -> bool {
    matches!(name.rsplit_once('#'), Some((_, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn sweep_staging(dir: &Path, older_than: Duration) -> Result<usize, BlobError> {
    let io = |e: std::io::Error| BlobError::Io(format!("{}: {e}", dir.display()));
    let mut removed = 0;
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io)?;
        let kind = entry.file_type().map_err(io)?;
        let path = entry.path();
        if kind.is_dir() {
            removed += sweep_staging(&path, older_than)?;
        } else if kind.is_file() && entry.file_name().to_str().is_some_and(is_staging_name) {
            let age = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok());
            if age.is_some_and(|a| a >= older_than) {
                match std::fs::remove_file(&path) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io(e)),
                }
            }
        }
    }
    Ok(removed)
}

fn valid_bucket_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !name.starts_with('.')
        && !name.contains("..")
}

impl LocalBlobStore {
    /// Opens (creating what is missing) `data_dir/<input_bucket>/`, `data_dir/<output_bucket>/`
    /// and the signing secret `data_dir/signing.key`. `public_base_url` is how clients reach
    /// this server (e.g. `http://127.0.0.1:8080`); signed URLs are
    /// `{public_base_url}/v1/blob/{bucket}/{key}?expires=<unix>&signature=<hex>`.
    /// Bucket names follow S3's rules (lowercase letters, digits, `-`, `.`).
    pub fn open(
        data_dir: &Path,
        public_base_url: &str,
        input_bucket: &str,
        output_bucket: &str,
    ) -> Result<Self, BlobError> {
        for name in [input_bucket, output_bucket] {
            if !valid_bucket_name(name) {
                return Err(BlobError::Io(format!(
                    "invalid bucket name {name:?}: use lowercase letters, digits, '-' and '.'"
                )));
            }
        }
        let public_base_url = url::Url::parse(public_base_url)
            .ok()
            .filter(|u| {
                matches!(u.scheme(), "http" | "https")
                    && !u.cannot_be_a_base()
                    && u.host().is_some()
            })
            .ok_or_else(|| {
                BlobError::Io(format!(
                    "invalid public base URL {public_base_url:?}: need http(s)://host[:port]"
                ))
            })?;
        let bucket = |name: &str| -> Result<Arc<LocalFileSystem>, BlobError> {
            let dir = data_dir.join(name);
            std::fs::create_dir_all(&dir)
                .map_err(|e| BlobError::Io(format!("cannot create {}: {e}", dir.display())))?;
            // Cleanup removes folders emptied by deletes (inputs/<job_id>/), never the bucket root.
            Ok(Arc::new(
                LocalFileSystem::new_with_prefix(&dir)?.with_automatic_cleanup(true),
            ))
        };
        let files = (bucket(input_bucket)?, bucket(output_bucket)?);
        let buckets = Buckets::new(
            (input_bucket, files.0.clone()),
            (output_bucket, files.1.clone()),
        )?;
        let signer = Signer::load_or_create(&data_dir.join("signing.key"))?;
        Ok(LocalBlobStore {
            root: data_dir.to_path_buf(),
            public_base_url,
            input_name: input_bucket.to_string(),
            output_name: output_bucket.to_string(),
            buckets,
            files,
            signer,
        })
    }

    /// Makes a just-written object survive a power cut: its data, then the folder entry the
    /// rename made. Called before `put_*` returns, so before the job store records the key.
    async fn make_durable(&self, b: Bucket, key: &str) -> Result<(), BlobError> {
        let store = match b {
            Bucket::Input => &self.files.0,
            Bucket::Output => &self.files.1,
        };
        let path = store.path_to_filesystem(&crate::objects::object_path(key)?)?;
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::File::open(&path)?.sync_all()?;
            if let Some(folder) = path.parent() {
                std::fs::File::open(folder)?.sync_all()?;
            }
            Ok(())
        })
        .await
        .map_err(|e| BlobError::Io(format!("syncing an object: {e}")))?
        .map_err(|e| BlobError::Io(format!("syncing an object: {e}")))
    }

    /// The data folder this store lives in.
    pub fn data_dir(&self) -> &Path {
        &self.root
    }

    /// Removes what uploads cut off by a crash (kill -9, power loss) left behind: the local
    /// store stages an upload as `<key>#<n>` next to its key and renames it when complete, so a
    /// process that dies mid-upload leaves the staging file. Only files untouched for
    /// `older_than` go, so uploads in flight in another process on the same folder are safe.
    /// Returns how many were removed. The server calls this at start.
    pub async fn remove_stale_uploads(&self, older_than: Duration) -> Result<usize, BlobError> {
        let dirs = [
            self.root.join(&self.input_name),
            self.root.join(&self.output_name),
        ];
        tokio::task::spawn_blocking(move || {
            let mut removed = 0;
            for dir in dirs {
                removed += sweep_staging(&dir, older_than)?;
            }
            Ok(removed)
        })
        .await
        .map_err(|e| BlobError::Io(format!("sweep task: {e}")))?
    }

    /// Which bucket a name in a signed URL path means.
    pub fn bucket_by_name(&self, name: &str) -> Option<Bucket> {
        if name == self.input_name {
            Some(Bucket::Input)
        } else if name == self.output_name {
            Some(Bucket::Output)
        } else {
            None
        }
    }

    /// The signer of this store's URLs, which the API's signed routes verify requests with.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    fn signed_url(&self, grant: &Grant) -> Result<String, BlobError> {
        let signature = self.signer.sign(grant);
        let mut url = self.public_base_url.clone();
        url.path_segments_mut()
            .map_err(|_| BlobError::Io("public base URL cannot take a path".into()))?
            .pop_if_empty()
            .extend(["v1", "blob", grant.bucket])
            .extend(grant.key.split('/'));
        url.query_pairs_mut()
            .clear()
            .append_pair("expires", &grant.expires.to_string())
            .append_pair("signature", &signature);
        Ok(url.into())
    }
}

#[async_trait::async_trait]
impl BlobStore for LocalBlobStore {
    fn buckets(&self) -> &Buckets {
        &self.buckets
    }

    async fn made_durable(&self, b: Bucket, key: &str) -> Result<(), BlobError> {
        self.make_durable(b, key).await
    }

    /// A download's URL does not carry the content type: the API's download route sets the
    /// headers (it knows the format). An upload's must be sent with exactly its type.
    async fn sign(&self, url: &UrlToSign<'_>) -> Result<String, BlobError> {
        object_path(url.key)?;
        let (method, content_type) = match url.access {
            Access::Get => ("GET", None),
            Access::Put => ("PUT", Some(url.content_type)),
        };
        let expires = chrono::Utc::now()
            .timestamp()
            .saturating_add(i64::try_from(url.expires_in.as_secs()).unwrap_or(i64::MAX));
        self.signed_url(&Grant {
            method,
            bucket: self.buckets.name(url.bucket),
            key: url.key,
            expires,
            content_type,
        })
    }
}
