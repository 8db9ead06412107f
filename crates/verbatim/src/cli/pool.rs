//! Settings of the workers a process runs, shared by `serve` and `worker`: the models, the
//! decoder programs, leases and shutdown, and the limits of one job. They become a
//! [`worker::WorkerConfig`], which the worker crate takes as it is.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use super::limits::{JobLimits, UrlInput};

/// Where installed models live.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelsDir {
    /// Where installed models live.
    #[arg(
        id = "models_dir",
        long = "models-dir",
        value_name = "MODELS_DIR",
        env = "VERBATIM_MODELS_DIR",
        default_value = asr::models::DEFAULT_MODELS_DIR
    )]
    pub path: PathBuf,
}

/// Windows one recognition decodes together.
#[derive(Debug, Clone, clap::Args)]
pub struct BatchSize {
    /// Windows one recognition decodes together: a recording is cut in pauses into tracks of
    /// about a minute of speech, decoded side by side, this many windows at a time. More takes
    /// more memory; 1 decodes one window after the other, as faster-whisper does.
    #[arg(long, value_name = "N", env = "VERBATIM_BATCH_SIZE",
          default_value_t = asr::whisper::DEFAULT_BATCH_SIZE as u16,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    batch_size: u16,
}

impl BatchSize {
    pub fn windows(&self) -> usize {
        self.batch_size.into()
    }
}

/// Lanes one recognition's windows are split between.
#[derive(Debug, Clone, clap::Args)]
pub struct Lanes {
    /// Lanes one recognition's windows are split between, decoded side by side on a thread
    /// each; each lane holds a copy of the model (about 90 MB more peak memory per lane with
    /// tiny.en). 0: one per thread, up to 4. 1: every model call on all the recognition's
    /// threads, slower but the least memory.
    #[arg(long, value_name = "N", env = "VERBATIM_LANES", default_value_t = 0,
          value_parser = clap::value_parser!(u16).range(0..=64))]
    lanes: u16,
}

impl Lanes {
    /// 0 for one per thread (`asr::WhisperConfig::lanes`).
    pub fn count(&self) -> usize {
        self.lanes.into()
    }
}

/// The model of `operating_point: enhanced`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct EnhancedModel {
    /// The model of `operating_point: enhanced` (and of languages the standard model lacks)
    /// [default: base].
    #[arg(long, env = "VERBATIM_MODEL_ENHANCED")]
    model_enhanced: Option<String>,
    /// The CTranslate2 compute type of the enhanced model [default: float32].
    #[arg(long, env = "VERBATIM_COMPUTE_TYPE_ENHANCED")]
    compute_type_enhanced: Option<String>,
}

impl EnhancedModel {
    pub fn apply(&self, config: &mut worker::WorkerConfig) {
        if let Some(model) = non_empty(&self.model_enhanced) {
            config.model_enhanced = model;
        }
        if let Some(compute_type) = non_empty(&self.compute_type_enhanced) {
            config.compute_type_enhanced = compute_type;
        }
    }
}

/// Where `ffprobe` and `ffmpeg` are (they decode the formats symphonia cannot).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AudioTools {
    /// The ffprobe program [default: ffprobe, looked up on PATH].
    #[arg(long, env = "VERBATIM_FFPROBE", value_parser = clap::builder::OsStringValueParser::new())]
    ffprobe: Option<OsString>,
    /// The ffmpeg program [default: ffmpeg, looked up on PATH].
    #[arg(long, env = "VERBATIM_FFMPEG", value_parser = clap::builder::OsStringValueParser::new())]
    ffmpeg: Option<OsString>,
}

impl AudioTools {
    pub fn tools(&self) -> audio::Tools {
        let mut tools = audio::Tools::default();
        // Set but empty is taken as not set.
        let given = |v: &Option<OsString>| v.clone().filter(|v| !v.is_empty()).map(PathBuf::from);
        if let Some(ffprobe) = given(&self.ffprobe) {
            tools.ffprobe = ffprobe;
        }
        if let Some(ffmpeg) = given(&self.ffmpeg) {
            tools.ffmpeg = ffmpeg;
        }
        tools
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct WorkerSettings {
    #[command(flatten)]
    pub models_dir: ModelsDir,
    /// The model of `operating_point: standard` [default: tiny.en].
    #[arg(long, env = "VERBATIM_MODEL_STANDARD")]
    model_standard: Option<String>,
    /// The CTranslate2 compute type of the standard model and of models named by `model_code`
    /// [default: int8].
    #[arg(long, env = "VERBATIM_COMPUTE_TYPE")]
    compute_type: Option<String>,
    #[command(flatten)]
    enhanced: EnhancedModel,
    #[command(flatten)]
    audio_tools: AudioTools,
    #[command(flatten)]
    batch_size: BatchSize,
    #[command(flatten)]
    lanes: Lanes,
    /// How long a worker's hold on a job lasts without renewal: after a crash, the job is
    /// taken up again once this has passed.
    #[arg(long, env = "VERBATIM_LEASE_SECONDS", default_value_t = 60)]
    lease_seconds: u64,
    /// How long SIGTERM lets a running job finish before it is handed back, in seconds.
    #[arg(long, env = "VERBATIM_SHUTDOWN_GRACE_SECS", default_value_t = 20)]
    shutdown_grace_secs: u64,
    #[command(flatten)]
    pub url_input: UrlInput,
    #[command(flatten)]
    pub job_limits: JobLimits,
}

impl WorkerSettings {
    /// The configuration of `workers` workers, checked: a value that would fail every job
    /// (a bad audio limit; with workers, an unknown compute type) is an error naming its
    /// variable. `workers` 0 (an API replica) still gives the limits the API shares.
    pub fn config(&self, workers: usize) -> anyhow::Result<worker::WorkerConfig> {
        let mut config = worker::WorkerConfig::default()
            .with_workers(workers)
            .with_lease(Duration::from_secs(self.lease_seconds.max(3)));
        config.models_dir = self.models_dir.path.clone();
        if let Some(model) = non_empty(&self.model_standard) {
            config.model_standard = model;
        }
        if let Some(compute_type) = non_empty(&self.compute_type) {
            config.compute_type = compute_type;
        }
        self.enhanced.apply(&mut config);
        config.audio_tools = self.audio_tools.tools();
        config.batch_size = self.batch_size.windows();
        config.lanes = self.lanes.count();
        config.shutdown_grace = Duration::from_secs(self.shutdown_grace_secs);
        config.fetch_policy = self.url_input.policy();
        self.job_limits.apply(&mut config)?;
        if workers > 0 {
            config.validate().map_err(anyhow::Error::msg)?;
        }
        Ok(config)
    }
}

/// A text setting trimmed; set but empty is taken as not set.
fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Settings {
        #[command(flatten)]
        worker: WorkerSettings,
    }

    fn parse(args: &[&str]) -> Result<worker::WorkerConfig, String> {
        let settings =
            Settings::try_parse_from([&["test"], args].concat()).map_err(|e| e.to_string())?;
        settings.worker.config(2).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_the_worker_crates() {
        // Variables of the test process would leak in; the flags stand in for them.
        let c = parse(&["--models-dir", "models"]).unwrap();
        let d = worker::WorkerConfig::default();
        assert_eq!(c.models_dir, PathBuf::from("models"));
        assert_eq!(c.model_standard, d.model_standard);
        assert_eq!(c.model_enhanced, d.model_enhanced);
        assert_eq!(c.compute_type, d.compute_type);
        assert_eq!(c.compute_type_enhanced, d.compute_type_enhanced);
        assert_eq!(c.shutdown_grace, d.shutdown_grace);
        assert_eq!(c.max_input_bytes, d.max_input_bytes);
        assert_eq!(c.audio_tools, audio::Tools::default());
        assert_eq!(c.workers, 2);
        assert_eq!(c.lease, Duration::from_secs(60));
    }

    #[test]
    fn values_are_trimmed_and_empty_ones_keep_the_default() {
        let c = parse(&[
            "--model-standard=  small.en ",
            "--model-enhanced=",
            "--compute-type-enhanced= int8 ",
            "--ffmpeg=/opt/ffmpeg/bin/ffmpeg",
            "--ffprobe=",
            "--shutdown-grace-secs=2",
            "--lease-seconds=1",
            "--max-upload-bytes=1000",
        ])
        .unwrap();
        assert_eq!(c.model_standard, "small.en");
        assert_eq!(c.model_enhanced, "base");
        assert_eq!(c.compute_type_enhanced, "int8");
        assert_eq!(
            c.audio_tools.ffmpeg,
            PathBuf::from("/opt/ffmpeg/bin/ffmpeg")
        );
        assert_eq!(c.audio_tools.ffprobe, PathBuf::from("ffprobe"));
        assert_eq!(c.shutdown_grace, Duration::from_secs(2));
        assert_eq!(c.lease, Duration::from_secs(3), "the lease is at least 3 s");
        assert_eq!(c.max_input_bytes, 1000);
    }

    #[test]
    fn values_that_would_fail_every_job_are_refused_by_name() {
        let e = parse(&["--compute-type", "float64"]).unwrap_err();
        assert!(e.contains("VERBATIM_COMPUTE_TYPE:"), "{e}");
        let e = parse(&["--max-audio-seconds=-1"]).unwrap_err();
        assert!(e.contains("VERBATIM_MAX_AUDIO_SECONDS"), "{e}");
        assert!(parse(&["--shutdown-grace-secs", "soon"]).is_err());
    }
}
