//! One loaded copy of each model per process: loading takes seconds and hundreds of MB, and
//! the server transcribes many jobs with the same model.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use super::{WhisperConfig, WhisperEngine};
use crate::AsrError;

type Key = (PathBuf, WhisperConfig);

fn cache() -> &'static Mutex<HashMap<Key, Arc<WhisperEngine>>> {
    static CACHE: OnceLock<Mutex<HashMap<Key, Arc<WhisperEngine>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

pub fn load_shared(
    model_dir: &Path,
    config: &WhisperConfig,
) -> Result<Arc<WhisperEngine>, AsrError> {
    let path = model_dir
        .canonicalize()
        .map_err(|_| AsrError::ModelNotFound(model_dir.display().to_string()))?;
    let key = (path, config.clone());
    // The lock is held while loading so that two jobs asking at once load the model once.
    let mut map = cache()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(engine) = map.get(&key) {
        return Ok(engine.clone());
    }
    let engine = Arc::new(WhisperEngine::load(model_dir, config)?);
    map.insert(key, engine.clone());
    Ok(engine)
}
