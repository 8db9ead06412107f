//! How the worker pool runs: how many workers, how long leases last, how failures are retried,
//! which models serve which requests. Plain values: the `verbatim` binary reads its settings
//! (command line and environment) and fills a [`WorkerConfig`] from them.

use std::path::PathBuf;
use std::time::Duration;

use blob::fetch::FetchPolicy;

/// The `model_code` of the contract's default model; its `operating_point` picks the model.
pub const DEFAULT_MODEL_CODE: &str = "slng/speechmatics/batch:15.0.0";

/// The enhanced model runs unquantised: int8 costs base more accuracy than it costs tiny.en
/// (`bench/operating_points.sh` on en_long: base int8 scored no better than tiny.en int8,
/// base float32 clearly better; see docs/transcription-options.md for the figures).
pub const ENHANCED_COMPUTE_TYPE: &str = "float32";

/// Six hours: longer than any meeting or lecture people send, short of what a few megabytes of
/// hostile FLAC can expand to.
pub const DEFAULT_MAX_AUDIO_SECONDS: f64 = 6.0 * 3600.0;

/// The largest input a job may have, uploaded or downloaded: 1 GiB.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 1 << 30;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Jobs run at the same time (one tokio task each).
    pub workers: usize,
    /// How long a claim holds a job without renewal. A worker that dies loses its jobs to
    /// another worker after at most this long.
    pub lease: Duration,
    /// How often a held lease is renewed: lease / 3 (two renewals' slack) but at least every
    /// [`MAX_RENEW_EVERY`], since a renewal is also when a worker learns that its job was
    /// cancelled.
    pub renew_every: Duration,
    /// A job whose worker-side failures (model, storage) reach this many attempts is FAILED.
    pub max_attempts: u32,
    /// A job claimed more often than this is FAILED at once: its worker keeps dying on it (a
    /// crash or out-of-memory kill never reaches the code that counts failures).
    pub max_claims: u32,
    /// First back-off after a worker-side failure; doubled on each further attempt.
    pub retry_base: Duration,
    /// The longest back-off.
    pub retry_max: Duration,
    /// Where installed models live (`asr::models`).
    pub models_dir: PathBuf,
    /// Model for the default model code with `operating_point: standard`.
    pub model_standard: String,
    /// Model for `operating_point: enhanced`, and for languages other than English when the
    /// standard model is English-only.
    pub model_enhanced: String,
    /// CPU threads given to each recognition.
    pub threads_per_worker: usize,
    /// Windows each recognition decodes together (`asr::WhisperConfig::batch_size`).
    pub batch_size: usize,
    /// Lanes each recognition splits its windows between (`asr::WhisperConfig::lanes`; 0: one
    /// per thread).
    pub lanes: usize,
    /// CTranslate2 compute type of the standard model and of models named by `model_code`
    /// (`"int8"`, `"float32"`, …; default: the asr crate's choice).
    pub compute_type: String,
    /// CTranslate2 compute type of the enhanced model (default [`ENHANCED_COMPUTE_TYPE`]).
    pub compute_type_enhanced: String,
    /// What URL input may reach.
    pub fetch_policy: FetchPolicy,
    /// Where `ffprobe` and `ffmpeg` are (for the formats symphonia cannot read).
    pub audio_tools: audio::Tools,
    /// The size cap of a downloaded URL input (the upload limit).
    pub max_input_bytes: u64,
    /// How long `shutdown` lets a running job finish before handing it back.
    pub shutdown_grace: Duration,
    /// How long an idle worker waits for a wake-up before polling the queue anyway.
    pub idle_poll: Duration,
    /// Where per-job scratch folders go (`None`: the system temp folder).
    pub scratch_dir: Option<PathBuf>,
    /// The longest audio a job may hold, in seconds (`VERBATIM_MAX_AUDIO_SECONDS`).
    pub max_audio_seconds: f64,
    /// A fixed wall-clock budget for every job (`VERBATIM_JOB_TIMEOUT`); `None`: the larger of
    /// [`WorkerConfig::job_timeout_floor`] and [`WorkerConfig::job_timeout_per_audio_second`]
    /// times the audio's duration. Past it the lease is no longer renewed and the job FAILS.
    pub job_timeout: Option<Duration>,
    pub job_timeout_floor: Duration,
    pub job_timeout_per_audio_second: f64,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        let cores = available_cores();
        let workers = default_workers(cores);
        let lease = Duration::from_secs(60);
        WorkerConfig {
            workers,
            lease,
            renew_every: renew_every(lease),
            max_attempts: 3,
            max_claims: 10,
            retry_base: Duration::from_secs(5),
            retry_max: Duration::from_secs(300),
            models_dir: PathBuf::from(asr::models::DEFAULT_MODELS_DIR),
            model_standard: "tiny.en".into(),
            model_enhanced: "base".into(),
            threads_per_worker: threads_per_worker(cores, workers),
            batch_size: asr::whisper::DEFAULT_BATCH_SIZE,
            lanes: 0,
            compute_type: asr::whisper::DEFAULT_COMPUTE_TYPE.into(),
            compute_type_enhanced: ENHANCED_COMPUTE_TYPE.into(),
            fetch_policy: FetchPolicy::default(),
            audio_tools: audio::Tools::default(),
            max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
            shutdown_grace: Duration::from_secs(20),
            idle_poll: Duration::from_secs(1),
            scratch_dir: None,
            max_audio_seconds: DEFAULT_MAX_AUDIO_SECONDS,
            job_timeout: None,
            job_timeout_floor: Duration::from_secs(15 * 60),
            job_timeout_per_audio_second: 4.0,
        }
    }
}

impl WorkerConfig {
    /// The job's wall-clock budget once its audio is known to last `audio_seconds`.
    pub fn job_budget(&self, audio_seconds: f64) -> Duration {
        self.job_timeout.unwrap_or_else(|| {
            let scaled = Duration::from_secs_f64(
                (audio_seconds.max(0.0) * self.job_timeout_per_audio_second).min(1e9),
            );
            scaled.max(self.job_timeout_floor)
        })
    }

    /// Refuses settings that would fail every job: an unknown compute type.
    pub fn validate(&self) -> Result<(), String> {
        for (variable, value) in [
            ("VERBATIM_COMPUTE_TYPE", &self.compute_type),
            (
                "VERBATIM_COMPUTE_TYPE_ENHANCED",
                &self.compute_type_enhanced,
            ),
        ] {
            asr::whisper::check_compute_type(value).map_err(|e| format!("{variable}: {e}"))?;
        }
        Ok(())
    }

    /// Sets the worker count and splits the cores between them.
    pub fn with_workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self.threads_per_worker = threads_per_worker(available_cores(), self.workers);
        self
    }

    /// Sets the lease and renews at a third of it, or every [`MAX_RENEW_EVERY`] when sooner.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self.renew_every = renew_every(lease);
        self
    }

    /// The back-off before attempt `attempts + 1`, after `attempts` worker-side failures.
    pub fn retry_after(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(20);
        self.retry_base
            .saturating_mul(1 << doublings)
            .min(self.retry_max)
    }
}

/// The longest time between two renewals of a held lease: a cancelled job's worker stops
/// within this.
pub const MAX_RENEW_EVERY: Duration = Duration::from_secs(5);

fn renew_every(lease: Duration) -> Duration {
    (lease / 3).min(MAX_RENEW_EVERY)
}

fn available_cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// One worker per four cores: recognition scales well to about four threads, and fewer
/// concurrent jobs keep each job's latency low.
fn default_workers(cores: usize) -> usize {
    (cores / 4).max(1)
}

fn threads_per_worker(cores: usize, workers: usize) -> usize {
    (cores / workers.max(1)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let c = WorkerConfig {
            retry_base: Duration::from_secs(5),
            retry_max: Duration::from_secs(60),
            ..Default::default()
        };
        assert_eq!(c.retry_after(1), Duration::from_secs(5));
        assert_eq!(c.retry_after(2), Duration::from_secs(10));
        assert_eq!(c.retry_after(3), Duration::from_secs(20));
        assert_eq!(c.retry_after(5), Duration::from_secs(60));
        assert_eq!(c.retry_after(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn unknown_compute_types_are_refused_by_name() {
        assert!(WorkerConfig::default().validate().is_ok());
        let c = WorkerConfig {
            compute_type_enhanced: "int3".into(),
            ..Default::default()
        };
        let e = c.validate().unwrap_err();
        assert!(
            e.contains("VERBATIM_COMPUTE_TYPE_ENHANCED") && e.contains("int3"),
            "{e}"
        );
        let c = WorkerConfig {
            compute_type: "float64".into(),
            ..Default::default()
        };
        assert!(c.validate().unwrap_err().contains("VERBATIM_COMPUTE_TYPE:"));
    }

    #[test]
    fn threads_split_between_workers() {
        assert_eq!(threads_per_worker(16, 4), 4);
        assert_eq!(threads_per_worker(2, 4), 1);
        assert_eq!(threads_per_worker(3, 2), 1);
        assert_eq!(default_workers(2), 1);
        assert_eq!(default_workers(16), 4);
        let c = WorkerConfig::default().with_workers(0);
        assert_eq!(c.workers, 1);
        assert!(c.threads_per_worker >= 1);
    }
}
