//! Streaming a request body (a multipart file part or a presigned PUT) into the blob store with
//! the size limit, never holding more than a few chunks in memory.

use std::pin::pin;
use std::time::Duration;

use blob::{BlobError, BlobStore, Bucket};
use bytes::Bytes;
use futures::{Stream, StreamExt};
use tokio_stream::wrappers::ReceiverStream;

use crate::ApiError;

/// After the limit is passed, at most this much more is read and thrown away before answering
/// 413: clients that do not read a response until they have sent their whole body (most of
/// them) would otherwise see a reset connection instead of the contract's message.
const DRAIN_TIME: Duration = Duration::from_secs(30);

/// Puts `source` under `bucket`/`key`, refusing more than `max_bytes` (413, and the store leaves
/// nothing behind). Returns the stored size.
pub async fn store_stream<S, E>(
    blobs: &dyn BlobStore,
    bucket: Bucket,
    key: &str,
    source: S,
    max_bytes: u64,
) -> Result<u64, ApiError>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: std::fmt::Display,
{
    let mut source = pin!(source);
    // `put_stream` wants a 'static stream and the source borrows the request, so a small
    // channel carries the chunks across; its bound is the memory held.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let put = blobs.put_stream(bucket, key, ReceiverStream::new(rx).boxed(), max_bytes);
    let pump = async {
        let tx = tx; // moved in, so the store sees the end of the stream when the pump ends
        while let Some(item) = source.next().await {
            match item {
                Ok(chunk) => {
                    if tx.send(Ok(chunk)).await.is_err() {
                        return Ok(()); // the store stopped reading: its result says why
                    }
                }
                Err(e) => {
                    let message = e.to_string();
                    let _ = tx.send(Err(std::io::Error::other(message.clone()))).await;
                    return Err(message);
                }
            }
        }
        Ok(())
    };
    let (stored, pumped) = futures::future::join(put, pump).await;
    if let Err(message) = pumped {
        tracing::info!("upload of {key} interrupted: {message}");
        return Err(ApiError::bad_request(
            "The upload was interrupted before it was complete",
        ));
    }
    match stored {
        Ok(size) => Ok(size),
        Err(BlobError::TooLarge) => {
            let _ = tokio::time::timeout(DRAIN_TIME, drain(&mut source, max_bytes)).await;
            Err(ApiError::too_large(max_bytes))
        }
        Err(other) => Err(ApiError::internal(format!("storing {key}: {other}"))),
    }
}

async fn drain<S, E>(source: &mut std::pin::Pin<&mut S>, max_bytes: u64)
where
    S: Stream<Item = Result<Bytes, E>>,
{
    let mut drained = 0u64;
    while let Some(Ok(chunk)) = source.next().await {
        drained += chunk.len() as u64;
        if drained > max_bytes {
            break;
        }
    }
}
