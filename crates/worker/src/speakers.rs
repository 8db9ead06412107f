//! The speaker-embedding model for `diarization: "speaker"` (crates/diarize: CAM++ on ONNX
//! Runtime), loaded once per process on the first job that asks for it and shared by every
//! worker, like the recognition models ([`crate::Engines`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use diarize::SpeakerDiarizer;
use tokio::sync::OnceCell;

/// The command that installs the model (with the Whisper models).
pub const INSTALL_COMMAND: &str = "scripts/install-models.sh";

/// Why the speaker model could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpeakerModelError {
    #[error("the speaker diarization model is not installed (expected {path}; run scripts/install-models.sh)")]
    Missing { path: String },
    #[error("the speaker diarization model could not be loaded ({why}; reinstall it with scripts/install-models.sh)")]
    Invalid { why: String },
}

impl SpeakerModelError {
    /// The job's view: what is wrong and how to fix it, without the server's paths (those go
    /// to the logs). The job still completes, its words labelled `UU`, and output_metadata's
    /// `diarization` says this.
    pub fn reason(&self) -> String {
        match self {
            SpeakerModelError::Missing { .. } => {
                format!("the speaker model is not installed on the server (run {INSTALL_COMMAND})")
            }
            SpeakerModelError::Invalid { .. } => {
                format!(
                    "the speaker model could not be loaded (reinstall it with {INSTALL_COMMAND})"
                )
            }
        }
    }
}

/// Loads the speaker model from a models folder (`<models>/campplus/campplus.onnx`) to run on
/// `threads` CPU threads (0: all cores). Blocking (reads ~28 MB).
pub fn load_speaker_model(
    models_dir: &Path,
    threads: usize,
) -> Result<SpeakerDiarizer, SpeakerModelError> {
    let path = diarize::model_path(models_dir);
    if !path.is_file() {
        return Err(SpeakerModelError::Missing {
            path: path.display().to_string(),
        });
    }
    SpeakerDiarizer::load(&path, threads)
        .map_err(|e| SpeakerModelError::Invalid { why: e.to_string() })
}

pub struct SpeakerModel {
    models_dir: PathBuf,
    threads: usize,
    /// A failed load leaves the cell empty: the next job tries again.
    cell: OnceCell<Arc<SpeakerDiarizer>>,
}

impl SpeakerModel {
    pub fn new(models_dir: PathBuf, threads: usize) -> Self {
        SpeakerModel {
            models_dir,
            threads,
            cell: OnceCell::new(),
        }
    }

    /// The diarizer, loading it on first use.
    pub async fn get(&self) -> Result<Arc<SpeakerDiarizer>, SpeakerModelError> {
        let loaded = self
            .cell
            .get_or_try_init(|| async {
                let (dir, threads) = (self.models_dir.clone(), self.threads);
                tracing::info!(models_dir = %dir.display(), "loading the speaker model");
                match tokio::task::spawn_blocking(move || load_speaker_model(&dir, threads)).await {
                    Ok(Ok(d)) => Ok(Arc::new(d)),
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "the speaker model is unavailable");
                        Err(e)
                    }
                    Err(e) => Err(SpeakerModelError::Invalid {
                        why: format!("loading crashed: {e}"),
                    }),
                }
            })
            .await?;
        Ok(loaded.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_model_names_the_install_command_and_no_path() {
        let dir = tempfile::tempdir().unwrap();
        let err = load_speaker_model(dir.path(), 1)
            .err()
            .expect("no model there");
        assert!(matches!(err, SpeakerModelError::Missing { .. }));
        assert!(
            err.to_string().contains("scripts/install-models.sh"),
            "{err}"
        );
        let model = SpeakerModel::new(dir.path().to_path_buf(), 1);
        let err = model.get().await.err().expect("no model there");
        let reason = err.reason();
        assert!(reason.contains("scripts/install-models.sh"), "{reason}");
        assert!(
            !reason.contains(&dir.path().display().to_string()),
            "{reason}"
        );
        assert!(err.to_string().contains(diarize::MODEL_FILE), "{err}");
        // A broken file is another message.
        std::fs::create_dir_all(dir.path().join(diarize::MODEL_DIR)).unwrap();
        std::fs::write(diarize::model_path(dir.path()), b"not a model").unwrap();
        assert!(matches!(
            load_speaker_model(dir.path(), 1),
            Err(SpeakerModelError::Invalid { .. })
        ));
    }
}
