//! Bytes in and out without holding a file in memory: a local file as a streamed request body
//! that reports what it has sent, and a signed download URL streamed into a writer.

use std::path::Path;
use std::sync::Arc;

use futures::StreamExt;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio_util::io::ReaderStream;

use crate::error::error_message;
use crate::{Client, Error};

/// Called with the number of bytes of the file sent so far.
pub type OnBytes = Arc<dyn Fn(u64) + Send + Sync>;

/// Chunks read from the file at a time: what is held in memory per upload.
const CHUNK: usize = 256 * 1024;

/// `path` as a request body, and its length (which the caller sends as Content-Length: an
/// object store's signed PUT refuses a chunked body).
pub(crate) async fn file_body(
    path: &Path,
    on_bytes: OnBytes,
) -> Result<(reqwest::Body, u64), Error> {
    let (chunks, len) = file_chunks(path, on_bytes).await?;
    Ok((reqwest::Body::wrap_stream(chunks), len))
}

/// The chunks of [`file_body`].
async fn file_chunks(
    path: &Path,
    on_bytes: OnBytes,
) -> Result<
    (
        impl futures::Stream<Item = std::io::Result<bytes::Bytes>> + Send + Sync + 'static,
        u64,
    ),
    Error,
> {
    let file_error = |source| Error::File {
        path: path.to_path_buf(),
        source,
    };
    let file = tokio::fs::File::open(path).await.map_err(file_error)?;
    let len = file.metadata().await.map_err(file_error)?.len();
    let mut sent = 0u64;
    let chunks = ReaderStream::with_capacity(file, CHUNK).inspect(move |chunk| {
        if let Ok(chunk) = chunk {
            sent += chunk.len() as u64;
            on_bytes(sent);
        }
    });
    Ok((chunks, len))
}

impl Client {
    /// Streams the object at a signed download URL (from [`Client::files`]) into `out`;
    /// `out_name` names it in errors. Returns the bytes written.
    ///
    /// The API key is not sent: the URL carries its own signature, and it may point at another
    /// host (the object store), which must not see the key.
    pub async fn download<W: AsyncWrite + Unpin>(
        &self,
        url: &str,
        out: &mut W,
        out_name: &Path,
    ) -> Result<u64, Error> {
        // A server may answer a path; it is then the server's own.
        let url = self
            .base
            .join(url)
            .map_err(|e| Error::Protocol(format!("the download URL {url:?} is not a URL: {e}")))?;
        let response = self
            .http
            .get(url.clone())
            .send()
            .await
            .map_err(|e| Error::from_send(&url, e))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.bytes().await.unwrap_or_default();
            return Err(Error::Transfer {
                what: "the download of an output",
                status: status.as_u16(),
                message: error_message(status, &body),
            });
        }
        let write_error = |source| Error::File {
            path: out_name.to_path_buf(),
            source,
        };
        let mut body = response.bytes_stream();
        let mut written = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| Error::from_send(&url, e))?;
            out.write_all(&chunk).await.map_err(write_error)?;
            written += chunk.len() as u64;
        }
        out.flush().await.map_err(write_error)?;
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Mutex;

    #[tokio::test]
    async fn a_file_body_reports_every_byte_and_has_the_file_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        let bytes: Vec<u8> = (0..(CHUNK * 2 + 17)).map(|i| i as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let last = Arc::new(AtomicU64::new(0));
        let on_bytes: OnBytes = {
            let (seen, last) = (seen.clone(), last.clone());
            Arc::new(move |n| {
                seen.lock().unwrap().push(n);
                last.store(n, Ordering::SeqCst);
            })
        };
        let (stream, len) = file_chunks(&path, on_bytes).await.unwrap();
        assert_eq!(len, bytes.len() as u64);
        let mut read = Vec::new();
        let mut stream = std::pin::pin!(stream);
        while let Some(chunk) = stream.next().await {
            read.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(read, bytes);
        assert_eq!(last.load(Ordering::SeqCst), bytes.len() as u64);
        let seen = seen.lock().unwrap();
        assert!(
            seen.len() >= 3 && seen.windows(2).all(|w| w[0] < w[1]),
            "{seen:?}"
        );
    }

    #[tokio::test]
    async fn a_missing_file_names_its_path() {
        let e = file_body(Path::new("/nonexistent/x.wav"), Arc::new(|_| {}))
            .await
            .err()
            .unwrap();
        assert!(e.to_string().starts_with("/nonexistent/x.wav: "), "{e}");
    }
}
