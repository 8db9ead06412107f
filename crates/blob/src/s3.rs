//! The fleet backend: any S3-compatible object store (AWS S3, MinIO, Ceph, R2, ...) through
//! `object_store`'s AmazonS3. Storage is the shared `objects` half (streamed multipart uploads,
//! aborted on any failure or past the byte limit, so nothing is left behind); URLs are genuine
//! SigV4 query-string presigned URLs of the store itself, fetched by clients straight from it.
//!
//! Presigned PUT and Content-Type: object_store signs only the `host` header
//! (`X-Amz-SignedHeaders=host`), so the signature does NOT cover the Content-Type. A client
//! should still send the Content-Type the API gave it in `upload.headers` (S3 stores it as the
//! object's metadata), but the store will not refuse another one. Nothing relies on it: the
//! worker probes the bytes themselves, never the declared type.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::BoxStream;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::signer::Signer as _;
use reqwest::Method;

use crate::objects::{object_path, Buckets};
use crate::sigv4;
use crate::{BlobError, BlobStore, Bucket, ByteStream};

/// SigV4 refuses presigned URLs valid for more than seven days.
const MAX_PRESIGN: Duration = Duration::from_secs(7 * 24 * 3600);

/// Where the S3 store is. Credentials are not here: they come from the usual AWS variables
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) or, on AWS, from the
/// instance / container / web-identity providers that `object_store` knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    /// `http(s)://host[:port]` of an S3-compatible server; `None` = AWS S3 itself.
    pub endpoint: Option<String>,
    pub region: String,
    pub input_bucket: String,
    pub output_bucket: String,
}

impl S3Config {
    /// From `VERBATIM_S3_ENDPOINT`, `VERBATIM_S3_REGION` (else `AWS_REGION`, `AWS_DEFAULT_REGION`,
    /// `us-east-1`),
    /// `VERBATIM_INPUT_BUCKET`, `VERBATIM_OUTPUT_BUCKET`. `Ok(None)` when none of the endpoint
    /// and buckets is set (the local store is wanted); an error when S3 is wanted but a bucket
    /// is missing.
    pub fn from_env() -> Result<Option<S3Config>, BlobError> {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let endpoint = var("VERBATIM_S3_ENDPOINT");
        let input = var("VERBATIM_INPUT_BUCKET");
        let output = var("VERBATIM_OUTPUT_BUCKET");
        // The output bucket alone also means S3 (and then fails for want of the input one):
        // silently falling back to local storage would hide a half-done configuration.
        if endpoint.is_none() && input.is_none() && output.is_none() {
            return Ok(None);
        }
        let need = |v: Option<String>, name: &str| {
            v.ok_or_else(|| {
                BlobError::Io(format!("S3 storage is configured but {name} is not set"))
            })
        };
        Ok(Some(S3Config {
            endpoint,
            region: var("VERBATIM_S3_REGION")
                .or_else(|| var("AWS_REGION"))
                .or_else(|| var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".to_string()),
            input_bucket: need(input, "VERBATIM_INPUT_BUCKET")?,
            output_bucket: need(output, "VERBATIM_OUTPUT_BUCKET")?,
        }))
    }
}

pub struct S3BlobStore {
    config: S3Config,
    input: Arc<AmazonS3>,
    output: Arc<AmazonS3>,
    buckets: Buckets,
}

impl S3BlobStore {
    /// Builds the clients (no request is made: a wrong endpoint or credentials show on first use).
    pub fn open(config: S3Config) -> Result<Self, BlobError> {
        if config.input_bucket == config.output_bucket {
            return Err(BlobError::Io(format!(
                "the input and output buckets must differ (both {:?})",
                config.input_bucket
            )));
        }
        let client = |bucket: &str| -> Result<Arc<AmazonS3>, BlobError> {
            // from_env: the AWS credential variables and providers; ours override the rest.
            let mut b = AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .with_region(&config.region);
            b = match &config.endpoint {
                Some(endpoint) => {
                    let url = url::Url::parse(endpoint)
                        .ok()
                        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                        .ok_or_else(|| BlobError::Io(format!("invalid VERBATIM_S3_ENDPOINT {endpoint:?}: need http(s)://host[:port]")))?;
                    // Custom endpoints get path-style URLs ({endpoint}/{bucket}/{key}): they
                    // rarely have wildcard DNS for bucket subdomains.
                    b.with_endpoint(endpoint.trim_end_matches('/'))
                        .with_allow_http(url.scheme() == "http")
                        .with_virtual_hosted_style_request(false)
                }
                None => b.with_virtual_hosted_style_request(true),
            };
            let s3 = b.build().map_err(|e| {
                BlobError::Io(format!("S3 configuration for bucket {bucket:?}: {e}"))
            })?;
            Ok(Arc::new(s3))
        };
        let input = client(&config.input_bucket)?;
        let output = client(&config.output_bucket)?;
        let buckets = Buckets {
            input: input.clone(),
            output: output.clone(),
        };
        Ok(S3BlobStore {
            config,
            input,
            output,
            buckets,
        })
    }

    /// Opens the store described by the environment (see [`S3Config::from_env`]), if any.
    pub fn from_env() -> Result<Option<Self>, BlobError> {
        S3Config::from_env()?.map(S3BlobStore::open).transpose()
    }

    pub fn config(&self) -> &S3Config {
        &self.config
    }

    async fn presign(
        &self,
        method: Method,
        b: Bucket,
        key: &str,
        expires_in: Duration,
    ) -> Result<String, BlobError> {
        let path = object_path(key)?;
        let client = match b {
            Bucket::Input => &self.input,
            Bucket::Output => &self.output,
        };
        let url = client
            .signed_url(method, &path, expires_in.min(MAX_PRESIGN))
            .await?;
        Ok(url.into())
    }
}

#[async_trait::async_trait]
impl BlobStore for S3BlobStore {
    fn bucket_name(&self, b: Bucket) -> &str {
        match b {
            Bucket::Input => &self.config.input_bucket,
            Bucket::Output => &self.config.output_bucket,
        }
    }

    async fn put_stream(
        &self,
        b: Bucket,
        key: &str,
        body: BoxStream<'static, Result<Bytes, std::io::Error>>,
        max_bytes: u64,
    ) -> Result<u64, BlobError> {
        self.buckets.put_stream(b, key, body, max_bytes).await
    }

    async fn put_file(&self, b: Bucket, key: &str, path: &Path) -> Result<u64, BlobError> {
        self.buckets.put_file(b, key, path).await
    }

    async fn list_older_than(
        &self,
        b: Bucket,
        prefix: &str,
        age: Duration,
    ) -> Result<Vec<String>, BlobError> {
        self.buckets.list_older_than(b, prefix, age).await
    }

    async fn rename(&self, b: Bucket, from: &str, to: &str) -> Result<(), BlobError> {
        self.buckets.rename(b, from, to).await
    }

    async fn get_to_file(&self, b: Bucket, key: &str, path: &Path) -> Result<u64, BlobError> {
        self.buckets.get_to_file(b, key, path).await
    }

    async fn get_stream(&self, b: Bucket, key: &str) -> Result<(u64, ByteStream), BlobError> {
        self.buckets.get_stream(b, key).await
    }

    async fn head(&self, b: Bucket, key: &str) -> Result<Option<u64>, BlobError> {
        self.buckets.head(b, key).await
    }

    async fn delete(&self, b: Bucket, key: &str) -> Result<(), BlobError> {
        self.buckets.delete(b, key).await
    }

    async fn delete_prefix(&self, b: Bucket, prefix: &str) -> Result<(), BlobError> {
        self.buckets.delete_prefix(b, prefix).await
    }

    /// Signed with `response-content-type` and `response-content-disposition: attachment`, so
    /// a download can never render as a page in the store's origin.
    async fn presign_get(
        &self,
        b: Bucket,
        key: &str,
        content_type: &str,
        expires_in: Duration,
    ) -> Result<String, BlobError> {
        // object_store's URL gives the object's address in the configured style; the query is
        // signed again with the response parameters inside.
        let mut url = url::Url::parse(&self.presign(Method::GET, b, key, expires_in).await?)
            .map_err(|e| BlobError::Io(format!("presigned URL: {e}")))?;
        url.set_query(None);
        let client = match b {
            Bucket::Input => &self.input,
            Bucket::Output => &self.output,
        };
        let credential = client.credentials().get_credential().await?;
        let credential = sigv4::Credential {
            key_id: &credential.key_id,
            secret_key: &credential.secret_key,
            token: credential.token.as_deref(),
        };
        let disposition = crate::attachment_disposition(key);
        let params = [
            ("response-content-type", content_type),
            ("response-content-disposition", disposition.as_str()),
        ];
        let expires = expires_in.min(MAX_PRESIGN).as_secs().max(1);
        sigv4::presign_get(
            &mut url,
            &credential,
            &self.config.region,
            chrono::Utc::now(),
            expires,
            &params,
        );
        Ok(url.into())
    }

    /// See the module docs: the signature does not cover `content_type`.
    async fn presign_put(
        &self,
        b: Bucket,
        key: &str,
        _content_type: &str,
        expires_in: Duration,
    ) -> Result<String, BlobError> {
        self.presign(Method::PUT, b, key, expires_in).await
    }
}
