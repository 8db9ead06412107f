//! The storage half of a [`crate::BlobStore`], generic over any `object_store` backend: the
//! local folder now, S3 in issue 4 (only URL signing differs between the two).

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, WriteMultipart};
use tokio::io::AsyncWriteExt;

use crate::{validate_key, BlobError, Bucket, ByteStream};

/// Bytes buffered before a part is handed to the backend: S3's smallest part size, so the same
/// code streams to S3; also the memory an upload costs, times the parts in flight.
const PART_SIZE: usize = 5 * 1024 * 1024;
/// Parts written concurrently at most.
const PARTS_IN_FLIGHT: usize = 2;

/// A backend's two buckets: their names and their object stores.
pub struct Buckets {
    input: (String, Arc<dyn ObjectStore>),
    output: (String, Arc<dyn ObjectStore>),
}

/// The object path of a key. Characters that object stores avoid (`%`, `{`, `]`, ...) are
/// percent-encoded in the stored name, always the same way, so every key maps to one object.
pub(crate) fn object_path(key: &str) -> Result<ObjectPath, BlobError> {
    validate_key(key)?;
    Ok(ObjectPath::from_iter(key.split('/')))
}

impl Buckets {
    /// Refuses one bucket for both: the two sides' keys and lifetimes must not mix.
    pub fn new(
        input: (&str, Arc<dyn ObjectStore>),
        output: (&str, Arc<dyn ObjectStore>),
    ) -> Result<Self, BlobError> {
        if input.0 == output.0 {
            return Err(BlobError::Io(format!(
                "the input and output buckets must differ (both {:?})",
                input.0
            )));
        }
        Ok(Buckets {
            input: (input.0.to_string(), input.1),
            output: (output.0.to_string(), output.1),
        })
    }

    pub fn name(&self, b: Bucket) -> &str {
        match b {
            Bucket::Input => &self.input.0,
            Bucket::Output => &self.output.0,
        }
    }

    fn of(&self, b: Bucket) -> &Arc<dyn ObjectStore> {
        match b {
            Bucket::Input => &self.input.1,
            Bucket::Output => &self.output.1,
        }
    }

    pub async fn put_stream(
        &self,
        b: Bucket,
        key: &str,
        mut body: BoxStream<'static, Result<Bytes, std::io::Error>>,
        max_bytes: u64,
    ) -> Result<u64, BlobError> {
        let path = object_path(key)?;
        let upload = self.of(b).put_multipart(&path).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut total: u64 = 0;
        // Any way out before `finish` aborts the upload, so nothing is left under the key
        // (the local store deletes its staging file; S3 drops the parts).
        let failure = loop {
            let chunk = match body.next().await {
                None => break None,
                Some(Ok(chunk)) => chunk,
                Some(Err(e)) => break Some(BlobError::Io(format!("reading the upload body: {e}"))),
            };
            total += chunk.len() as u64;
            if total > max_bytes {
                break Some(BlobError::TooLarge);
            }
            if let Err(e) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                break Some(e.into());
            }
            writer.write(&chunk);
        };
        match failure {
            Some(e) => {
                let _ = writer.abort().await;
                Err(e)
            }
            None => {
                writer.finish().await?;
                Ok(total)
            }
        }
    }

    pub async fn put_file(&self, b: Bucket, key: &str, file: &Path) -> Result<u64, BlobError> {
        let f = tokio::fs::File::open(file)
            .await
            .map_err(|e| BlobError::Io(format!("{}: {e}", file.display())))?;
        let body = tokio_util::io::ReaderStream::with_capacity(f, 256 * 1024).boxed();
        self.put_stream(b, key, body, u64::MAX).await
    }

    pub async fn rename(&self, b: Bucket, from: &str, to: &str) -> Result<(), BlobError> {
        self.of(b)
            .rename(&object_path(from)?, &object_path(to)?)
            .await?;
        Ok(())
    }

    pub async fn get_stream(&self, b: Bucket, key: &str) -> Result<(u64, ByteStream), BlobError> {
        let path = object_path(key)?;
        let got = self.of(b).get(&path).await?;
        let size = got.meta.size;
        Ok((size, got.into_stream().map_err(BlobError::from).boxed()))
    }

    /// The bytes `range` of the object (its end clamped to the object's size). NotFound if missing.
    pub async fn get_range_stream(
        &self,
        b: Bucket,
        key: &str,
        range: std::ops::Range<u64>,
    ) -> Result<ByteStream, BlobError> {
        let path = object_path(key)?;
        let options = object_store::GetOptions {
            range: Some(object_store::GetRange::Bounded(range)),
            ..Default::default()
        };
        let got = self.of(b).get_opts(&path, options).await?;
        Ok(got.into_stream().map_err(BlobError::from).boxed())
    }

    pub async fn get_to_file(&self, b: Bucket, key: &str, file: &Path) -> Result<u64, BlobError> {
        let (_, mut stream) = self.get_stream(b, key).await?;
        let io = |e: std::io::Error| BlobError::Io(format!("{}: {e}", file.display()));
        let mut out = tokio::fs::File::create(file).await.map_err(io)?;
        let mut total = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            total += chunk.len() as u64;
            out.write_all(&chunk).await.map_err(io)?;
        }
        out.flush().await.map_err(io)?;
        Ok(total)
    }

    pub async fn head(&self, b: Bucket, key: &str) -> Result<Option<u64>, BlobError> {
        match self.of(b).head(&object_path(key)?).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete(&self, b: Bucket, key: &str) -> Result<(), BlobError> {
        match self.of(b).delete(&object_path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn list_older_than(
        &self,
        b: Bucket,
        prefix: &str,
        age: std::time::Duration,
    ) -> Result<Vec<String>, BlobError> {
        let prefix = object_path(prefix.trim_end_matches('/'))?;
        let cutoff = chrono::Utc::now() - chrono::Duration::from_std(age).unwrap_or_default();
        let mut listing = self.of(b).list(Some(&prefix));
        let mut old = Vec::new();
        while let Some(meta) = listing.next().await {
            match meta {
                Ok(meta) if meta.last_modified < cutoff => old.push(meta.location.to_string()),
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(old)
    }

    pub async fn delete_prefix(&self, b: Bucket, prefix: &str) -> Result<(), BlobError> {
        let prefix = object_path(prefix.trim_end_matches('/'))?;
        let store = self.of(b);
        let mut listing = store.list(Some(&prefix));
        while let Some(meta) = listing.next().await {
            let meta = match meta {
                Ok(m) => m,
                Err(object_store::Error::NotFound { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            match store.delete(&meta.location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}
