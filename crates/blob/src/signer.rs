//! The embedded URL signer: HMAC-SHA256 over method, bucket, key, expiry (and the content type
//! for uploads) with a 32-byte secret kept in the data folder. Hand-written because the signed
//! URLs point at our own routes; S3 (issue 4) uses object_store's SigV4 signer instead.

use std::io::Write;
use std::path::Path;

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::BlobError;

type HmacSha256 = Hmac<Sha256>;

/// What one signed URL allows: `method` on `key` of the bucket named `bucket` until `expires`
/// (unix seconds); an upload's grant also names the Content-Type it must be sent with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant<'a> {
    pub method: &'a str,
    pub bucket: &'a str,
    pub key: &'a str,
    pub expires: i64,
    pub content_type: Option<&'a str>,
}

pub struct Signer {
    secret: [u8; 32],
}

impl Signer {
    pub fn new(secret: [u8; 32]) -> Self {
        Signer { secret }
    }

    /// Reads the secret from `path`, or creates it (mode 0600) on first start.
    pub fn load_or_create(path: &Path) -> Result<Self, BlobError> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let secret: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                    BlobError::Io(format!(
                        "{}: signing key must be exactly 32 bytes, found {}",
                        path.display(),
                        bytes.len()
                    ))
                })?;
                Ok(Signer { secret })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut secret = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut secret);
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                match opts.open(path) {
                    Ok(mut f) => {
                        f.write_all(&secret)
                            .and_then(|_| f.sync_all())
                            .map_err(|e| {
                                BlobError::Io(format!(
                                    "{}: cannot write signing key: {e}",
                                    path.display()
                                ))
                            })?;
                        Ok(Signer { secret })
                    }
                    // Another process created it between our read and our create: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        Self::load_or_create(path)
                    }
                    Err(e) => Err(BlobError::Io(format!(
                        "{}: cannot create signing key: {e}",
                        path.display()
                    ))),
                }
            }
            Err(e) => Err(BlobError::Io(format!(
                "{}: cannot read signing key: {e}",
                path.display()
            ))),
        }
    }

    fn mac(&self, grant: &Grant) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("HMAC takes any key length");
        let Grant {
            method,
            bucket,
            key,
            expires,
            content_type,
        } = grant;
        let mut msg = format!(
            "{}\n{bucket}\n{key}\n{expires}",
            method.to_ascii_uppercase()
        );
        if let Some(ct) = content_type {
            msg.push('\n');
            msg.push_str(ct);
        }
        mac.update(msg.as_bytes());
        mac
    }

    /// Lowercase hex signature.
    pub fn sign(&self, grant: &Grant) -> String {
        hex::encode(self.mac(grant).finalize().into_bytes())
    }

    /// Ok if `signature` is ours for this grant and its `expires` is not past.
    /// The comparison is constant-time (hmac's `verify_slice`).
    pub fn verify(&self, grant: &Grant, signature: &str) -> Result<(), BlobError> {
        let sig = hex::decode(signature).map_err(|_| BlobError::Forbidden)?;
        self.mac(grant)
            .verify_slice(&sig)
            .map_err(|_| BlobError::Forbidden)?;
        if grant.expires < chrono::Utc::now().timestamp() {
            return Err(BlobError::Expired);
        }
        Ok(())
    }
}
