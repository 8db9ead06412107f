//! Settings that bound what one job or one request may cost, shared by `serve` and `worker`
//! (docs/security.md lists each with its default and what happens at the limit).

use std::path::PathBuf;
use std::time::Duration;

use blob::fetch::FetchPolicy;

/// Where `input_url` may reach, and how long and how slowly it may download.
#[derive(Debug, Clone, clap::Args)]
pub struct UrlInput {
    /// Hosts of input_url allowed even when they resolve to private addresses (comma list).
    #[arg(long, env = "VERBATIM_URL_ALLOW_HOSTS", value_delimiter = ',')]
    url_allow_hosts: Vec<String>,
    /// A PEM file trusted for input_url in addition to the public roots.
    #[arg(long, env = "VERBATIM_URL_CA_CERT")]
    url_ca_cert: Option<PathBuf>,
    /// A proxy for input_url downloads. Proxy variables of the environment (HTTPS_PROXY…) are
    /// ignored: a proxy resolves names out of reach of the private-address check.
    #[arg(long, env = "VERBATIM_URL_PROXY")]
    url_proxy: Option<String>,
    /// The longest a whole input_url download may take (e.g. 30m, 90s, or seconds).
    #[arg(long, env = "VERBATIM_URL_TIMEOUT", value_parser = parse_duration, default_value = "30m")]
    url_timeout: Duration,
    /// The slowest accepted input_url download, in bytes per second over each 30 s.
    #[arg(long, env = "VERBATIM_URL_MIN_RATE", default_value_t = 16 * 1024)]
    url_min_rate: u64,
}

impl UrlInput {
    pub fn policy(&self) -> FetchPolicy {
        FetchPolicy {
            allow_hosts: self
                .url_allow_hosts
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
            extra_ca_cert: self.url_ca_cert.clone(),
            proxy: self.url_proxy.clone().filter(|p| !p.trim().is_empty()),
            total_timeout: self.url_timeout,
            min_bytes_per_second: self.url_min_rate,
            ..FetchPolicy::default()
        }
    }
}

/// How big an input, how long and how much audio one job may take.
#[derive(Debug, Clone, clap::Args)]
pub struct JobLimits {
    /// The largest input accepted, in bytes: an upload, or a download from input_url.
    #[arg(long, env = "VERBATIM_MAX_UPLOAD_BYTES", default_value_t = worker::DEFAULT_MAX_INPUT_BYTES)]
    pub max_upload_bytes: u64,
    /// The longest audio accepted, in seconds (refused from the headers, stopped while decoding).
    #[arg(long, env = "VERBATIM_MAX_AUDIO_SECONDS", default_value_t = worker::DEFAULT_MAX_AUDIO_SECONDS)]
    max_audio_seconds: f64,
    /// A fixed wall-clock budget per job (e.g. 20m); default: the larger of 15 min and 4 times
    /// the audio's duration.
    #[arg(long, env = "VERBATIM_JOB_TIMEOUT", value_parser = parse_duration)]
    job_timeout: Option<Duration>,
}

impl JobLimits {
    pub fn apply(&self, config: &mut worker::WorkerConfig) -> anyhow::Result<()> {
        if !(self.max_audio_seconds.is_finite() && self.max_audio_seconds > 0.0) {
            anyhow::bail!("VERBATIM_MAX_AUDIO_SECONDS must be a positive number of seconds");
        }
        config.max_input_bytes = self.max_upload_bytes;
        config.max_audio_seconds = self.max_audio_seconds;
        config.job_timeout = self.job_timeout;
        Ok(())
    }
}

/// How long a finished job's files are kept.
#[derive(Debug, Clone, clap::Args)]
pub struct Retention {
    /// How long a job's input and outputs are kept after it ends (e.g. 30d, 12h, 10s), then
    /// purged (the record stays, with `expired_at`); `off` keeps them. A job's own
    /// `retention_seconds` may shorten it.
    #[arg(long, env = "VERBATIM_RETENTION", value_parser = parse_retention, default_value = "30d")]
    pub retention: Kept,
}

/// A retention: a duration, or `None` for "forever".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kept(pub Option<Duration>);

fn parse_retention(text: &str) -> Result<Kept, String> {
    if text.trim().eq_ignore_ascii_case("off") {
        return Ok(Kept(None));
    }
    parse_duration(text).map(|d| Kept(Some(d)))
}

impl Retention {
    /// Starts the retention sweeper of this process (see `worker::retention`).
    pub fn start_sweeper(
        &self,
        jobs: std::sync::Arc<dyn jobs::JobStore>,
        blobs: std::sync::Arc<dyn blob::BlobStore>,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(worker::retention::sweep_forever(
            jobs,
            blobs,
            self.retention.0,
            api::IDEMPOTENCY_LIFETIME,
        ))
    }
}

/// What one client may cost the API: connections, uploads and request rates.
#[derive(Debug, Clone, clap::Args)]
pub struct HttpLimits {
    /// A connection that has not sent a whole request head within this long (on a new
    /// connection or between keep-alive requests) is closed.
    #[arg(long, env = "VERBATIM_HTTP_HEADER_TIMEOUT", value_parser = parse_duration, default_value = "30s")]
    pub http_header_timeout: Duration,
    /// The slowest accepted request body, in bytes per second over each 30 s (0: no floor).
    #[arg(long, env = "VERBATIM_BODY_MIN_RATE", default_value_t = 1024)]
    pub body_min_rate: u64,
    /// Uploads (multipart submissions, presigned PUTs) in flight at once; past it, 503.
    #[arg(long, env = "VERBATIM_MAX_CONCURRENT_UPLOADS", default_value_t = 64)]
    pub max_concurrent_uploads: usize,
    /// POST requests each API key may make per minute (0: no limit); past it, 429.
    #[arg(long, env = "VERBATIM_RATE_LIMIT_PER_MINUTE", default_value_t = 600)]
    pub rate_limit_per_minute: u32,
    /// Presigned uploads never completed and uploads cut off by a crash are removed once this
    /// old (checked every hour, or every half of this when shorter).
    #[arg(long, env = "VERBATIM_ORPHAN_AGE", value_parser = parse_duration, default_value = "24h")]
    pub orphan_age: Duration,
    /// How long an OpenAI-compatible request (/v1/audio/transcriptions) waits for its job;
    /// past it, 504 naming the batch job, which goes on.
    #[arg(long, env = "VERBATIM_OPENAI_WAIT", value_parser = parse_duration, default_value = "10m")]
    pub openai_wait: Duration,
    /// When set, /metrics wants `Authorization: Bearer <this token>`.
    #[arg(long, env = "VERBATIM_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

/// A duration as seconds ("90") or with units ("15m", "1h 30m").
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let duration = match text.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => humantime::parse_duration(text)
            .map_err(|e| format!("{text:?} is not a duration ({e})"))?,
    };
    if duration.is_zero() {
        return Err("a duration must be more than zero".into());
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retentions() {
        assert_eq!(
            parse_retention("30d"),
            Ok(Kept(Some(Duration::from_secs(30 * 86400))))
        );
        assert_eq!(
            parse_retention("10s"),
            Ok(Kept(Some(Duration::from_secs(10))))
        );
        assert_eq!(parse_retention("off"), Ok(Kept(None)));
        assert_eq!(parse_retention(" OFF "), Ok(Kept(None)));
        assert!(parse_retention("0").is_err());
        assert!(parse_retention("never").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
