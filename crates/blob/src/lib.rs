//! Object storage and signed URLs behind one trait: a local folder embedded now
//! ([`LocalBlobStore`]), S3 for a fleet later (issue 4) behind the same [`BlobStore`].
//!
//! Keys are `/`-separated relative paths (contract section 9: `inputs/<job_id>.<ext>`,
//! `inputs/<job_id>/<filename>`, `outputs/<job_id>.<format>`). Keys with `..` or `.` segments,
//! empty segments, a leading `/`, backslashes or control characters are refused
//! ([`BlobError::InvalidKey`]).

mod error;
pub mod fetch;
mod keys;
mod local;
mod objects;
mod signer;
mod store;

pub use error::BlobError;
pub use keys::validate_key;
pub use local::LocalBlobStore;
pub use signer::Signer;
pub use store::{Bucket, BlobStore, ByteStream};
