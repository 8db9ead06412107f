//! Installed models: where they live, which are there, and turning a name into a folder.

use std::path::{Path, PathBuf};

use crate::AsrError;

/// One installed CTranslate2 Whisper model folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// Folder name (`"tiny.en"`, `"base"`).
    pub name: String,
    pub path: PathBuf,
    /// Whether the model knows languages other than English.
    pub multilingual: bool,
    /// Bytes of all files in the folder.
    pub size_bytes: u64,
}

/// Where installed models live unless told otherwise: `models` in the working folder (what
/// scripts/install-models.sh fills). The `verbatim` binary's `--models-dir` /
/// `VERBATIM_MODELS_DIR` says otherwise.
pub const DEFAULT_MODELS_DIR: &str = "models";

/// Whether `dir` holds the three files a CTranslate2 Whisper model needs.
pub fn is_model_dir(dir: &Path) -> bool {
    ["model.bin", "config.json", "tokenizer.json"]
        .iter()
        .all(|f| dir.join(f).is_file())
}

/// The models installed under `dir`, sorted by name. A missing or unreadable `dir` lists none.
pub fn list(dir: &Path) -> Vec<ModelInfo> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut models: Vec<ModelInfo> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir() && is_model_dir(p))
        .map(|path| info(&path))
        .collect();
    models.sort_by(|a, b| a.name.cmp(&b.name));
    models
}

/// Describes one model folder (which need not be under the models dir).
pub fn info(path: &Path) -> ModelInfo {
    let name = model_name(path);
    let size_bytes = std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    let multilingual = vocabulary_size(path)
        .map(|n| n >= MULTILINGUAL_VOCABULARY)
        .unwrap_or(!name.ends_with(".en"));
    ModelInfo {
        name,
        path: path.to_path_buf(),
        multilingual,
        size_bytes,
    }
}

/// CTranslate2 decides multilinguality the same way: English-only Whisper vocabularies have
/// 51864 entries, multilingual ones 51865 or more.
const MULTILINGUAL_VOCABULARY: usize = 51865;

fn vocabulary_size(path: &Path) -> Option<usize> {
    if let Ok(text) = std::fs::read_to_string(path.join("vocabulary.txt")) {
        return Some(text.lines().count());
    }
    let text = std::fs::read_to_string(path.join("vocabulary.json")).ok()?;
    let tokens: Vec<serde_json::Value> = serde_json::from_str(&text).ok()?;
    Some(tokens.len())
}

/// The display name of a model folder: its last path component.
pub fn model_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Turns a model name or folder path into a model folder. An existing folder given as a path
/// wins; otherwise the name is looked up in `dir`. The error lists what is installed.
pub fn resolve(name_or_path: &str, dir: &Path) -> Result<PathBuf, AsrError> {
    let as_path = Path::new(name_or_path);
    if as_path.is_dir() {
        if is_model_dir(as_path) {
            return Ok(as_path.to_path_buf());
        }
        // A folder that exists but is not a model is a mistake worth naming precisely.
        if name_or_path.contains(std::path::MAIN_SEPARATOR) || as_path.is_absolute() {
            return Err(AsrError::InvalidModel(format!(
                "{} lacks model.bin, config.json or tokenizer.json",
                as_path.display()
            )));
        }
    }
    let candidate = dir.join(name_or_path);
    if !name_or_path.is_empty() && is_model_dir(&candidate) {
        return Ok(candidate);
    }
    let installed: Vec<String> = list(dir).into_iter().map(|m| m.name).collect();
    let installed = if installed.is_empty() {
        "none".to_string()
    } else {
        installed.join(", ")
    };
    Err(AsrError::ModelNotFound(format!(
        "{name_or_path:?} is neither a model folder nor a model in {} (installed: {installed})",
        dir.display()
    )))
}
