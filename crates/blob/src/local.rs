//! The embedded default: two folders under the data folder, and URLs signed by ourselves.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::BoxStream;

use crate::{BlobError, BlobStore, Bucket, ByteStream, Signer};

pub struct LocalBlobStore {
    #[allow(dead_code)]
    root: PathBuf,
    public_base_url: url::Url,
    input_name: String,
    output_name: String,
    #[allow(dead_code)]
    input: Arc<dyn object_store::ObjectStore>,
    #[allow(dead_code)]
    output: Arc<dyn object_store::ObjectStore>,
    signer: Signer,
}

impl LocalBlobStore {
    /// Opens (creating what is missing) `data_dir/<input_bucket>/`, `data_dir/<output_bucket>/`
    /// and the signing secret `data_dir/signing.key`. `public_base_url` is how clients reach
    /// this server (e.g. `http://127.0.0.1:8080`); signed URLs are
    /// `{public_base_url}/v1/blob/{bucket}/{key}?expires=<unix>&signature=<hex>`.
    pub fn open(data_dir: &Path, public_base_url: &str, input_bucket: &str, output_bucket: &str) -> Result<Self, BlobError> {
        let _ = (data_dir, public_base_url, input_bucket, output_bucket);
        todo!()
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

    /// Checks a signed URL's fields: `method` of the request, `bucket` name and `key` from the
    /// path (decoded), `expires` and `signature` from the query, and for PUT the request's
    /// Content-Type. Forbidden (any changed byte) or Expired.
    pub fn verify(&self, method: &str, bucket: &str, key: &str, expires: i64, content_type: Option<&str>, signature: &str) -> Result<(), BlobError> {
        self.signer.verify(method, bucket, key, expires, content_type, signature)
    }

    #[allow(dead_code)]
    fn base(&self) -> &url::Url {
        &self.public_base_url
    }
}

#[async_trait::async_trait]
impl BlobStore for LocalBlobStore {
    fn bucket_name(&self, b: Bucket) -> &str {
        match b {
            Bucket::Input => &self.input_name,
            Bucket::Output => &self.output_name,
        }
    }
    async fn put_stream(&self, _b: Bucket, _key: &str, _body: BoxStream<'static, Result<Bytes, std::io::Error>>, _max: u64) -> Result<u64, BlobError> { todo!() }
    async fn put_file(&self, _b: Bucket, _key: &str, _path: &Path) -> Result<u64, BlobError> { todo!() }
    async fn get_to_file(&self, _b: Bucket, _key: &str, _path: &Path) -> Result<u64, BlobError> { todo!() }
    async fn get_stream(&self, _b: Bucket, _key: &str) -> Result<(u64, ByteStream), BlobError> { todo!() }
    async fn head(&self, _b: Bucket, _key: &str) -> Result<Option<u64>, BlobError> { todo!() }
    async fn delete(&self, _b: Bucket, _key: &str) -> Result<(), BlobError> { todo!() }
    async fn delete_prefix(&self, _b: Bucket, _prefix: &str) -> Result<(), BlobError> { todo!() }
    async fn presign_get(&self, _b: Bucket, _key: &str, _e: Duration) -> Result<String, BlobError> { todo!() }
    async fn presign_put(&self, _b: Bucket, _key: &str, _ct: &str, _e: Duration) -> Result<String, BlobError> { todo!() }
}
