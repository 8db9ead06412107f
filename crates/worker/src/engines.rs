//! Loaded recognition models, shared by every worker of the process: a model is read from disk
//! once (hundreds of MB and seconds of start-up) and then serves every job that asks for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use asr::{AsrError, Engine};
use tokio::sync::OnceCell;

use crate::error::JobError;
use crate::request::ModelChoice;
use crate::WorkerConfig;

/// Loads a model. Blocking: called on a blocking thread.
pub type Loader = dyn Fn(&ModelChoice) -> Result<Arc<dyn Engine>, AsrError> + Send + Sync;

/// A model's engine once loaded.
type EngineCell = OnceCell<Arc<dyn Engine>>;

pub struct Engines {
    loader: Arc<Loader>,
    /// One cell per model and compute type, so concurrent first requests for a model wait for
    /// a single load. A failed load leaves its cell empty and the next job tries again (the
    /// model may have been installed meanwhile).
    cells: Mutex<HashMap<ModelChoice, Arc<EngineCell>>>,
}

impl Engines {
    pub fn new(loader: Arc<Loader>) -> Self {
        Engines {
            loader,
            cells: Mutex::new(HashMap::new()),
        }
    }

    /// Whisper models from the configuration's models folder, each loaded with its threads per
    /// worker and batch size.
    pub fn whisper(config: &WorkerConfig) -> Self {
        let models_dir = config.models_dir.clone();
        let (threads, batch_size, lanes) =
            (config.threads_per_worker, config.batch_size, config.lanes);
        Engines::new(Arc::new(move |model: &ModelChoice| {
            let path = asr::models::resolve(&model.name, &models_dir)?;
            let config = asr::WhisperConfig {
                threads,
                compute_type: model.compute_type.clone(),
                batch_size,
                lanes,
                ..Default::default()
            };
            // The asr crate's own cache: `verbatim transcribe` and the workers of one process
            // share a loaded model too.
            let engine = asr::WhisperEngine::load_shared(&path, &config)?;
            Ok(engine as Arc<dyn Engine>)
        }))
    }

    /// The engine of `model`, loading it on first use.
    pub async fn get(&self, model: &ModelChoice) -> Result<Arc<dyn Engine>, JobError> {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
            cells.entry(model.clone()).or_default().clone()
        };
        let engine = cell
            .get_or_try_init(|| async {
                let loader = self.loader.clone();
                let choice = model.clone();
                tracing::info!(model = %model.name, compute_type = %model.compute_type, "loading model");
                match tokio::task::spawn_blocking(move || loader(&choice)).await {
                    Ok(loaded) => loaded.map_err(JobError::from_asr),
                    Err(e) => Err(JobError::transient(
                        "the speech recognition model could not be loaded",
                        format!("loading model {} crashed: {e}", model.name),
                    )),
                }
            })
            .await?;
        Ok(engine.clone())
    }
}
