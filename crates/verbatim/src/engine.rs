//! Choosing and loading the recognition model from command-line flags, shared by the
//! subcommands that recognise speech.

use std::sync::Arc;

use anyhow::Context;

#[derive(Debug, Clone, clap::Args)]
pub struct EngineArgs {
    /// Model name (a folder under --models-dir, e.g. `tiny.en`, `base`) or a path to any
    /// CTranslate2 Whisper model folder.
    #[arg(long, env = "VERBATIM_MODEL", default_value = "tiny.en")]
    pub model: String,
    #[command(flatten)]
    pub models_dir: crate::cli::ModelsDir,
    /// CPU threads for recognition (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// CTranslate2 compute type: int8, int8_float32, float32, default (as converted)…
    /// [default: int8; with --operating-point enhanced, VERBATIM_COMPUTE_TYPE_ENHANCED or float32]
    #[arg(long)]
    pub compute_type: Option<String>,
    #[command(flatten)]
    pub batch_size: crate::cli::BatchSize,
    #[command(flatten)]
    pub lanes: crate::cli::Lanes,
}

pub fn load(args: &EngineArgs) -> anyhow::Result<Arc<dyn asr::Engine>> {
    let path = asr::models::resolve(&args.model, &args.models_dir.path)?;
    let config = asr::WhisperConfig {
        threads: args.threads.unwrap_or(0),
        compute_type: args
            .compute_type
            .clone()
            .unwrap_or_else(|| asr::whisper::DEFAULT_COMPUTE_TYPE.to_string()),
        batch_size: args.batch_size.windows(),
        lanes: args.lanes.count(),
        ..Default::default()
    };
    let engine = asr::WhisperEngine::load(&path, &config)
        .with_context(|| format!("cannot load the model at {}", path.display()))?;
    Ok(Arc::new(engine))
}
