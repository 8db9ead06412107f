#[derive(Debug, thiserror::Error)]
pub enum VadError {
    /// ONNX Runtime could not be opened.
    #[error("ONNX Runtime could not be loaded from {library}: {reason}")]
    Runtime { library: String, reason: String },
    #[error("voice activity model not found: {0}")]
    ModelNotFound(String),
    #[error("voice activity model {path} could not be loaded: {reason}")]
    InvalidModel { path: String, reason: String },
    #[error("voice activity detection failed: {0}")]
    Inference(String),
}
