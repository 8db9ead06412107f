//! Object storage and signed URLs behind one trait: a local folder embedded
//! ([`LocalBlobStore`]), any S3-compatible store for a fleet ([`S3BlobStore`], issue 4);
//! [`open`] opens the one the settings name.
//!
//! Keys are `/`-separated relative paths (contract section 9: `inputs/<job_id>.<ext>`,
//! `inputs/<job_id>/<filename>`, `outputs/<job_id>.<format>`). Keys with `..` or `.` segments,
//! empty segments, a leading `/`, backslashes or control characters are refused
//! ([`BlobError::InvalidKey`]).
//!
//! The storage half is generic over `object_store` (module `objects`), so the S3 backend of
//! issue 4 reuses it and differs only in URL signing. Beyond the first interface sketch:
//! `BlobError` has `InvalidKey`, `Forbidden` and `Expired`; `LocalBlobStore` has
//! `bucket_by_name` (for the signed routes) and `remove_stale_uploads` (for server start).

mod error;
pub mod fetch;
mod keys;
mod local;
mod objects;
mod open;
mod purge;
mod s3;
mod signer;
mod sigv4;
mod store;
mod sweep;

pub use error::BlobError;
pub use keys::{
    attempt_id, input_key, is_staged_object, output_key, output_prefix, presigned_input_key,
    presigned_input_prefix, staged_input_key, staged_output_key, staged_presign_key,
    unstaged_input_key, unstaged_presign_key, validate_key, INPUTS, OUTPUTS, UPLOADS,
};
pub use local::LocalBlobStore;
pub use open::open;
pub use purge::purge_job_files;
pub use s3::{AwsSettings, S3BlobStore, S3Config};
pub use signer::{Grant, Signer};
pub use store::{Access, BlobStore, Bucket, ByteStream, UrlToSign};
pub use sweep::sweep_orphans;

/// `Content-Disposition` of every download: an attachment named after the key's last part, with
/// anything but `[A-Za-z0-9._-]` replaced, so no name can break out of the header.
pub fn attachment_disposition(key: &str) -> String {
    let name: String = key
        .rsplit('/')
        .next()
        .unwrap_or(key)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("attachment; filename=\"{name}\"")
}
