//! URL input: the worker downloads the audio from an HTTPS server (inside the test, with a
//! self-signed certificate and the allow-list), stores it in the input bucket under the
//! contract's key, and transcribes it.

use crate::common::*;
use blob::{BlobStore, Bucket};
use jobs::{JobStatus, NewJob};
use serde_json::json;
use testkit::https::HttpsServer;
use worker::WorkerPool;

const CLIP: &str = "clips/en_sense_and_sensibility_0870.wav";

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
            streams_text: false,
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_input_is_downloaded_stored_and_transcribed() {
    let env = Env::new().await;
    let audio = fixture(CLIP);
    let https = HttpsServer::start(&audio, env.dir.path()).await;
    url_job(&env, "joburlwav", https.url("/media/My%20Talk.wav?sig=abc")).await;
    // No audio extension in the address: stored provisionally, then under the probed format.
    url_job(&env, "joburlbare", https.url("/download?id=7")).await;

    let mut config = config();
    config.fetch_policy.allow_hosts = vec!["localhost".into()];
    config.fetch_policy.extra_ca_cert = Some(https.ca_path.clone());
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
