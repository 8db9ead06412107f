//! The storage trait every backend implements (local folder now, S3 next).

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::BoxStream;

use crate::BlobError;

/// The two buckets: uploaded inputs and rendered outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    Input,
    Output,
}

/// A body read from the store.
pub type ByteStream = BoxStream<'static, Result<Bytes, BlobError>>;

#[async_trait::async_trait]
pub trait BlobStore: Send + Sync {
    /// The configured bucket name (for `s3://<bucket>/<key>` URIs and signed URL paths).
    fn bucket_name(&self, b: Bucket) -> &str;
    /// `s3://<bucket>/<key>`.
    fn s3_uri(&self, b: Bucket, key: &str) -> String {
        format!("s3://{}/{}", self.bucket_name(b), key)
    }
    /// Streams `body` into `key`; returns the byte count. Past `max_bytes` → TooLarge and
    /// nothing is stored. The object becomes visible under `key` only once complete; an
    /// existing object under `key` is replaced.
    async fn put_stream(
        &self,
        b: Bucket,
        key: &str,
        body: BoxStream<'static, Result<Bytes, std::io::Error>>,
        max_bytes: u64,
    ) -> Result<u64, BlobError>;
    /// Streams a local file into `key`.
    async fn put_file(&self, b: Bucket, key: &str, path: &Path) -> Result<u64, BlobError>;
    /// Streams `key` into a local file (created or truncated); returns the byte count.
    async fn get_to_file(&self, b: Bucket, key: &str, path: &Path) -> Result<u64, BlobError>;
    /// The size and a stream of the body. NotFound if missing.
    async fn get_stream(&self, b: Bucket, key: &str) -> Result<(u64, ByteStream), BlobError>;
    /// The size, or `None` if missing.
    async fn head(&self, b: Bucket, key: &str) -> Result<Option<u64>, BlobError>;
    /// Removes `key`; a missing object is Ok.
    async fn delete(&self, b: Bucket, key: &str) -> Result<(), BlobError>;
    /// Removes every object under the folder `prefix` (whole path segments, as object stores
    /// list: `inputs/job1` removes `inputs/job1/a.wav`, not `inputs/job1.wav`).
    async fn delete_prefix(&self, b: Bucket, prefix: &str) -> Result<(), BlobError>;
    /// Keys under `prefix` last written more than `age` ago.
    async fn list_older_than(
        &self,
        b: Bucket,
        prefix: &str,
        age: std::time::Duration,
    ) -> Result<Vec<String>, BlobError>;
    /// Moves an object to another key of the same bucket (replacing what is there): a rename on
    /// the local folder, a server-side copy and delete on S3.
    async fn rename(&self, b: Bucket, from: &str, to: &str) -> Result<(), BlobError>;
    /// A full URL that downloads `key` without an API key until it expires. Where the store
    /// serves the download itself (S3), the response is an attachment of `content_type`,
    /// whatever the uploader declared.
    async fn presign_get(
        &self,
        b: Bucket,
        key: &str,
        content_type: &str,
        expires_in: Duration,
    ) -> Result<String, BlobError>;
    /// A full URL that accepts one PUT of `key` with exactly this `Content-Type` until it expires.
    async fn presign_put(
        &self,
        b: Bucket,
        key: &str,
        content_type: &str,
        expires_in: Duration,
    ) -> Result<String, BlobError>;
}
