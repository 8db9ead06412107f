//! Where jobs' audio and transcripts are kept, shared by `serve` and `worker`: an S3-compatible
//! store when any of its settings is given, else the embedded default (folders in the data
//! folder, URLs signed by the server).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Where a process keeps its state: the data folder and the database URL, and the buckets
/// (`serve` and `worker` take the same).
#[derive(Debug, clap::Args)]
pub struct Backends {
    #[command(flatten)]
    pub data: super::keys::DataDir,
    #[command(flatten)]
    pub storage: Storage,
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Storage {
    /// `http(s)://host[:port]` of an S3-compatible store (custom endpoints use path-style URLs);
    /// unset with the buckets set: AWS S3 itself.
    #[arg(long, env = "VERBATIM_S3_ENDPOINT")]
    s3_endpoint: Option<String>,
    /// The S3 region [default: AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1].
    #[arg(long, env = "VERBATIM_S3_REGION")]
    s3_region: Option<String>,
    /// The S3 bucket of inputs (any S3 setting requires both buckets).
    #[arg(long, env = "VERBATIM_INPUT_BUCKET")]
    input_bucket: Option<String>,
    /// The S3 bucket of outputs (any S3 setting requires both buckets).
    #[arg(long, env = "VERBATIM_OUTPUT_BUCKET")]
    output_bucket: Option<String>,
}

impl Storage {
    /// The S3 store's configuration, `None` when no S3 setting is given (the local store is
    /// wanted). `aws`: the process's `AWS_*` variables (see [`aws_environment`]), which give
    /// the credentials and the region's fallbacks.
    pub fn s3_config(&self, aws: Vec<(String, String)>) -> Result<Option<blob::S3Config>, String> {
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let endpoint = given(&self.s3_endpoint);
        let input = given(&self.input_bucket);
        let output = given(&self.output_bucket);
        // The output bucket alone also means S3 (and then fails for want of the input one):
        // silently falling back to local storage would hide a half-done configuration.
        if endpoint.is_none() && input.is_none() && output.is_none() {
            return Ok(None);
        }
        let need = |v: Option<String>, name: &str| {
            v.ok_or_else(|| format!("S3 storage is configured but {name} is not set"))
        };
        let aws_value = |name: &str| {
            aws.iter()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| given(&Some(v.clone())))
        };
        let region = given(&self.s3_region)
            .or_else(|| aws_value("AWS_REGION"))
            .or_else(|| aws_value("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".to_string());
        Ok(Some(blob::S3Config {
            endpoint,
            region,
            input_bucket: need(input, "VERBATIM_INPUT_BUCKET")?,
            output_bucket: need(output, "VERBATIM_OUTPUT_BUCKET")?,
            aws: aws.into(),
        }))
    }

    /// The blob store these settings pick; on the local store, what uploads cut off by a crash
    /// left behind is swept first. The second value is the local store when it is the one in
    /// use (only then are the signed `/v1/blob/...` routes served).
    #[allow(clippy::type_complexity)]
    pub async fn open(
        &self,
        data_dir: &Path,
        public_url: &str,
    ) -> anyhow::Result<(Arc<dyn blob::BlobStore>, Option<Arc<blob::LocalBlobStore>>)> {
        let (blobs, local) = self
            .s3_config(aws_environment())
            .map_err(blob::BlobError::Io)
            .and_then(|s3| blob::open(s3, data_dir, public_url))
            .map_err(|e| anyhow::anyhow!("cannot open the blob store: {e}"))?;
        match &local {
            Some(local) => match local
                .remove_stale_uploads(Duration::from_secs(24 * 3600))
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "removed uploads left behind by a crash"),
                Err(e) => tracing::warn!(error = %e, "could not sweep stale uploads"),
            },
            None => tracing::info!(
                input = blobs.bucket_name(blob::Bucket::Input),
                output = blobs.bucket_name(blob::Bucket::Output),
                "using S3"
            ),
        }
        Ok((blobs, local))
    }
}

/// The process's `AWS_*` variables: the S3 client's credentials and their providers
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, web identity, container
/// credentials…), read as `object_store` would read them itself.
pub fn aws_environment() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| k.starts_with("AWS_"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn storage(vars: &[(&str, &str)]) -> Storage {
        let var = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        Storage {
            s3_endpoint: var("VERBATIM_S3_ENDPOINT"),
            s3_region: var("VERBATIM_S3_REGION"),
            input_bucket: var("VERBATIM_INPUT_BUCKET"),
            output_bucket: var("VERBATIM_OUTPUT_BUCKET"),
        }
    }

    fn refused(vars: &[(&str, &str)], why: &str) {
        match storage(vars).s3_config(Vec::new()) {
            Err(e) => assert!(e.contains(why), "{vars:?}: {e}"),
            Ok(c) => panic!("{vars:?}: accepted as {c:?}"),
        }
    }

    #[test]
    fn no_s3_setting_means_the_local_store() {
        assert_eq!(storage(&[]).s3_config(Vec::new()), Ok(None));
        // Set but empty counts as not set.
        let empty = [("VERBATIM_S3_ENDPOINT", ""), ("VERBATIM_INPUT_BUCKET", " ")];
        assert_eq!(storage(&empty).s3_config(Vec::new()), Ok(None));
    }

    #[test]
    fn half_done_s3_configurations_are_refused_not_silently_local() {
        refused(
            &[("VERBATIM_INPUT_BUCKET", "in")],
            "VERBATIM_OUTPUT_BUCKET is not set",
        );
        refused(
            &[("VERBATIM_OUTPUT_BUCKET", "out")],
            "VERBATIM_INPUT_BUCKET is not set",
        );
        refused(
            &[("VERBATIM_S3_ENDPOINT", "http://127.0.0.1:9")],
            "VERBATIM_INPUT_BUCKET is not set",
        );
    }

    #[test]
    fn the_region_falls_back_on_the_aws_variables() {
        let buckets = [
            ("VERBATIM_INPUT_BUCKET", "i"),
            ("VERBATIM_OUTPUT_BUCKET", "o"),
        ];
        let aws = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let region = |vars: &[(&str, &str)], env: &[(&str, &str)]| {
            storage(vars).s3_config(aws(env)).unwrap().unwrap().region
        };
        assert_eq!(region(&buckets, &[]), "us-east-1");
        assert_eq!(
            region(&buckets, &[("AWS_DEFAULT_REGION", "eu-west-3")]),
            "eu-west-3"
        );
        assert_eq!(
            region(
                &buckets,
                &[
                    ("AWS_DEFAULT_REGION", "eu-west-3"),
                    ("AWS_REGION", "eu-north-1")
                ]
            ),
            "eu-north-1"
        );
        let with_region = [buckets[0], buckets[1], ("VERBATIM_S3_REGION", "ap-south-1")];
        assert_eq!(
            region(&with_region, &[("AWS_REGION", "eu-north-1")]),
            "ap-south-1"
        );
        // The AWS variables travel on to the S3 client (its credentials).
        let config = storage(&buckets)
            .s3_config(aws(&[("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")]))
            .unwrap()
            .unwrap();
        assert_eq!(config.aws.0, aws(&[("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")]));
        assert_eq!((config.endpoint, config.input_bucket.as_str()), (None, "i"));
    }
}
