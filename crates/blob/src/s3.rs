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

use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::signer::Signer as _;
use reqwest::Method;

use crate::objects::{object_path, Buckets};
use crate::sigv4;
use crate::store::{Access, UrlToSign};
use crate::{BlobError, BlobStore, Bucket};

/// SigV4 refuses presigned URLs valid for more than seven days.
const MAX_PRESIGN: Duration = Duration::from_secs(7 * 24 * 3600);

/// Where the S3 store is and how to reach it. Nothing here is read from the environment: the
/// `verbatim` binary fills it from its settings (`VERBATIM_S3_*`, the bucket variables and the
/// process's `AWS_*` variables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    /// `http(s)://host[:port]` of an S3-compatible server; `None` = AWS S3 itself.
    pub endpoint: Option<String>,
    pub region: String,
    pub input_bucket: String,
    pub output_bucket: String,
    /// Settings of the S3 client under their AWS environment names; the fields above override
    /// them.
    pub aws: AwsSettings,
}

/// Settings of the S3 client under their AWS environment names (`AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_WEB_IDENTITY_TOKEN_FILE`,
/// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`…), applied as `object_store` applies the process's
/// own in `AmazonS3Builder::from_env`; names it does not know are ignored. Without
/// credentials, `object_store` asks the instance metadata service (on AWS).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct AwsSettings(pub Vec<(String, String)>);

/// Secrets stay out of logs: the settings are shown by name only.
impl std::fmt::Debug for AwsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(name, _)| name))
            .finish()
    }
}

impl From<Vec<(String, String)>> for AwsSettings {
    fn from(settings: Vec<(String, String)>) -> Self {
        AwsSettings(settings)
    }
}

impl FromIterator<(String, String)> for AwsSettings {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(settings: I) -> Self {
        AwsSettings(settings.into_iter().collect())
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
        let client = |bucket: &str| -> Result<Arc<AmazonS3>, BlobError> {
            // The AWS settings first (credentials and their providers); ours override the rest.
            let mut b = AmazonS3Builder::new();
            for (name, value) in &config.aws.0 {
                if let Ok(key) = name.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
                    b = b.with_config(key, value);
                }
            }
            let mut b = b.with_bucket_name(bucket).with_region(&config.region);
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
        let buckets = Buckets::new(
            (&config.input_bucket, input.clone()),
            (&config.output_bucket, output.clone()),
        )?;
        Ok(S3BlobStore {
            config,
            input,
            output,
            buckets,
        })
    }

    pub fn config(&self) -> &S3Config {
        &self.config
    }

    fn client(&self, b: Bucket) -> &AmazonS3 {
        match b {
            Bucket::Input => &self.input,
            Bucket::Output => &self.output,
        }
    }

    async fn presign(&self, method: Method, url: &UrlToSign<'_>) -> Result<String, BlobError> {
        let path = object_path(url.key)?;
        let signed = self
            .client(url.bucket)
            .signed_url(method, &path, url.expires_in.min(MAX_PRESIGN))
            .await?;
        Ok(signed.into())
    }

    /// Signed with `response-content-type` and `response-content-disposition: attachment`, so
    /// a download can never render as a page in the store's origin.
    async fn sign_get(&self, url: &UrlToSign<'_>) -> Result<String, BlobError> {
        // object_store's URL gives the object's address in the configured style; the query is
        // signed again with the response parameters inside.
        let mut signed = url::Url::parse(&self.presign(Method::GET, url).await?)
            .map_err(|e| BlobError::Io(format!("presigned URL: {e}")))?;
        signed.set_query(None);
        let credential = self
            .client(url.bucket)
            .credentials()
            .get_credential()
            .await?;
        let credential = sigv4::Credential {
            key_id: &credential.key_id,
            secret_key: &credential.secret_key,
            token: credential.token.as_deref(),
        };
        let disposition = crate::attachment_disposition(url.key);
        let params = [
            ("response-content-type", url.content_type),
            ("response-content-disposition", disposition.as_str()),
        ];
        let expires = url.expires_in.min(MAX_PRESIGN).as_secs().max(1);
        sigv4::presign_get(
            &mut signed,
            &credential,
            &self.config.region,
            chrono::Utc::now(),
            expires,
            &params,
        );
        Ok(signed.into())
    }
}

#[async_trait::async_trait]
impl BlobStore for S3BlobStore {
    fn buckets(&self) -> &Buckets {
        &self.buckets
    }

    /// An upload's URL: see the module docs, the signature does not cover its content type.
    async fn sign(&self, url: &UrlToSign<'_>) -> Result<String, BlobError> {
        match url.access {
            Access::Get => self.sign_get(url).await,
            Access::Put => self.presign(Method::PUT, url).await,
        }
    }
}
