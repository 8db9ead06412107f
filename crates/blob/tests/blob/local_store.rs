//! The local blob store on a real folder: streaming puts with limits, reads, deletes, key
//! checks, and signed URLs (valid, expired, every field tampered).

use std::time::Duration;

use blob::{Access, BlobError, BlobStore, Bucket, Grant, LocalBlobStore};
use bytes::Bytes;
use futures::stream::{self, StreamExt};

use crate::common::{body, download_url, read_all, upload_url};

fn open(dir: &std::path::Path) -> LocalBlobStore {
    LocalBlobStore::open(dir, "http://127.0.0.1:8080", "input", "output").unwrap()
}

/// Every file under `dir`, relative, sorted (staging files included).
fn files(dir: &std::path::Path) -> Vec<String> {
    fn walk(root: &std::path::Path, d: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out)
            } else {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[tokio::test]
async fn put_get_head_delete_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    // 12 MiB in 64 KiB chunks: several multipart parts.
    let n = 192;
    let size = 64 * 1024;
    let written = store
        .put_stream(Bucket::Input, "inputs/job1.wav", body(n, size), 1 << 30)
        .await
        .unwrap();
    assert_eq!(written, (n * size) as u64);
    assert_eq!(
        store.head(Bucket::Input, "inputs/job1.wav").await.unwrap(),
        Some(written)
    );
    assert_eq!(
        store.head(Bucket::Output, "inputs/job1.wav").await.unwrap(),
        None,
        "buckets are separate"
    );

    let data = read_all(&store, Bucket::Input, "inputs/job1.wav").await;
    assert!(
        data.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8),
        "bytes differ"
    );
    // The object is a plain file in the bucket folder, and nothing else is there.
    assert_eq!(
        files(&dir.path().join("input")),
        vec!["inputs/job1.wav".to_string()]
    );

    let out = dir.path().join("copy.bin");
    assert_eq!(
        store
            .get_to_file(Bucket::Input, "inputs/job1.wav", &out)
            .await
            .unwrap(),
        written
    );
    assert_eq!(std::fs::read(&out).unwrap(), data);

    // put_file, and overwrite replaces.
    std::fs::write(&out, b"hello").unwrap();
    assert_eq!(
        store
            .put_file(Bucket::Output, "outputs/job1.txt", &out)
            .await
            .unwrap(),
        5
    );
    assert_eq!(
        read_all(&store, Bucket::Output, "outputs/job1.txt").await,
        b"hello"
    );
    std::fs::write(&out, b"bye").unwrap();
    store
        .put_file(Bucket::Output, "outputs/job1.txt", &out)
        .await
        .unwrap();
    assert_eq!(
        read_all(&store, Bucket::Output, "outputs/job1.txt").await,
        b"bye"
    );

    // Empty objects are objects.
    assert_eq!(
        store
            .put_stream(Bucket::Output, "outputs/empty.txt", body(0, 0), 10)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .head(Bucket::Output, "outputs/empty.txt")
            .await
            .unwrap(),
        Some(0)
    );

    store
        .delete(Bucket::Input, "inputs/job1.wav")
        .await
        .unwrap();
    assert_eq!(
        store.head(Bucket::Input, "inputs/job1.wav").await.unwrap(),
        None
    );
    store
        .delete(Bucket::Input, "inputs/job1.wav")
        .await
        .unwrap(); // missing is Ok
    assert!(matches!(
        store.get_stream(Bucket::Input, "inputs/job1.wav").await,
        Err(BlobError::NotFound)
    ));
    assert_eq!(
        store
            .get_to_file(Bucket::Input, "inputs/job1.wav", &out)
            .await
            .err(),
        Some(BlobError::NotFound)
    );
    assert!(dir.path().join("input").is_dir(), "bucket folder stays");
}

#[tokio::test]
async fn over_the_limit_is_too_large_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    // Exactly at the limit is fine.
    assert_eq!(
        store
            .put_stream(Bucket::Input, "inputs/exact.wav", body(4, 1000), 4000)
            .await
            .unwrap(),
        4000
    );
    // One byte over, after several parts' worth were written: refused, no object, no staging file.
    let big = 12 * 1024 * 1024;
    let r = store
        .put_stream(
            Bucket::Input,
            "inputs/big.wav",
            body(big / 65536 + 1, 65536),
            big as u64,
        )
        .await;
    assert_eq!(r, Err(BlobError::TooLarge));
    assert_eq!(
        store.head(Bucket::Input, "inputs/big.wav").await.unwrap(),
        None
    );
    assert_eq!(
        files(&dir.path().join("input")),
        vec!["inputs/exact.wav".to_string()]
    );

    // A refused overwrite leaves the old object intact.
    let r = store
        .put_stream(Bucket::Input, "inputs/exact.wav", body(5, 1000), 4000)
        .await;
    assert_eq!(r, Err(BlobError::TooLarge));
    assert_eq!(
        read_all(&store, Bucket::Input, "inputs/exact.wav")
            .await
            .len(),
        4000
    );

    // A body that fails midway (client hung up) leaves nothing either.
    let broken = stream::iter(vec![
        Ok(Bytes::from(vec![1u8; 100_000])),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "client went away",
        )),
    ])
    .boxed();
    let r = store
        .put_stream(Bucket::Input, "inputs/broken.wav", broken, 1 << 30)
        .await;
    assert!(
        matches!(r, Err(BlobError::Io(ref m)) if m.contains("client went away")),
        "{r:?}"
    );
    assert_eq!(
        files(&dir.path().join("input")),
        vec!["inputs/exact.wav".to_string()]
    );
}

#[tokio::test]
async fn delete_prefix_removes_the_folder_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    for key in [
        "inputs/job1/a.wav",
        "inputs/job1/sub/b.wav",
        "inputs/job1.wav",
        "inputs/job12/c.wav",
    ] {
        store
            .put_stream(Bucket::Input, key, body(1, 10), 100)
            .await
            .unwrap();
    }
    store
        .delete_prefix(Bucket::Input, "inputs/job1/")
        .await
        .unwrap();
    assert_eq!(
        files(&dir.path().join("input")),
        vec![
            "inputs/job1.wav".to_string(),
            "inputs/job12/c.wav".to_string()
        ]
    );
    store
        .delete_prefix(Bucket::Input, "inputs/nothing")
        .await
        .unwrap();
}

/// Whether an operation was refused for its key.
fn refused<T>(result: &Result<T, BlobError>) -> bool {
    matches!(result, Err(BlobError::InvalidKey(_)))
}

const MINUTE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn keys_that_escape_or_are_odd_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    std::fs::write(dir.path().join("secret.txt"), b"secret").unwrap();
    for key in [
        "../secret.txt",
        "inputs/../../secret.txt",
        "/etc/passwd",
        "inputs\\..\\x",
        "a//b",
        "",
        "inputs/x#1",
    ] {
        let any = "application/octet-stream";
        let presign = store.presign(Access::Get, Bucket::Input, key, any, MINUTE);
        let refusals = [
            (
                "put",
                refused(&store.put_stream(Bucket::Input, key, body(1, 1), 10).await),
            ),
            ("get", refused(&store.get_stream(Bucket::Input, key).await)),
            ("head", refused(&store.head(Bucket::Input, key).await)),
            ("delete", refused(&store.delete(Bucket::Input, key).await)),
            ("presign", refused(&presign.await)),
        ];
        for (operation, refused) in refusals {
            assert!(refused, "{operation} {key:?}");
        }
    }
    assert!(matches!(
        store.delete_prefix(Bucket::Input, "../").await,
        Err(BlobError::InvalidKey(_))
    ));
    assert_eq!(
        std::fs::read(dir.path().join("secret.txt")).unwrap(),
        b"secret"
    );
    // Odd but harmless file names (presigned uploads keep the client's name) work.
    let key = "inputs/job2/my take [1] {50%}.wav";
    store
        .put_stream(Bucket::Input, key, body(1, 3), 10)
        .await
        .unwrap();
    assert_eq!(store.head(Bucket::Input, key).await.unwrap(), Some(3));
    assert_eq!(read_all(&store, Bucket::Input, key).await.len(), 3);
}

/// Splits a signed URL into (path after /v1/blob/, expires, signature).
fn parts(url: &str) -> (String, i64, String) {
    let u = url::Url::parse(url).unwrap();
    let path = u.path().strip_prefix("/v1/blob/").unwrap().to_string();
    let q: std::collections::HashMap<String, String> = u.query_pairs().into_owned().collect();
    (path, q["expires"].parse().unwrap(), q["signature"].clone())
}

fn decode(path: &str) -> String {
    percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

#[tokio::test]
async fn signed_urls_verify_and_refuse_every_change() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let key = "inputs/job3/my file.wav";

    let url = download_url(&store, Bucket::Output, "outputs/job3.srt", 3600).await;
    assert!(
        url.starts_with("http://127.0.0.1:8080/v1/blob/output/outputs/job3.srt?expires="),
        "{url}"
    );
    let (path, expires, sig) = parts(&url);
    let now = chrono::Utc::now().timestamp();
    assert!(
        (now + 3590..=now + 3610).contains(&expires),
        "expiry {expires} vs now {now}"
    );
    let (bucket, k) = path.split_once('/').unwrap();
    assert_eq!(store.bucket_by_name(bucket), Some(Bucket::Output));
    let signer = store.signer();
    let get = Grant {
        method: "GET",
        bucket,
        key: k,
        expires,
        content_type: None,
    };
    assert_eq!(signer.verify(&get, &sig), Ok(()));
    // Method, bucket, key, expiry, content type and signature each matter.
    for changed in [
        Grant {
            method: "PUT",
            ..get
        },
        Grant {
            bucket: "input",
            ..get
        },
        Grant {
            key: "outputs/job3.txt",
            ..get
        },
        Grant {
            expires: expires + 1,
            ..get
        },
        Grant {
            content_type: Some("audio/wav"),
            ..get
        },
    ] {
        assert_eq!(
            signer.verify(&changed, &sig),
            Err(BlobError::Forbidden),
            "{changed:?}"
        );
    }
    for i in 0..sig.len() {
        let mut t = sig.clone().into_bytes();
        t[i] = if t[i] == b'0' { b'1' } else { b'0' };
        let t = String::from_utf8(t).unwrap();
        assert_eq!(
            signer.verify(&get, &t),
            Err(BlobError::Forbidden),
            "byte {i}"
        );
    }
    for bad in [&sig[..sig.len() - 2], "not hex", ""] {
        assert_eq!(signer.verify(&get, bad), Err(BlobError::Forbidden), "{bad}");
    }

    // PUT: the content type is signed; the key is percent-encoded in the URL path.
    let url = upload_url(&store, key, "audio/wav", 1800).await;
    assert!(
        url.contains("/v1/blob/input/inputs/job3/my%20file.wav?"),
        "{url}"
    );
    let (path, expires, sig) = parts(&url);
    let (bucket, k) = path.split_once('/').unwrap();
    let k = decode(k);
    assert_eq!(k, key);
    let put = Grant {
        method: "PUT",
        bucket,
        key: &k,
        expires,
        content_type: Some("audio/wav"),
    };
    assert_eq!(signer.verify(&put, &sig), Ok(()));
    for changed in [
        Grant {
            content_type: Some("audio/mpeg"),
            ..put
        },
        Grant {
            content_type: None,
            ..put
        },
        Grant {
            method: "GET",
            ..put
        },
    ] {
        assert_eq!(
            signer.verify(&changed, &sig),
            Err(BlobError::Forbidden),
            "{changed:?}"
        );
    }

    // Expired: a correctly signed URL whose time has passed.
    let from_file = blob::Signer::load_or_create(&dir.path().join("signing.key")).unwrap();
    let expired = Grant {
        method: "GET",
        bucket: "input",
        key,
        expires: chrono::Utc::now().timestamp() - 1,
        content_type: None,
    };
    let old = from_file.sign(&expired);
    assert_eq!(signer.verify(&expired, &old), Err(BlobError::Expired));
    // Expired and tampered is still just refused.
    assert_eq!(
        signer.verify(
            &Grant {
                key: "inputs/other.wav",
                ..expired
            },
            &old
        ),
        Err(BlobError::Forbidden)
    );
}

#[tokio::test]
async fn the_signing_key_persists_and_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let url = download_url(&open(dir.path()), Bucket::Input, "inputs/a.wav", 60).await;
    let (_, expires, sig) = parts(&url);
    // Reopened (a restart): the same secret, so issued URLs still work.
    let issued = Grant {
        method: "GET",
        bucket: "input",
        key: "inputs/a.wav",
        expires,
        content_type: None,
    };
    assert_eq!(open(dir.path()).signer().verify(&issued, &sig), Ok(()));
    let keyfile = dir.path().join("signing.key");
    assert_eq!(std::fs::read(&keyfile).unwrap().len(), 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&keyfile).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // Another data folder has another secret.
    let other = tempfile::tempdir().unwrap();
    assert_eq!(
        open(other.path()).signer().verify(&issued, &sig),
        Err(BlobError::Forbidden)
    );
    // A damaged key file is an error, not a silently new secret.
    std::fs::write(&keyfile, b"short").unwrap();
    assert!(matches!(
        LocalBlobStore::open(dir.path(), "http://x", "input", "output"),
        Err(BlobError::Io(_))
    ));
}

#[tokio::test]
async fn bad_configuration_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (why, base, i, o) in [
        ("the base is no URL", "not a url", "input", "output"),
        ("the base is not http(s)", "ftp://host", "input", "output"),
        ("one bucket for both", "http://h", "same", "same"),
        (
            "a bucket name that leaves its folder",
            "http://h",
            "../x",
            "output",
        ),
        (
            "a bucket name with capitals and a slash",
            "http://h",
            "input",
            "Out/put",
        ),
        ("an empty bucket name", "http://h", "", "output"),
    ] {
        assert!(
            LocalBlobStore::open(dir.path(), base, i, o).is_err(),
            "{why}: {base} {i} {o}"
        );
    }
    // A base URL with a path prefix keeps it.
    let s = LocalBlobStore::open(dir.path(), "https://example.com/verbatim/", "in", "out").unwrap();
    assert_eq!(
        s.s3_uri(Bucket::Input, "inputs/x.wav"),
        "s3://in/inputs/x.wav"
    );
    let url = download_url(&s, Bucket::Output, "outputs/x.json", 5).await;
    assert!(
        url.starts_with("https://example.com/verbatim/v1/blob/out/outputs/x.json?expires="),
        "{url}"
    );
}

#[tokio::test]
async fn stale_staging_files_are_swept() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store
        .put_stream(Bucket::Input, "inputs/kept.wav", body(1, 10), 100)
        .await
        .unwrap();
    // What a crash mid-upload leaves: staging files next to their keys.
    let input = dir.path().join("input/inputs");
    std::fs::create_dir_all(input.join("job9")).unwrap();
    std::fs::write(input.join("cut.wav#1"), b"partial").unwrap();
    std::fs::write(input.join("job9/a b.wav#23"), b"partial").unwrap();
    std::fs::write(dir.path().join("output/x.json#4"), b"partial").unwrap();
    std::fs::write(input.join("name#with-hash.wav"), b"a real object").unwrap();
    // Fresh ones are left alone (another process may be writing them).
    assert_eq!(
        store
            .remove_stale_uploads(Duration::from_secs(3600))
            .await
            .unwrap(),
        0
    );
    assert_eq!(store.remove_stale_uploads(Duration::ZERO).await.unwrap(), 3);
    assert_eq!(
        files(&dir.path().join("input")),
        vec![
            "inputs/kept.wav".to_string(),
            "inputs/name#with-hash.wav".to_string()
        ]
    );
    assert_eq!(files(&dir.path().join("output")), Vec::<String>::new());
}
