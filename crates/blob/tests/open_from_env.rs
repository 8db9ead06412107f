//! `blob::open_from_env` picks the backend from the environment. One test function, so that
//! no other test of this binary sees the variables it sets.

use std::time::Duration;

use blob::{open_from_env, BlobError, Bucket};
use futures::StreamExt;

const VARS: [&str; 4] = [
    "VERBATIM_S3_ENDPOINT",
    "VERBATIM_S3_REGION",
    "VERBATIM_INPUT_BUCKET",
    "VERBATIM_OUTPUT_BUCKET",
];

fn set(vars: &[(&str, &str)]) {
    for v in VARS {
        std::env::remove_var(v);
    }
    for (k, v) in vars {
        std::env::set_var(k, v);
    }
}

fn refused(data: &std::path::Path, vars: &[(&str, &str)], why: &str) {
    set(vars);
    match open_from_env(data, "http://127.0.0.1:8080") {
        Err(BlobError::Io(msg)) => assert!(msg.contains(why), "{vars:?}: {msg}"),
        Err(e) => panic!("{vars:?}: {e:?}"),
        Ok(_) => panic!("{vars:?}: accepted"),
    }
}

#[tokio::test]
async fn the_environment_picks_the_backend() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();

    // Nothing set: the embedded local store, which also serves the signed routes.
    set(&[]);
    let (store, local) = open_from_env(data, "http://127.0.0.1:8080").unwrap();
    assert!(local.is_some());
    assert_eq!(
        (
            store.bucket_name(Bucket::Input),
            store.bucket_name(Bucket::Output)
        ),
        ("input", "output")
    );
    assert!(data.join("input").is_dir() && data.join("output").is_dir());
    assert!(store
        .presign_get(
            Bucket::Output,
            "outputs/a.txt",
            "application/octet-stream",
            Duration::from_secs(60)
        )
        .await
        .unwrap()
        .starts_with("http://127.0.0.1:8080/v1/blob/output/outputs/a.txt?"));

    // Half-done S3 configurations are refused, not silently local.
    refused(
        data,
        &[("VERBATIM_INPUT_BUCKET", "in")],
        "VERBATIM_OUTPUT_BUCKET is not set",
    );
    refused(
        data,
        &[("VERBATIM_OUTPUT_BUCKET", "out")],
        "VERBATIM_INPUT_BUCKET is not set",
    );
    refused(
        data,
        &[("VERBATIM_S3_ENDPOINT", "http://127.0.0.1:9")],
        "VERBATIM_INPUT_BUCKET is not set",
    );
    let both = [
        ("VERBATIM_S3_ENDPOINT", "http://127.0.0.1:9"),
        ("VERBATIM_INPUT_BUCKET", "b"),
        ("VERBATIM_OUTPUT_BUCKET", "b"),
    ];
    refused(data, &both, "must differ");
    let ftp = [
        ("VERBATIM_S3_ENDPOINT", "ftp://127.0.0.1"),
        ("VERBATIM_INPUT_BUCKET", "i"),
        ("VERBATIM_OUTPUT_BUCKET", "o"),
    ];
    refused(data, &ftp, "invalid VERBATIM_S3_ENDPOINT");

    // AWS itself (no endpoint): virtual-hosted URLs in the configured region, signed offline.
    let saved: Vec<(&str, Option<String>)> = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
        .into_iter()
        .map(|k| (k, std::env::var(k).ok()))
        .collect();
    std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
    std::env::set_var(
        "AWS_SECRET_ACCESS_KEY",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    );
    set(&[
        ("VERBATIM_S3_REGION", "eu-west-1"),
        ("VERBATIM_INPUT_BUCKET", "acme-in"),
        ("VERBATIM_OUTPUT_BUCKET", "acme-out"),
    ]);
    let (store, local) = open_from_env(data, "http://127.0.0.1:8080").unwrap();
    assert!(local.is_none());
    assert_eq!(
        store.s3_uri(Bucket::Input, "inputs/j.wav"),
        "s3://acme-in/inputs/j.wav"
    );
    let url = store
        .presign_get(
            Bucket::Output,
            "outputs/j.srt",
            "application/octet-stream",
            Duration::from_secs(3600),
        )
        .await
        .unwrap();
    assert!(
        url.starts_with("https://acme-out.s3.eu-west-1.amazonaws.com/outputs/j.srt?"),
        "{url}"
    );
    assert!(
        url.contains("X-Amz-Algorithm=AWS4-HMAC-SHA256") && url.contains("X-Amz-Expires=3600"),
        "{url}"
    );
    assert!(url.contains("X-Amz-Credential=AKIDEXAMPLE%2F"), "{url}");
    for (k, v) in saved {
        match v {
            Some(v) => std::env::set_var(k, v),
            None => std::env::remove_var(k),
        }
    }

    // A real S3-compatible server, when the test services run: the chosen store works.
    let Ok(endpoint) = std::env::var("VERBATIM_TEST_S3_ENDPOINT") else {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "VERBATIM_TEST_S3_ENDPOINT is not set under CI"
        );
        eprintln!("note: VERBATIM_TEST_S3_ENDPOINT is not set, the S3 part is skipped; scripts/test.sh starts an S3 server");
        return;
    };
    set(&[
        ("VERBATIM_S3_ENDPOINT", &endpoint),
        ("VERBATIM_INPUT_BUCKET", "vbtest-input"),
        ("VERBATIM_OUTPUT_BUCKET", "vbtest-output"),
    ]);
    let (store, local) = open_from_env(data, "http://127.0.0.1:8080").unwrap();
    assert!(local.is_none());
    let key = format!("env{:016x}/outputs/x.txt", rand::random::<u64>());
    let body = futures::stream::iter([Ok(bytes::Bytes::from_static(b"hello"))]).boxed();
    assert_eq!(
        store
            .put_stream(Bucket::Output, &key, body, 100)
            .await
            .unwrap(),
        5
    );
    assert_eq!(store.head(Bucket::Output, &key).await.unwrap(), Some(5));
    let url = store
        .presign_get(
            Bucket::Output,
            &key,
            "application/octet-stream",
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert_eq!(
        reqwest::get(&url).await.unwrap().text().await.unwrap(),
        "hello"
    );
    store.delete(Bucket::Output, &key).await.unwrap();
}
