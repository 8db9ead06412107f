//! What the store records about a job's input and outputs (contract section 5), typed: the api
//! fills the input's first facts, the worker the rest, and both read them back the same way.

use serde::{Deserialize, Serialize};

/// `input_metadata`: what was received, and what probing it found.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputMetadata {
    pub size_bytes: Option<u64>,
    /// Known once the worker has probed (and then decoded) the audio.
    pub duration_seconds: Option<f64>,
    /// The audio format's extension (`wav`, `mp3`…).
    pub format: Option<String>,
    pub mime_type: Option<String>,
    pub source: InputSource,
}

impl InputMetadata {
    pub fn new(source: InputSource) -> Self {
        InputMetadata {
            size_bytes: None,
            duration_seconds: None,
            format: None,
            mime_type: None,
            source,
        }
    }
}

/// How the input arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputSource {
    /// A multipart upload.
    Upload,
    /// Fetched from `input_url` by the worker.
    Url,
    /// PUT to a presigned URL.
    Presigned,
}

/// `output_metadata`: `{}` until the job is DONE, then what was made.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OutputMetadata {
    /// The language recognised (or asked for).
    pub language: Option<String>,
    /// The formats `/files` serves.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub formats: Vec<String>,
    pub duration_seconds: Option<f64>,
    pub word_count: Option<u64>,
    /// The model that ran, and how.
    pub model: Option<String>,
    pub compute_type: Option<String>,
    /// With `diarization: "speaker"`: `"done"`, or `"failed: <why>"` when the speaker model was
    /// missing or failed (the words are then labelled `UU`; the transcript is still delivered).
    pub diarization: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stored_shapes() {
        let mut input = InputMetadata::new(InputSource::Presigned);
        input.size_bytes = Some(10);
        assert_eq!(
            serde_json::to_value(&input).unwrap(),
            json!({"size_bytes": 10, "source": "presigned"})
        );
        assert_eq!(
            serde_json::to_value(OutputMetadata::default()).unwrap(),
            json!({})
        );
        let full = json!({"size_bytes": 1543210, "duration_seconds": 312.4, "format": "wav",
            "mime_type": "audio/wav", "source": "upload"});
        let parsed: InputMetadata = serde_json::from_value(full.clone()).unwrap();
        assert_eq!(serde_json::to_value(parsed).unwrap(), full);
    }
}
