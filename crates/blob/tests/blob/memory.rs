//! A large object streams through the local store in bounded memory, in and out. Measured in a
//! process of its own, so that the process's peak RSS is this test's.

use blob::{BlobStore, Bucket, LocalBlobStore};
use bytes::Bytes;
use futures::stream::{self, StreamExt};

/// Peak resident set size of this process so far, in bytes (Linux `VmHWM`).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[test]
fn a_large_object_streams_in_bounded_memory() {
    if testkit::own_process::here(module_path!(), "a_large_object_streams_in_bounded_memory") {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(measure());
    }
}

async fn measure() {
    const TOTAL: u64 = 512 * 1024 * 1024;
    const CHUNK: usize = 64 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let store =
        LocalBlobStore::open(dir.path(), "http://127.0.0.1:8080", "input", "output").unwrap();
    let Some(before) = peak_rss() else {
        eprintln!("no /proc/self/status here: memory not measured");
        return;
    };
    // One shared chunk, cloned (a refcount) per item: the body itself costs 64 KiB.
    let chunk = Bytes::from(vec![7u8; CHUNK]);
    let body = stream::iter((0..TOTAL / CHUNK as u64).map(move |_| Ok(chunk.clone()))).boxed();
    let written = store
        .put_stream(Bucket::Input, "inputs/huge.wav", body, TOTAL)
        .await
        .unwrap();
    assert_eq!(written, TOTAL);
    let (size, mut read) = store
        .get_stream(Bucket::Input, "inputs/huge.wav")
        .await
        .unwrap();
    assert_eq!(size, TOTAL);
    let mut seen = 0u64;
    while let Some(c) = read.next().await {
        let c = c.unwrap();
        assert!(c.iter().all(|&b| b == 7));
        seen += c.len() as u64;
    }
    assert_eq!(seen, TOTAL);
    let after = peak_rss().unwrap();
    let grown = after.saturating_sub(before);
    println!(
        "peak RSS before {} MiB, after {} MiB: {} MiB for a {} MiB object",
        before >> 20,
        after >> 20,
        grown >> 20,
        TOTAL >> 20
    );
    assert!(
        grown < 64 * 1024 * 1024,
        "peak RSS grew by {} MiB for a {} MiB object",
        grown >> 20,
        TOTAL >> 20
    );
}
