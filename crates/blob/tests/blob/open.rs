//! `blob::open` opens the store its settings name: the local folder when no S3 configuration is
//! given, else the S3 store, refused when it cannot work. (Which settings the environment gives
//! is the `verbatim` binary's business, tested there.)

use blob::{open, BlobError, Bucket, S3Config};
use futures::StreamExt;

use crate::common::download_url;
use crate::s3_store::{test_credentials, UPLOADS};

const BASE: &str = "http://127.0.0.1:8080";

fn s3(endpoint: Option<&str>, input: &str, output: &str) -> S3Config {
    S3Config {
        endpoint: endpoint.map(str::to_string),
        region: "us-east-1".into(),
        input_bucket: input.into(),
        output_bucket: output.into(),
        aws: Default::default(),
    }
}

fn refused(data: &std::path::Path, config: S3Config, why: &str) {
    match open(Some(config.clone()), data, BASE) {
        Err(BlobError::Io(msg)) => assert!(msg.contains(why), "{config:?}: {msg}"),
        Err(e) => panic!("{config:?}: {e:?}"),
        Ok(_) => panic!("{config:?}: accepted"),
    }
}

#[tokio::test]
async fn the_settings_pick_the_backend() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();

    // No S3 configuration: the embedded local store, which also serves the signed routes.
    let (store, local) = open(None, data, BASE).unwrap();
    assert!(local.is_some());
    assert_eq!(
        (
            store.bucket_name(Bucket::Input),
            store.bucket_name(Bucket::Output)
        ),
        ("input", "output")
    );
    assert!(data.join("input").is_dir() && data.join("output").is_dir());
    assert!(download_url(&*store, Bucket::Output, "outputs/a.txt", 60)
        .await
        .starts_with("http://127.0.0.1:8080/v1/blob/output/outputs/a.txt?"));

    // S3 configurations that cannot work are refused when opened.
    refused(
        data,
        s3(Some("http://127.0.0.1:9"), "b", "b"),
        "must differ",
    );
    refused(
        data,
        s3(Some("ftp://127.0.0.1"), "i", "o"),
        "invalid VERBATIM_S3_ENDPOINT",
    );

    // AWS itself (no endpoint): virtual-hosted URLs in the configured region, signed offline
    // with the credentials given.
    let config = S3Config {
        region: "eu-west-1".into(),
        aws: vec![
            ("AWS_ACCESS_KEY_ID".into(), "AKIDEXAMPLE".into()),
            (
                "AWS_SECRET_ACCESS_KEY".into(),
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            ),
        ]
        .into(),
        ..s3(None, "acme-in", "acme-out")
    };
    let (store, local) = open(Some(config), data, BASE).unwrap();
    assert!(local.is_none());
    assert_eq!(
        store.s3_uri(Bucket::Input, "inputs/j.wav"),
        "s3://acme-in/inputs/j.wav"
    );
    let url = download_url(&*store, Bucket::Output, "outputs/j.srt", 3600).await;
    assert!(
        url.starts_with("https://acme-out.s3.eu-west-1.amazonaws.com/outputs/j.srt?"),
        "{url}"
    );
    assert!(
        url.contains("X-Amz-Algorithm=AWS4-HMAC-SHA256") && url.contains("X-Amz-Expires=3600"),
        "{url}"
    );
    assert!(url.contains("X-Amz-Credential=AKIDEXAMPLE%2F"), "{url}");

    // A real S3-compatible server, when the test services run: the chosen store works.
    let Ok(endpoint) = std::env::var("VERBATIM_TEST_S3_ENDPOINT") else {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "VERBATIM_TEST_S3_ENDPOINT is not set under CI"
        );
        eprintln!("note: VERBATIM_TEST_S3_ENDPOINT is not set, the S3 part is skipped; scripts/test.sh starts an S3 server");
        return;
    };
    let config = S3Config {
        aws: test_credentials().into(),
        ..s3(Some(&endpoint), "vbtest-input", "vbtest-output")
    };
    let (store, local) = open(Some(config), data, BASE).unwrap();
    assert!(local.is_none());
    let _guard = UPLOADS.read().await;
    let key = format!("open{:016x}/outputs/x.txt", rand::random::<u64>());
    let body = futures::stream::iter([Ok(bytes::Bytes::from_static(b"hello"))]).boxed();
    assert_eq!(
        store
            .put_stream(Bucket::Output, &key, body, 100)
            .await
            .unwrap(),
        5
    );
    assert_eq!(store.head(Bucket::Output, &key).await.unwrap(), Some(5));
    let url = download_url(&*store, Bucket::Output, &key, 60).await;
    assert_eq!(
        reqwest::get(&url).await.unwrap().text().await.unwrap(),
        "hello"
    );
    store.delete(Bucket::Output, &key).await.unwrap();
}
