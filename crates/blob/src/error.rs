#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    #[error("object not found")]
    NotFound,
    /// The body passed `max_bytes`; nothing was stored.
    #[error("object too large")]
    TooLarge,
    /// A key that could escape the bucket or is not a plain relative path.
    #[error("invalid object key: {0}")]
    InvalidKey(String),
    /// A signed URL whose signature does not match (any changed byte).
    #[error("signature does not match")]
    Forbidden,
    /// A signed URL past its expiry.
    #[error("signed URL expired")]
    Expired,
    /// Storage failure; the text is for logs, not for clients.
    #[error("storage error: {0}")]
    Io(String),
}

impl From<std::io::Error> for BlobError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::NotFound {
            BlobError::NotFound
        } else {
            BlobError::Io(e.to_string())
        }
    }
}

impl From<object_store::Error> for BlobError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => BlobError::NotFound,
            other => BlobError::Io(other.to_string()),
        }
    }
}
