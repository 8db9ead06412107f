//! The storage trait the api and the worker use: every object operation is written once, over
//! the backend's two object stores ([`Buckets`]); a backend (local folder, S3) adds only what
//! differs (its bucket names, what makes a write durable, and how it signs URLs).

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::BoxStream;

use crate::objects::Buckets;
use crate::BlobError;

/// The two buckets: uploaded inputs and rendered outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    Input,
    Output,
}

/// A body read from the store.
pub type ByteStream = BoxStream<'static, Result<Bytes, BlobError>>;

/// What a signed URL allows: downloading the object, or one upload of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Get,
    Put,
}

/// One URL for a backend to sign: `access` to `key` in `bucket` until `expires_in` has passed;
/// `content_type` is the type a download is served as, or the one an upload must declare.
pub struct UrlToSign<'a> {
    pub access: Access,
    pub bucket: Bucket,
    pub key: &'a str,
    pub content_type: &'a str,
    pub expires_in: Duration,
}

/// The storage the api and the worker use. A backend supplies only what differs (its two
/// object stores, what makes a write durable, how it signs URLs); every object operation is
/// written once, here, over its [`Buckets`].
#[async_trait::async_trait]
pub trait BlobStore: Send + Sync {
    /// The backend's two object stores.
    #[doc(hidden)]
    fn buckets(&self) -> &Buckets;
    /// Called after an object was written under `key` (put or rename), before the write is
    /// reported done (so before the job store records the key). Nothing to do where the
    /// store has made the object durable once it acknowledges the write (S3).
    #[doc(hidden)]
    async fn made_durable(&self, _b: Bucket, _key: &str) -> Result<(), BlobError> {
        Ok(())
    }
    /// The URL of [`BlobStore::presign`].
    #[doc(hidden)]
    async fn sign(&self, url: &UrlToSign<'_>) -> Result<String, BlobError>;

    /// The configured bucket name (for `s3://<bucket>/<key>` URIs and signed URL paths).
    fn bucket_name(&self, b: Bucket) -> &str {
        self.buckets().name(b)
    }
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
    ) -> Result<u64, BlobError> {
        let size = self.buckets().put_stream(b, key, body, max_bytes).await?;
        self.made_durable(b, key).await?;
        Ok(size)
    }
    /// Streams a local file into `key`.
    async fn put_file(&self, b: Bucket, key: &str, path: &Path) -> Result<u64, BlobError> {
        let size = self.buckets().put_file(b, key, path).await?;
        self.made_durable(b, key).await?;
        Ok(size)
    }
    /// Streams `key` into a local file (created or truncated); returns the byte count.
    async fn get_to_file(&self, b: Bucket, key: &str, path: &Path) -> Result<u64, BlobError> {
        self.buckets().get_to_file(b, key, path).await
    }
    /// The size and a stream of the body. NotFound if missing.
    async fn get_stream(&self, b: Bucket, key: &str) -> Result<(u64, ByteStream), BlobError> {
        self.buckets().get_stream(b, key).await
    }
    /// A part of the body: the bytes `range` (a download resumed, a player seeking). NotFound if
    /// missing.
    async fn get_range_stream(
        &self,
        b: Bucket,
        key: &str,
        range: std::ops::Range<u64>,
    ) -> Result<ByteStream, BlobError> {
        self.buckets().get_range_stream(b, key, range).await
    }
    /// The size, or `None` if missing.
    async fn head(&self, b: Bucket, key: &str) -> Result<Option<u64>, BlobError> {
        self.buckets().head(b, key).await
    }
    /// Removes `key`; a missing object is Ok.
    async fn delete(&self, b: Bucket, key: &str) -> Result<(), BlobError> {
        self.buckets().delete(b, key).await
    }
    /// Removes every object under the folder `prefix` (whole path segments, as object stores
    /// list: `inputs/job1` removes `inputs/job1/a.wav`, not `inputs/job1.wav`).
    async fn delete_prefix(&self, b: Bucket, prefix: &str) -> Result<(), BlobError> {
        self.buckets().delete_prefix(b, prefix).await
    }
    /// Keys under `prefix` last written more than `age` ago.
    async fn list_older_than(
        &self,
        b: Bucket,
        prefix: &str,
        age: Duration,
    ) -> Result<Vec<String>, BlobError> {
        self.buckets().list_older_than(b, prefix, age).await
    }
    /// Moves an object to another key of the same bucket (replacing what is there): a rename on
    /// the local folder, a server-side copy and delete on S3.
    async fn rename(&self, b: Bucket, from: &str, to: &str) -> Result<(), BlobError> {
        self.buckets().rename(b, from, to).await?;
        self.made_durable(b, to).await
    }
    /// A full URL for one kind of request on `key` without an API key, until it expires.
    /// [`Access::Get`] downloads; where the store serves the download itself (S3), the
    /// response is an attachment of `content_type`, whatever the uploader declared.
    /// [`Access::Put`] accepts one upload with exactly this `Content-Type`.
    async fn presign(
        &self,
        access: Access,
        bucket: Bucket,
        key: &str,
        content_type: &str,
        expires_in: Duration,
    ) -> Result<String, BlobError> {
        self.sign(&UrlToSign {
            access,
            bucket,
            key,
            content_type,
            expires_in,
        })
        .await
    }
}
