//! The speaker-embedding model for `diarization: "speaker"` (crates/diarize: resemblyzer's voice
//! encoder), loaded once per process on the first job that asks for it and shared by every
//! worker, like the recognition models ([`crate::Engines`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use diarize::SpeakerDiarizer;
use tokio::sync::OnceCell;

use crate::error::JobError;

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
    /// to the logs). Worker-side, so the job is handed back and tried again (the model may be
    /// installed meanwhile) before it fails.
    fn into_job_error(self) -> JobError {
        let reason = match &self {
            SpeakerModelError::Missing { .. } => {
                format!("speaker diarization is not available: its model is not installed on the server (run {INSTALL_COMMAND})")
            }
            SpeakerModelError::Invalid { .. } => {
                format!("speaker diarization is not available: its model could not be loaded (reinstall it with {INSTALL_COMMAND})")
            }
        };
        JobError::transient(reason, self)
    }
}

/// Loads the speaker model from a models folder (`<models>/resemblyzer/encoder.safetensors`).
/// Blocking (reads ~6 MB).
pub fn load_speaker_model(models_dir: &Path) -> Result<SpeakerDiarizer, SpeakerModelError> {
    let path = diarize::model_path(models_dir);
    if !path.is_file() {
        return Err(SpeakerModelError::Missing {
            path: path.display().to_string(),
        });
    }
    SpeakerDiarizer::load(&path).map_err(|e| SpeakerModelError::Invalid { why: e.to_string() })
}

pub struct SpeakerModel {
    models_dir: PathBuf,
    /// A failed load leaves the cell empty: the next job tries again.
    cell: OnceCell<Arc<SpeakerDiarizer>>,
}

impl SpeakerModel {
    pub fn new(models_dir: PathBuf) -> Self {
        SpeakerModel {
            models_dir,
            cell: OnceCell::new(),
        }
    }

    /// The diarizer, loading it on first use.
    pub async fn get(&self) -> Result<Arc<SpeakerDiarizer>, JobError> {
        let loaded = self
            .cell
            .get_or_try_init(|| async {
                let dir = self.models_dir.clone();
                tracing::info!(models_dir = %dir.display(), "loading the speaker model");
                match tokio::task::spawn_blocking(move || load_speaker_model(&dir)).await {
                    Ok(Ok(d)) => Ok(Arc::new(d)),
                    Ok(Err(e)) => Err(e.into_job_error()),
                    Err(e) => Err(JobError::transient(
                        "the speaker diarization model could not be loaded",
                        format!("loading crashed: {e}"),
                    )),
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
        let err = load_speaker_model(dir.path())
            .err()
            .expect("no model there");
        assert!(matches!(err, SpeakerModelError::Missing { .. }));
        assert!(
            err.to_string().contains("scripts/install-models.sh"),
            "{err}"
        );
        let model = SpeakerModel::new(dir.path().to_path_buf());
        match model.get().await.err().expect("no model there") {
            JobError::Transient { reason, detail } => {
                assert!(reason.contains("scripts/install-models.sh"), "{reason}");
                assert!(
                    !reason.contains(&dir.path().display().to_string()),
                    "{reason}"
                );
                assert!(detail.contains("encoder.safetensors"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
        // A broken file is another message.
        std::fs::create_dir_all(dir.path().join("resemblyzer")).unwrap();
        std::fs::write(diarize::model_path(dir.path()), b"not a model").unwrap();
        assert!(matches!(
            load_speaker_model(dir.path()),
            Err(SpeakerModelError::Invalid { .. })
        ));
    }
}
