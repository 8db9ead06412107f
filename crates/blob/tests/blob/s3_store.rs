//! The S3 blob store against a real S3-compatible server (scripts/test.sh starts s3s-fs and
//! exports VERBATIM_TEST_S3_ENDPOINT, VERBATIM_TEST_S3_DIR and the AWS credential variables):
//! streaming puts with limits (aborted multipart uploads leave nothing), reads, deletes, and
//! SigV4 presigned URLs fetched with a plain HTTP client (valid, expired, tampered).

use std::time::Duration;

use blob::{BlobError, BlobStore, Bucket, S3BlobStore, S3Config};
use futures::stream::{self, StreamExt};

use crate::common::{body, download_url, expected, read_all, upload_url};

/// Buckets scripts/start-test-services.sh creates.
const INPUT: &str = "vbtest-input";
const OUTPUT: &str = "vbtest-output";

/// Uploads in flight leave state files on the server; the test that checks none is left
/// runs alone. Every test of this binary that uploads to the S3 server holds it for reading.
pub static UPLOADS: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

struct S3 {
    store: S3BlobStore,
    /// A key prefix of this test's own, so tests sharing the buckets never meet.
    p: String,
    dir: Option<std::path::PathBuf>,
}

fn s3() -> Option<S3> {
    let endpoint = match std::env::var("VERBATIM_TEST_S3_ENDPOINT") {
        Ok(e) if !e.is_empty() => e,
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("VERBATIM_TEST_S3_ENDPOINT is not set: under CI the S3 tests must run (scripts/test.sh starts the S3 server)")
        }
        _ => {
            eprintln!("note: VERBATIM_TEST_S3_ENDPOINT is not set, S3 test skipped; scripts/test.sh starts an S3 server");
            return None;
        }
    };
    let store = S3BlobStore::open(S3Config {
        endpoint: Some(endpoint),
        region: "us-east-1".into(),
        input_bucket: INPUT.into(),
        output_bucket: OUTPUT.into(),
        aws: test_credentials().into(),
    })
    .unwrap();
    let p = format!("t{:016x}", rand::random::<u64>());
    Some(S3 {
        store,
        p,
        dir: std::env::var_os("VERBATIM_TEST_S3_DIR").map(Into::into),
    })
}

/// [`s3`], holding the server for reading (see [`UPLOADS`]).
async fn s3_shared() -> Option<(S3, tokio::sync::RwLockReadGuard<'static, ()>)> {
    let s3 = s3()?;
    Some((s3, UPLOADS.read().await))
}

/// The credentials of the test S3 server (scripts/start-test-services.sh exports them).
pub fn test_credentials() -> Vec<(String, String)> {
    ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
        .into_iter()
        .filter_map(|k| Some((k.to_string(), std::env::var(k).ok()?)))
        .collect()
}

#[tokio::test]
async fn put_get_head_delete_round_trip() {
    let Some((S3 { store, p, .. }, _guard)) = s3_shared().await else {
        return;
    };
    let key = format!("{p}/inputs/job1.wav");
    // 12 MiB in 64 KiB chunks: three multipart parts.
    let (n, size) = (192, 64 * 1024);
    let written = store
        .put_stream(Bucket::Input, &key, body(n, size), 1 << 30)
        .await
        .unwrap();
    assert_eq!(written, (n * size) as u64);
    assert_eq!(
        store.head(Bucket::Input, &key).await.unwrap(),
        Some(written)
    );
    assert_eq!(
        store.head(Bucket::Output, &key).await.unwrap(),
        None,
        "buckets are separate"
    );
    assert!(read_all(&store, Bucket::Input, &key).await == expected(n * size));

    // To and from local files.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("got.wav");
    assert_eq!(
        store.get_to_file(Bucket::Input, &key, &file).await.unwrap(),
        written
    );
    assert!(std::fs::read(&file).unwrap() == expected(n * size));
    let out_key = format!("{p}/outputs/job1.json");
    std::fs::write(&file, b"{\"ok\": true}").unwrap();
    assert_eq!(
        store
            .put_file(Bucket::Output, &out_key, &file)
            .await
            .unwrap(),
        12
    );
    assert_eq!(
        read_all(&store, Bucket::Output, &out_key).await,
        b"{\"ok\": true}"
    );

    // Replacing, an empty object, odd characters in keys.
    store
        .put_stream(Bucket::Output, &out_key, body(1, 5), 100)
        .await
        .unwrap();
    assert_eq!(
        read_all(&store, Bucket::Output, &out_key).await,
        expected(5)
    );
    let empty = format!("{p}/outputs/empty.txt");
    assert_eq!(
        store
            .put_stream(Bucket::Output, &empty, body(0, 0), 100)
            .await
            .unwrap(),
        0
    );
    assert_eq!(store.head(Bucket::Output, &empty).await.unwrap(), Some(0));
    let odd = format!("{p}/inputs/job2/my take [2] 50%.wav");
    store
        .put_stream(Bucket::Input, &odd, body(1, 10), 100)
        .await
        .unwrap();
    assert_eq!(read_all(&store, Bucket::Input, &odd).await, expected(10));

    // Missing objects, deletes.
    let missing = format!("{p}/inputs/nosuch.wav");
    assert_eq!(store.head(Bucket::Input, &missing).await.unwrap(), None);
    assert!(matches!(
        store.get_stream(Bucket::Input, &missing).await,
        Err(BlobError::NotFound)
    ));
    assert_eq!(
        store
            .get_to_file(Bucket::Input, &missing, &file)
            .await
            .unwrap_err(),
        BlobError::NotFound
    );
    store.delete(Bucket::Input, &key).await.unwrap();
    assert_eq!(store.head(Bucket::Input, &key).await.unwrap(), None);
    store.delete(Bucket::Input, &key).await.unwrap();

    assert_eq!(
        store.s3_uri(Bucket::Input, "inputs/a.wav"),
        format!("s3://{INPUT}/inputs/a.wav")
    );
    assert_eq!(
        store.s3_uri(Bucket::Output, "outputs/a.srt"),
        format!("s3://{OUTPUT}/outputs/a.srt")
    );
    assert!(matches!(
        store.head(Bucket::Input, "../etc/passwd").await,
        Err(BlobError::InvalidKey(_))
    ));
}

/// Files an unfinished multipart upload leaves in s3s-fs's folder (`.upload-<id>.json`,
/// `.upload_id-<id>.part-<n>`, ...).
fn upload_state_files(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".upload"))
        .collect()
}

#[tokio::test]
async fn over_the_limit_is_too_large_and_the_upload_is_aborted() {
    let Some(S3 { store, p, dir }) = s3() else {
        return;
    };
    let _alone = UPLOADS.write().await;
    let key = format!("{p}/inputs/big.wav");
    // 12 MiB against a 7 MiB limit: one 5 MiB part is already on the server when the limit hits.
    let res = store
        .put_stream(Bucket::Input, &key, body(192, 64 * 1024), 7 << 20)
        .await;
    assert_eq!(res, Err(BlobError::TooLarge));
    assert_eq!(store.head(Bucket::Input, &key).await.unwrap(), None);
    // A body that fails mid-way is aborted the same way.
    let failing = body(100, 64 * 1024)
        .chain(stream::iter([Err(std::io::Error::other(
            "client went away",
        ))]))
        .boxed();
    assert!(matches!(
        store
            .put_stream(Bucket::Input, &key, failing, u64::MAX)
            .await,
        Err(BlobError::Io(_))
    ));
    assert_eq!(store.head(Bucket::Input, &key).await.unwrap(), None);
    match dir {
        Some(dir) => assert_eq!(
            upload_state_files(&dir),
            Vec::<String>::new(),
            "multipart upload left behind"
        ),
        None => eprintln!("note: VERBATIM_TEST_S3_DIR not set, server-side leftovers not checked"),
    }
    // Exactly at the limit is fine.
    assert_eq!(
        store
            .put_stream(Bucket::Input, &key, body(2, 1000), 2000)
            .await,
        Ok(2000)
    );
}

#[tokio::test]
async fn delete_prefix_removes_the_folder_only() {
    let Some((S3 { store, p, .. }, _guard)) = s3_shared().await else {
        return;
    };
    let keys = [
        "inputs/job1/a.wav",
        "inputs/job1/sub/b.wav",
        "inputs/job1.wav",
        "inputs/job10/c.wav",
    ];
    for k in keys {
        store
            .put_stream(Bucket::Input, &format!("{p}/{k}"), body(1, 3), 10)
            .await
            .unwrap();
    }
    store
        .delete_prefix(Bucket::Input, &format!("{p}/inputs/job1"))
        .await
        .unwrap();
    let left: Vec<bool> = futures::future::join_all(keys.iter().map(|k| {
        let key = format!("{p}/{k}");
        let store = &store;
        async move { store.head(Bucket::Input, &key).await.unwrap().is_some() }
    }))
    .await;
    assert_eq!(left, vec![false, false, true, true]);
    store
        .delete_prefix(Bucket::Input, &format!("{p}/inputs/nothing-here/"))
        .await
        .unwrap();
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The URL with query parameter `name` replaced by `value`.
fn with_param(url: &str, name: &str, value: &str) -> String {
    let mut u = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            (
                k.to_string(),
                if k == name {
                    value.to_string()
                } else {
                    v.into_owned()
                },
            )
        })
        .collect();
    u.query_pairs_mut().clear().extend_pairs(pairs);
    u.into()
}

/// The status of one PUT of `body` to a presigned URL (a refusal's reason is in the log).
async fn put_status(
    client: &reqwest::Client,
    url: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> reqwest::StatusCode {
    let mut put = client.put(url).body(body);
    if let Some(content_type) = content_type {
        put = put.header("Content-Type", content_type);
    }
    let response = put.send().await.unwrap();
    let status = response.status();
    if !status.is_success() {
        eprintln!("PUT {url}: {status} {:?}", response.text().await);
    }
    status
}

/// Asserts that a PUT to the presigned `url` is refused and leaves nothing under `key`.
async fn assert_put_refused(store: &S3BlobStore, url: &str, content_type: &str, key: &str) {
    assert_eq!(put_status(&http(), url, Some(content_type), "x").await, 403);
    assert_eq!(store.head(Bucket::Input, key).await.unwrap(), None);
}

fn param(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .unwrap()
        .1
        .into_owned()
}

#[tokio::test]
async fn presigned_get_and_put_work_with_a_plain_client_and_refuse_changes() {
    let Some((S3 { store, p, .. }, _guard)) = s3_shared().await else {
        return;
    };
    let endpoint = std::env::var("VERBATIM_TEST_S3_ENDPOINT").unwrap();
    let client = http();

    // GET, as in /files (1 hour).
    let key = format!("{p}/outputs/job1.srt");
    store
        .put_stream(Bucket::Output, &key, body(3, 1000), 1 << 20)
        .await
        .unwrap();
    let url = download_url(&store, Bucket::Output, &key, 3600).await;
    assert!(
        url.starts_with(&format!(
            "{}/{OUTPUT}/{p}/outputs/job1.srt?",
            endpoint.trim_end_matches('/')
        )),
        "path-style: {url}"
    );
    assert_eq!(param(&url, "X-Amz-Algorithm"), "AWS4-HMAC-SHA256");
    assert_eq!(param(&url, "X-Amz-Expires"), "3600");
    assert!(param(&url, "X-Amz-Credential").contains("/us-east-1/s3/aws4_request"));
    let got = client.get(&url).send().await.unwrap();
    assert_eq!(got.status(), 200);
    assert!(got.bytes().await.unwrap() == expected(3000));

    // Every change to what is signed is refused.
    let sig = param(&url, "X-Amz-Signature");
    let flipped = format!(
        "{}{}",
        &sig[..sig.len() - 1],
        if sig.ends_with('0') { '1' } else { '0' }
    );
    let other_key = url.replace("/outputs/job1.srt?", "/outputs/job2.srt?");
    store
        .put_stream(
            Bucket::Output,
            &format!("{p}/outputs/job2.srt"),
            body(1, 10),
            100,
        )
        .await
        .unwrap();
    for bad in [
        with_param(&url, "X-Amz-Signature", &flipped),
        with_param(&url, "X-Amz-Expires", "7200"),
        with_param(&url, "X-Amz-Date", "20300101T000000Z"),
        other_key,
    ] {
        let status = client.get(&bad).send().await.unwrap().status();
        assert_eq!(status, 403, "tampered URL accepted: {bad}");
    }
    // Signed for GET, not for PUT.
    assert_eq!(put_status(&client, &url, None, "overwrite").await, 403);
    assert!(read_all(&store, Bucket::Output, &key).await == expected(3000));

    // PUT, as in presign step 1 (30 minutes), with the Content-Type the API announces.
    let in_key = format!("{p}/inputs/job3/meeting.mp3");
    let put = upload_url(&store, &in_key, "audio/mpeg", 1800).await;
    assert_eq!(param(&put, "X-Amz-Algorithm"), "AWS4-HMAC-SHA256");
    assert_eq!(param(&put, "X-Amz-Expires"), "1800");
    // What the signature covers: only the host header (see s3.rs), not the Content-Type.
    assert_eq!(param(&put, "X-Amz-SignedHeaders"), "host");
    assert_eq!(
        put_status(&client, &put, Some("audio/mpeg"), expected(4096)).await,
        200
    );
    assert_eq!(
        store.head(Bucket::Input, &in_key).await.unwrap(),
        Some(4096)
    );
    assert!(read_all(&store, Bucket::Input, &in_key).await == expected(4096));
    let tampered = put.replace("/job3/meeting.mp3?", "/job4/meeting.mp3?");
    let tampered_key = format!("{p}/inputs/job4/meeting.mp3");
    assert_put_refused(&store, &tampered, "audio/mpeg", &tampered_key).await;
    // Signed for PUT, not for GET.
    assert_eq!(client.get(&put).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn presigned_urls_expire() {
    let Some((S3 { store, p, .. }, _guard)) = s3_shared().await else {
        return;
    };
    let key = format!("{p}/outputs/short.txt");
    store
        .put_stream(Bucket::Output, &key, body(1, 10), 100)
        .await
        .unwrap();
    let get = download_url(&store, Bucket::Output, &key, 1).await;
    let late = format!("{p}/inputs/late.wav");
    let put = upload_url(&store, &late, "audio/wav", 1).await;
    // Past the expiry (whole seconds in SigV4) with a margin.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let client = http();
    assert_eq!(client.get(&get).send().await.unwrap().status(), 403);
    assert_put_refused(&store, &put, "audio/wav", &late).await;
}
