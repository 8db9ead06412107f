//! What the blob suites share: generated bodies, reading an object whole, and signed download
//! URLs, on any [`BlobStore`].

use std::time::Duration;

use blob::{Access, BlobStore, Bucket};
use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};

/// `n` chunks of `size` bytes, byte i of the whole body = i % 251.
pub fn body(n: usize, size: usize) -> BoxStream<'static, Result<Bytes, std::io::Error>> {
    stream::iter((0..n).map(move |c| {
        Ok(Bytes::from(
            (0..size)
                .map(|i| ((c * size + i) % 251) as u8)
                .collect::<Vec<u8>>(),
        ))
    }))
    .boxed()
}

/// The first `len` bytes of every [`body`].
pub fn expected(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// The whole object, checking that the stream is as long as the size it announced.
pub async fn read_all(store: &dyn BlobStore, b: Bucket, key: &str) -> Vec<u8> {
    let (size, mut s) = store.get_stream(b, key).await.unwrap();
    let mut out = Vec::new();
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c.unwrap());
    }
    assert_eq!(size, out.len() as u64);
    out
}

/// A signed download URL of `key`, valid for `secs` seconds.
pub async fn download_url(store: &dyn BlobStore, b: Bucket, key: &str, secs: u64) -> String {
    store
        .presign(
            Access::Get,
            b,
            key,
            "application/octet-stream",
            Duration::from_secs(secs),
        )
        .await
        .unwrap()
}

/// A signed URL for one upload of `key` to the input bucket as `content_type`, valid for
/// `secs` seconds.
pub async fn upload_url(store: &dyn BlobStore, key: &str, content_type: &str, secs: u64) -> String {
    store
        .presign(
            Access::Put,
            Bucket::Input,
            key,
            content_type,
            Duration::from_secs(secs),
        )
        .await
        .unwrap()
}
