//! URL input: the worker downloads the audio from an HTTPS server (inside the test, with a
//! self-signed certificate and the allow-list), stores it in the input bucket under the
//! contract's key, and transcribes it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::common::*;
use blob::{BlobStore, Bucket};
use jobs::{JobStatus, NewJob};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use worker::WorkerPool;

const CLIP: &str = "clips/en_sense_and_sensibility_0870.wav";

/// Serves `audio` for every GET on `localhost` over TLS. HTTP/1.1 is written by hand: one
/// canned response per connection needs less code than a server framework.
async fn https_server(audio: &Path, dir: &Path) -> (u16, PathBuf) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let ca_path = dir.join("test-ca.pem");
    std::fs::write(&ca_path, certified.cert.pem()).unwrap();
    let cert = rustls::pki_types::CertificateDer::from(certified.cert.der().to_vec());
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.key_pair.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let audio = Arc::new(std::fs::read(audio).unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let (acceptor, audio) = (acceptor.clone(), audio.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let header = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    audio.len()
                );
                let _ = tls.write_all(header.as_bytes()).await;
                let _ = tls.write_all(&audio).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, ca_path)
}

async fn url_job(env: &Env, job_id: &str, url: String) {
    env.db
        .create(NewJob {
            job_id: job_id.into(),
            api_key_id: "key-test".into(),
            organisation_id: ORG.into(),
            model_code: worker::DEFAULT_MODEL_CODE.into(),
            job_config: typed(
                json!({"type": "transcription", "transcription_config": {"language": "en"}}),
            ),
            metadata: None,
            input_metadata: typed(json!({"source": "url"})),
            input_key: None,
            input_url: Some(url),
            held_for: None,
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_input_is_downloaded_stored_and_transcribed() {
    let env = Env::new().await;
    let audio = fixture(CLIP);
    let (port, ca) = https_server(&audio, env.dir.path()).await;
    url_job(
        &env,
        "joburlwav",
        format!("https://localhost:{port}/media/My%20Talk.wav?sig=abc"),
    )
    .await;
    // No audio extension in the address: stored provisionally, then under the probed format.
    url_job(
        &env,
        "joburlbare",
        format!("https://localhost:{port}/download?id=7"),
    )
    .await;

    let mut config = config();
    config.fetch_policy.allow_hosts = vec!["localhost".into()];
    config.fetch_policy.extra_ca_cert = Some(ca);
    let pool = WorkerPool::start(env.jobs(), env.blobs(), config);
    let with_ext = env.wait_terminal("joburlwav").await;
    let bare = env.wait_terminal("joburlbare").await;
    pool.shutdown().await;

    let size = std::fs::metadata(&audio).unwrap().len();
    for job in [&with_ext, &bare] {
        assert_eq!(
            job.status,
            JobStatus::Done,
            "{}: {:?}",
            job.job_id,
            job.error_message
        );
        let key = format!("inputs/{}.wav", job.job_id);
        assert_eq!(job.input_key.as_deref(), Some(key.as_str()));
        assert_eq!(
            env.blobs.head(Bucket::Input, &key).await.unwrap(),
            Some(size)
        );
        let meta = json!(job.input_metadata);
        assert_eq!(meta["source"], "url");
        assert_eq!(meta["size_bytes"], json!(size));
        assert_eq!(meta["format"], "wav");
        let txt = env.output(&job.job_id, "txt").await.unwrap();
        assert!(txt.to_lowercase().contains("dashwood"), "{txt}");
    }
    assert_eq!(
        env.blobs
            .head(Bucket::Input, "inputs/joburlbare.bin")
            .await
            .unwrap(),
        None,
        "provisional copy removed"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&env.output("joburlwav", "json").await.unwrap()).unwrap();
    assert_eq!(doc["job"]["data_name"], "My Talk.wav");
    assert!(env.db.get(ORG, "joburlwav").await.unwrap().is_some());
}
