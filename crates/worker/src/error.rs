//! Why a job did not finish, sorted by what the worker does about it.

use audio::AudioError;
use blob::fetch::FetchError;
use blob::BlobError;
use jobs::JobsError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// The job's own fault (audio that cannot be decoded, a URL that refuses us, a language the
    /// model lacks): FAILED at once with this message, which the client reads.
    #[error("{0}")]
    Input(String),
    /// Our side's fault (storage, model loading, a crash in recognition): handed back and tried
    /// again later; FAILED once the attempts run out. `reason` is safe to show a client (it
    /// ends that final message); `detail` (paths, backend text) goes to the logs only.
    #[error("{reason}")]
    Transient { reason: String, detail: String },
    /// Another worker holds the job now (our lease expired), or it left the working states:
    /// stop without touching it.
    #[error("the lease on the job was lost")]
    LeaseLost,
}

impl JobError {
    pub fn transient(reason: impl Into<String>, detail: impl std::fmt::Display) -> Self {
        JobError::Transient {
            reason: reason.into(),
            detail: detail.to_string(),
        }
    }
}

impl From<JobsError> for JobError {
    fn from(e: JobsError) -> Self {
        match e {
            // A refused move means the job is no longer where this worker left it: someone else
            // moved it, so it is not ours any more.
            JobsError::LeaseLost | JobsError::InvalidTransition { .. } | JobsError::NotFound => {
                JobError::LeaseLost
            }
            other => JobError::transient("the job database is unavailable", other),
        }
    }
}

impl JobError {
    /// A storage failure while reading the job's input.
    pub(crate) fn from_input_blob(e: BlobError) -> Self {
        match e {
            BlobError::NotFound => JobError::Input("the input file is missing from storage".into()),
            BlobError::InvalidKey(k) => {
                JobError::Input(format!("the input file cannot be read: {k}"))
            }
            other => JobError::transient("the input file could not be read from storage", other),
        }
    }

    /// A storage failure while writing outputs.
    pub(crate) fn from_output_blob(e: BlobError) -> Self {
        JobError::transient("the transcript could not be stored", e)
    }

    pub(crate) fn from_fetch(e: FetchError) -> Self {
        match e {
            // Our side's settings or storage: their text names server paths, so it stays in the log.
            FetchError::Config(_) => {
                JobError::transient("URL input is not configured correctly on the server", &e)
            }
            FetchError::Store(_) => {
                JobError::transient("the downloaded input could not be stored", &e)
            }
            // Fetch messages are written for clients (no upstream text).
            e if e.is_transient() => JobError::transient(e.to_string(), &e),
            e => JobError::Input(e.to_string()),
        }
    }

    pub(crate) fn from_audio(e: AudioError) -> Self {
        match e {
            // Our machine's problem, not the file's: a missing decoder program or a scratch
            // disk that failed.
            AudioError::MissingTool { .. } => {
                JobError::transient("the audio decoder is not available on the server", e)
            }
            AudioError::Io(_) => JobError::transient(
                "the audio could not be read from the worker's scratch space",
                e,
            ),
            other => JobError::Input(other.to_string()),
        }
    }

    pub(crate) fn from_asr(e: asr::AsrError) -> Self {
        match e {
            asr::AsrError::UnsupportedLanguage(_) | asr::AsrError::CannotTranslate => {
                JobError::Input(e.to_string())
            }
            asr::AsrError::ModelNotFound(_) | asr::AsrError::InvalidModel(_) => {
                JobError::transient("the speech recognition model could not be loaded", e)
            }
            asr::AsrError::Engine(_) => JobError::transient("speech recognition failed", e),
            // Decoding goes on while recognition reads: its errors are the audio's.
            asr::AsrError::Audio(source) => match source.downcast::<AudioError>() {
                Ok(audio) => JobError::from_audio(*audio),
                Err(other) => JobError::transient("the audio could not be read", other.to_string()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorting() {
        assert_eq!(JobError::from(JobsError::LeaseLost), JobError::LeaseLost);
        assert!(matches!(
            JobError::from(JobsError::Database("x".into())),
            JobError::Transient { .. }
        ));
        assert!(
            matches!(JobError::from_audio(AudioError::Empty), JobError::Input(m) if m == "the file is empty")
        );
        assert!(matches!(
            JobError::from_audio(AudioError::MissingTool {
                tool: "ffmpeg".into(),
                reason: "gone".into()
            }),
            JobError::Transient { .. }
        ));
        assert!(matches!(
            JobError::from_input_blob(BlobError::NotFound),
            JobError::Input(_)
        ));
        assert!(matches!(
            JobError::from_input_blob(BlobError::Io("disk".into())),
            JobError::Transient { .. }
        ));
        assert!(matches!(
            JobError::from_fetch(FetchError::NotHttps),
            JobError::Input(_)
        ));
        assert!(matches!(
            JobError::from_fetch(FetchError::Status(503)),
            JobError::Transient { .. }
        ));
        assert!(matches!(
            JobError::from_asr(asr::AsrError::ModelNotFound("x".into())),
            JobError::Transient { .. }
        ));
        assert!(matches!(
            JobError::from_asr(asr::AsrError::UnsupportedLanguage("xx".into())),
            JobError::Input(_)
        ));
    }
}
