//! Large uploads stream: a 300 MB multipart body over a 200 MiB limit is refused with 413 and
//! leaves nothing behind, one just under the limit is stored, and the server's peak memory
//! (VmHWM) stays far below the sizes involved.

use crate::server::api::{error_of, form_of};
use crate::server::{Options, Server};
use bytes::Bytes;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;

const MIB: u64 = 1 << 20;
const LIMIT: u64 = 200 * MIB;
const PEAK_RSS_LIMIT: u64 = 200 * 1_000_000;

/// `len` bytes made on the fly in 1 MiB chunks: the test holds no more than the server should.
fn generated(len: u64) -> reqwest::Body {
    let chunk = Bytes::from(vec![0x5au8; MIB as usize]);
    let stream = futures::stream::unfold(0u64, move |sent| {
        let chunk = chunk.clone();
        async move {
            if sent >= len {
                return None;
            }
            let n = (len - sent).min(MIB);
            Some((Ok::<_, std::io::Error>(chunk.slice(..n as usize)), sent + n))
        }
    });
    reqwest::Body::wrap_stream(stream)
}

fn form(job_id: &str, len: u64) -> Form {
    let file = Part::stream_with_length(generated(len), len).file_name("big.wav");
    form_of(&[("job_id", job_id), ("transcription_config", "{}")], file)
}

fn stored_files(server: &Server) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![server.data_dir.join("input")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                out.push((e.path().display().to_string(), meta.len()));
            }
        }
    }
    out
}

#[tokio::test]
async fn large_uploads_stream_with_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        Options::no_workers(vec![(
            "VERBATIM_MAX_UPLOAD_BYTES".into(),
            LIMIT.to_string(),
        )]),
    );
    let api = server.api(&server.create_key("acme"));

    let r = api.post_form(form("huge1", 300_000_000)).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let (_, message) = error_of(r).await;
    assert_eq!(message, "File too large. Maximum size is 200 MB.");
    assert_eq!(
        stored_files(&server),
        vec![],
        "the partial object must be removed"
    );
    let r = api.get("/v1/batch/jobs/huge1").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let size = LIMIT - MIB;
    api.submit_form(form("big2", size)).await;
    let files = stored_files(&server);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(
        files[0].0.ends_with("inputs/big2.wav") && files[0].1 == size,
        "{files:?}"
    );

    let peak = server.peak_rss_bytes();
    println!(
        "server peak RSS after 300 MB refused + {} MB stored: {:.1} MB",
        size / 1_000_000,
        peak as f64 / 1e6
    );
    assert!(
        peak < PEAK_RSS_LIMIT,
        "peak RSS {peak} bytes: uploads are being buffered"
    );
}
