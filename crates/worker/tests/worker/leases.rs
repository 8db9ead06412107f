//! Leases and shutdown: a job is finished exactly once whatever happens to the worker holding
//! it. Real SQLite, real local blob store, real tiny.en on real speech.

use std::time::Duration;

use crate::common::*;
use blob::{BlobStore, Bucket};
use futures::StreamExt;
use jobs::JobStatus;
use serde_json::json;
use std::sync::Arc;
use worker::{WorkerConfig, WorkerPool};

const CLIP: &str = "clips/en_sense_and_sensibility_0870.wav";

fn tc() -> serde_json::Value {
    json!({"type": "transcription", "transcription_config": {"language": "en"}})
}

/// Waits (with a hang guard) until the recorder shows an event matching `f`.
async fn wait_event(env: &Env, f: impl Fn(&Event) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    while !env.recorder.events().iter().any(&f) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "event never came: {:#?}",
            env.recorder.events()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn worker_settled(env: &Env, job_id: &str) -> Vec<Event> {
    env.recorder
        .events()
        .into_iter()
        .filter(|e| match e {
            Event::Complete { job_id: j, .. }
            | Event::Fail { job_id: j, .. }
            | Event::Release { job_id: j, .. } => j == job_id,
            _ => false,
        })
        .collect()
}

/// A pool with `config` whose worker has taken `job_id` and is held at DECODING until the
/// gate opens.
async fn held_at_decoding(job_id: &str, config: WorkerConfig) -> (Env, Arc<Gate>, WorkerPool) {
    let env = Env::new().await;
    env.submit(job_id, &fixture(CLIP), tc()).await;
    let gate = env.recorder.hold_at_decoding();
    let pool = WorkerPool::start(env.jobs(), env.blobs(), config);
    gate.wait_reached().await;
    (env, gate, pool)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_lease_means_no_completion() {
    // A lease of 1 s renewed only every 1.5 s: while the worker is held at DECODING the lease
    // runs out, as it would for a worker stalled by a network partition.
    let mut config = config();
    config.lease = Duration::from_secs(1);
    config.renew_every = Duration::from_millis(1500);
    let (env, gate, pool) = held_at_decoding("joblost", config).await;

    // Another worker takes the job as soon as the lease has expired.
    let thief = loop {
        if let Some(lease) = env
            .db
            .claim("thief", Duration::from_secs(600))
            .await
            .unwrap()
        {
            break lease;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(thief.job.job_id, "joblost");
    assert_eq!(thief.job.attempts, 2);
    gate.open();

    // The first worker notices (a refused renewal or a refused status move) and walks away.
    wait_event(&env, |e| {
        matches!(e, Event::Renew { job_id, held: false } if job_id == "joblost")
            || matches!(e, Event::Advance { job_id, status: JobStatus::PostProcessing, ok: false, .. } if job_id == "joblost")
    })
    .await;
    pool.shutdown().await;

    assert_eq!(
        worker_settled(&env, "joblost"),
        [],
        "the first worker must not complete, fail or release the job"
    );
    let job = env.job("joblost").await;
    assert_eq!(job.status, JobStatus::Decoding);
    assert_eq!(env.output("joblost", "txt").await, None);
    // The new holder finishes it, exactly once.
    env.db
        .advance(&thief, JobStatus::PostProcessing, None)
        .await
        .unwrap();
    env.db
        .complete(&thief, typed(json!({"model": "thief"})))
        .await
        .unwrap();
    let job = env.job("joblost").await;
    assert_eq!(job.status, JobStatus::Done);
    assert_eq!(json!(job.output_metadata), json!({"model": "thief"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_hands_back_a_job_that_does_not_finish_in_the_grace_period() {
    let mut config = config();
    config.shutdown_grace = Duration::from_millis(200);
    let (env, gate, pool) = held_at_decoding("jobback", config).await;
    pool.shutdown().await;

    let job = env.job("jobback").await;
    assert_eq!(job.status, JobStatus::Queued);
    assert_eq!(job.completed_at, None);
    let settled = worker_settled(&env, "jobback");
    assert_eq!(
        settled,
        [Event::Release {
            job_id: "jobback".into(),
            after: Duration::ZERO,
            ok: true
        }]
    );
    // The lease is cleared and the job claimable at once: the next start takes it.
    let lease = env
        .db
        .claim("next-start", Duration::from_secs(60))
        .await
        .unwrap()
        .expect("claimable again");
    assert_eq!(lease.job.job_id, "jobback");
    assert_eq!(lease.job.attempts, 2);
    gate.open();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_a_running_job_finish_and_claims_nothing_new() {
    let mut config = config();
    config.shutdown_grace = Duration::from_secs(600);
    let (env, gate, pool) = held_at_decoding("jobfinish", config).await;
    // Queued after the worker is busy, so only a claim after shutdown began could take it.
    env.submit("jobwaiting", &fixture(CLIP), tc()).await;
    let shutdown = tokio::spawn(pool.shutdown());
    tokio::time::sleep(Duration::from_millis(100)).await;
    gate.open();
    shutdown.await.unwrap();

    let job = env.job("jobfinish").await;
    assert_eq!(job.status, JobStatus::Done, "{:?}", job.error_message);
    assert!(env.output("jobfinish", "srt").await.is_some());
    let waiting = env.job("jobwaiting").await;
    assert_eq!(waiting.status, JobStatus::Queued);
    assert_eq!(waiting.attempts, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_worker_died_is_run_again_from_the_start() {
    let env = Env::new().await;
    env.submit("jobcrash", &fixture(CLIP), tc()).await;
    // A worker claims the job, gets to DECODING, writes a partial output, and dies (kill -9).
    let dead = env
        .dead_worker(
            Duration::from_millis(500),
            &[JobStatus::InProgress, JobStatus::Decoding],
        )
        .await;
    let partial =
        futures::stream::once(async { Ok(bytes::Bytes::from_static(b"partial garbage")) }).boxed();
    env.blobs
        .put_stream(Bucket::Output, "outputs/jobcrash.txt", partial, 1 << 20)
        .await
        .unwrap();

    let job = env.run_to_the_end("jobcrash", config()).await;
    assert_eq!(job.status, JobStatus::Done, "{:?}", job.error_message);
    assert_eq!(job.attempts, 2);
    assert_eq!(
        env.recorder.statuses("jobcrash"),
        [
            JobStatus::InProgress,
            JobStatus::Decoding,
            JobStatus::PostProcessing,
            JobStatus::Done
        ]
    );
    let txt = env.output("jobcrash", "txt").await.unwrap();
    assert!(
        !txt.contains("partial garbage") && txt.to_lowercase().contains("dashwood"),
        "{txt}"
    );
    // The dead worker's lease is worthless now.
    assert!(matches!(
        env.db.complete(&dead, typed(json!({}))).await,
        Err(jobs::JobsError::LeaseLost)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_keeps_killing_its_worker_is_failed() {
    let env = Env::new().await;
    env.submit("jobpoison", &fixture(CLIP), tc()).await;
    // Its worker died once already (no failure was ever recorded: the process was gone).
    env.dead_worker(Duration::from_millis(300), &[JobStatus::InProgress])
        .await;
    let mut config = config();
    config.max_claims = 1;
    let job = env.run_to_the_end("jobpoison", config).await;
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(
        job.error_message.as_deref(),
        Some("transcription failed after 2 attempts: the worker stopped while processing it")
    );
    assert_eq!(
        env.recorder.statuses("jobpoison"),
        [JobStatus::Failed],
        "not run again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_workers_share_the_queue_and_run_each_job_once() {
    let env = Env::new().await;
    let ids = ["jobshare1", "jobshare2", "jobshare3", "jobshare4"];
    for id in ids {
        env.submit(id, &fixture("clips/en_librispeech_61-70968-0000.wav"), tc())
            .await;
    }
    let pool = WorkerPool::start(env.jobs(), env.blobs(), config().with_workers(3));
    for id in ids {
        let job = env.wait_terminal(id).await;
        assert_eq!(job.status, JobStatus::Done, "{id}: {:?}", job.error_message);
        assert_eq!(job.attempts, 1, "{id}");
    }
    pool.shutdown().await;
    let events = env.recorder.events();
    for id in ids {
        let claims = events
            .iter()
            .filter(|e| matches!(e, Event::Claim(j) if j == id))
            .count();
        let completions = events
            .iter()
            .filter(|e| matches!(e, Event::Complete { job_id, ok: true } if job_id == id))
            .count();
        assert_eq!((claims, completions), (1, 1), "{id}");
    }
}
