//! The worker side of the job store (the suite of both backends): claims, leases, stage moves, completion, hand-backs.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::common::{create_and_claim, in_english, made_by, new_job, work_through, Db};
use chrono::Utc;
use jobs::{InputMetadata, JobStatus, JobsError, OutputMetadata};
use serde_json::json;

const MINUTE: Duration = Duration::from_secs(60);

async fn claim_walks_a_job_through_its_stages(d: Db) {
    let s = &d.store;
    assert_eq!(s.claim("w1", MINUTE).await.unwrap(), None, "empty queue");
    s.create(new_job("org1", "first")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(3)).await;
    s.create(new_job("org1", "second")).await.unwrap();

    let before = Utc::now() - chrono::Duration::milliseconds(1);
    let lease = s.claim("w1", MINUTE).await.unwrap().unwrap();
    assert_eq!(lease.job.job_id, "first", "oldest first");
    assert_eq!(lease.worker_id, "w1");
    assert_eq!(lease.job.attempts, 1);
    assert_eq!(lease.job.status, JobStatus::Queued);
    let started = lease.job.started_at.unwrap();
    assert!(started >= before);
    assert!(lease.expires_at > Utc::now() + chrono::Duration::seconds(50));
    // A held job is not claimed again; the next one is.
    let other = s.claim("w2", MINUTE).await.unwrap().unwrap();
    assert_eq!(other.job.job_id, "second");
    assert_eq!(s.claim("w3", MINUTE).await.unwrap(), None);

    // Stages: forward only, with input_metadata filled on the way.
    assert_eq!(
        s.advance(&lease, JobStatus::Decoding, None).await,
        Err(JobsError::InvalidTransition {
            from: JobStatus::Queued,
            to: JobStatus::Decoding
        })
    );
    let meta: InputMetadata =
        serde_json::from_value(json!({"size_bytes": 123, "duration_seconds": 1.5,
        "format": "wav", "mime_type": "audio/wav", "source": "upload"}))
        .unwrap();
    s.advance(&lease, JobStatus::InProgress, Some(meta.clone()))
        .await
        .unwrap();
    let j = s.get("org1", "first").await.unwrap().unwrap();
    assert_eq!(
        (j.status, &j.input_metadata),
        (JobStatus::InProgress, &meta)
    );
    s.advance(&lease, JobStatus::Decoding, None).await.unwrap();
    assert_eq!(
        s.get("org1", "first")
            .await
            .unwrap()
            .unwrap()
            .input_metadata,
        meta,
        "None keeps it"
    );
    assert_eq!(
        s.complete(&lease, OutputMetadata::default()).await,
        Err(JobsError::InvalidTransition {
            from: JobStatus::Decoding,
            to: JobStatus::Done
        })
    );
    for bad in [
        JobStatus::Queued,
        JobStatus::Done,
        JobStatus::Failed,
        JobStatus::Deleted,
    ] {
        assert!(
            matches!(
                s.advance(&lease, bad, None).await,
                Err(JobsError::InvalidTransition { .. })
            ),
            "{bad}"
        );
    }
    s.advance(&lease, JobStatus::PostProcessing, None)
        .await
        .unwrap();
    assert!(s.renew(&lease, MINUTE).await.unwrap());
    let out = OutputMetadata {
        formats: vec!["json".into(), "txt".into(), "srt".into()],
        word_count: Some(3),
        ..in_english()
    };
    s.complete(&lease, out.clone()).await.unwrap();

    let j = s.get("org1", "first").await.unwrap().unwrap();
    assert_eq!(j.status, JobStatus::Done);
    assert_eq!(j.output_metadata, out);
    assert_eq!(j.started_at, Some(started));
    assert!(j.completed_at.unwrap() >= started);
    assert_eq!(j.updated_at, j.completed_at.unwrap());
    assert_eq!(j.error_message, None);
    assert_eq!(j.attempts, 1);
    // Exactly once: the lease is spent.
    assert_eq!(
        s.complete(&lease, out.clone()).await,
        Err(JobsError::LeaseLost)
    );
    assert_eq!(s.fail(&lease, "late").await, Err(JobsError::LeaseLost));
    assert_eq!(
        s.advance(&lease, JobStatus::InProgress, None).await,
        Err(JobsError::LeaseLost)
    );
    assert_eq!(
        s.release(&lease, Duration::ZERO).await,
        Err(JobsError::LeaseLost)
    );
    assert_eq!(
        s.set_input(&lease, "inputs/x.wav").await,
        Err(JobsError::LeaseLost)
    );
    assert!(!s.renew(&lease, MINUTE).await.unwrap());
    assert_eq!(
        s.claim("w3", MINUTE).await.unwrap(),
        None,
        "a DONE job is never claimed"
    );

    // fail from a working state.
    s.advance(&other, JobStatus::InProgress, None)
        .await
        .unwrap();
    s.fail(&other, "The file is not audio: no audio stream found")
        .await
        .unwrap();
    let j = s.get("org1", "second").await.unwrap().unwrap();
    assert_eq!(j.status, JobStatus::Failed);
    assert_eq!(
        j.error_message.as_deref(),
        Some("The file is not audio: no audio stream found")
    );
    assert!(j.completed_at.is_some());
    assert_eq!(
        s.claim("w3", MINUTE).await.unwrap(),
        None,
        "a FAILED job is never claimed"
    );
}

async fn url_input_is_recorded(d: Db) {
    let mut nj = new_job("org1", "viaurl");
    nj.input_key = None;
    nj.input_url = Some("https://example.com/a.mp3".into());
    d.store.create(nj).await.unwrap();
    let lease = d.store.claim("w", MINUTE).await.unwrap().unwrap();
    assert_eq!(lease.job.input_key, None);
    assert_eq!(
        lease.job.input_url.as_deref(),
        Some("https://example.com/a.mp3")
    );
    d.store
        .set_input(&lease, "inputs/viaurl.mp3")
        .await
        .unwrap();
    let j = d.store.get("org1", "viaurl").await.unwrap().unwrap();
    assert_eq!(j.input_key.as_deref(), Some("inputs/viaurl.mp3"));
    assert_eq!(j.input_url.as_deref(), Some("https://example.com/a.mp3"));
}

async fn an_expired_lease_is_reclaimed_and_the_first_worker_loses(d: Db) {
    let s = &d.store;
    // Margins of hundreds of milliseconds: a loaded machine (or a database over a network)
    // must not let the lease lapse before the "still held" check.
    let first = create_and_claim(&**s, "slow", "w1", Duration::from_millis(500)).await;
    s.advance(&first, JobStatus::InProgress, None)
        .await
        .unwrap();
    s.advance(&first, JobStatus::Decoding, None).await.unwrap();
    assert_eq!(s.claim("w2", MINUTE).await.unwrap(), None, "still held");
    tokio::time::sleep(Duration::from_millis(700)).await;

    let second = s.claim("w2", MINUTE).await.unwrap().unwrap();
    assert_eq!(second.job.job_id, "slow");
    assert_eq!(second.worker_id, "w2");
    assert_eq!(second.job.attempts, 2);
    assert_eq!(
        second.job.status,
        JobStatus::Decoding,
        "claimed where the first worker left it"
    );
    assert_eq!(
        second.job.started_at, first.job.started_at,
        "started_at stays the first start"
    );
    assert_ne!(second.token, first.token);

    // The first worker wakes up: everything it tries is refused.
    assert!(!s.renew(&first, MINUTE).await.unwrap());
    assert_eq!(
        s.advance(&first, JobStatus::PostProcessing, None).await,
        Err(JobsError::LeaseLost)
    );
    assert_eq!(
        s.complete(&first, OutputMetadata::default()).await,
        Err(JobsError::LeaseLost)
    );
    assert_eq!(s.fail(&first, "x").await, Err(JobsError::LeaseLost));
    assert_eq!(
        s.release(&first, Duration::ZERO).await,
        Err(JobsError::LeaseLost)
    );

    // The second restarts the pipeline and finishes it, once.
    work_through(&**s, &second, "w2").await;
    let j = s.get("org1", "slow").await.unwrap().unwrap();
    assert_eq!(
        (j.status, j.output_metadata),
        (JobStatus::Done, made_by("w2"))
    );
    assert_eq!(
        s.complete(&first, made_by("w1")).await,
        Err(JobsError::LeaseLost)
    );
}

async fn renewing_keeps_the_lease(d: Db) {
    let s = &d.store;
    let lease = create_and_claim(&**s, "renewed", "w1", Duration::from_millis(400)).await;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(s.renew(&lease, MINUTE).await.unwrap());
    }
    assert_eq!(s.claim("w2", MINUTE).await.unwrap(), None);
}

async fn release_hands_back_after_the_delay(d: Db) {
    let s = &d.store;
    s.create(new_job("org1", "retry")).await.unwrap();
    let lease = s.claim("w1", MINUTE).await.unwrap().unwrap();
    s.advance(&lease, JobStatus::InProgress, None)
        .await
        .unwrap();
    s.release(&lease, Duration::from_millis(300)).await.unwrap();
    let j = s.get("org1", "retry").await.unwrap().unwrap();
    assert_eq!(j.status, JobStatus::Queued);
    assert_eq!(j.attempts, 1);
    assert_eq!(
        s.claim("w2", MINUTE).await.unwrap(),
        None,
        "not visible yet"
    );
    assert_eq!(
        s.complete(&lease, OutputMetadata::default()).await,
        Err(JobsError::LeaseLost),
        "handed back"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let again = s.claim("w2", MINUTE).await.unwrap().unwrap();
    assert_eq!(
        (again.job.job_id.as_str(), again.job.attempts),
        ("retry", 2)
    );

    // A job released with no delay is claimable at once, and workers are woken.
    let notify = s.notifier();
    let waiter = tokio::spawn(async move { notify.notified().await });
    tokio::task::yield_now().await;
    s.release(&again, Duration::ZERO).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        s.claim("w3", MINUTE).await.unwrap().unwrap().job.attempts,
        3
    );
}

async fn create_wakes_waiting_workers(d: Db) {
    let mut waiters = Vec::new();
    for _ in 0..3 {
        let notify = d.store.notifier();
        waiters.push(tokio::spawn(async move { notify.notified().await }));
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    d.store.create(new_job("org1", "wake")).await.unwrap();
    for w in waiters {
        tokio::time::timeout(Duration::from_secs(10), w)
            .await
            .expect("a waiting worker was not woken")
            .unwrap();
    }
    // A worker that was not waiting yet finds a permit left for it.
    tokio::time::timeout(Duration::from_secs(10), d.store.notifier().notified())
        .await
        .unwrap();
}

async fn concurrent_claims_take_each_job_exactly_once(d: Db) {
    for i in 0..50 {
        d.store
            .create(new_job(&format!("org{}", i % 3), &format!("c{i:02}")))
            .await
            .unwrap();
    }
    let store = Arc::clone(&d.store);
    let mut tasks = Vec::new();
    for w in 0..8 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let worker = format!("w{w}");
            let mut got = Vec::new();
            while let Some(lease) = store.claim(&worker, MINUTE).await.unwrap() {
                work_through(&*store, &lease, &worker).await;
                got.push(lease.job.job_id.clone());
            }
            got
        }));
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut busy_workers = 0;
    for t in tasks {
        let got = t.await.unwrap();
        busy_workers += usize::from(!got.is_empty());
        for id in got {
            *seen.entry(id).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), 50, "every job claimed");
    assert!(
        seen.values().all(|&n| n == 1),
        "a job claimed twice: {seen:?}"
    );
    assert!(busy_workers >= 1);
    let counts = store.status_counts().await.unwrap();
    assert_eq!(counts, vec![(JobStatus::Done, 50)]);
    for i in 0..50 {
        let j = store
            .get(&format!("org{}", i % 3), &format!("c{i:02}"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(j.attempts, 1, "{}", j.job_id);
    }
}

async fn two_store_handles_on_one_file_share_the_queue(d: Db) {
    // Two processes on one data folder (a server and `verbatim transcribe`, or a restart
    // overlapping the old process) must not double-claim either.
    let other = d.reopen().await;
    for i in 0..20 {
        d.store
            .create(new_job("org1", &format!("s{i:02}")))
            .await
            .unwrap();
    }
    let mut tasks = Vec::new();
    for (n, store) in [Arc::clone(&d.store), other].into_iter().enumerate() {
        for w in 0..3 {
            let store = Arc::clone(&store);
            tasks.push(tokio::spawn(async move {
                let mut got = Vec::new();
                while let Some(lease) = store.claim(&format!("p{n}w{w}"), MINUTE).await.unwrap() {
                    got.push(lease.job.job_id.clone());
                }
                got
            }));
        }
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    assert_eq!(all, (0..20).map(|i| format!("s{i:02}")).collect::<Vec<_>>());
}

/// The fair queue: organisations take turns, the one with the fewest jobs in progress first,
/// among equals the one served longest ago, each its own jobs oldest first.
async fn organisations_take_turns(d: Db) {
    let s = &d.store;
    // Claims and creations a few milliseconds apart: the store's clock has millisecond steps.
    let tick = || tokio::time::sleep(Duration::from_millis(3));
    let claim = || async {
        tick().await;
        s.claim("w", MINUTE).await.unwrap().unwrap()
    };
    for i in 0..5 {
        s.create(new_job("a", &format!("a{i}"))).await.unwrap();
        tick().await;
    }
    // One worker: A's first job runs, B queues one, and B's comes before A's second.
    let a0 = claim().await;
    assert_eq!(a0.job.job_id, "a0");
    s.create(new_job("b", "b0")).await.unwrap();
    work_through(&**s, &a0, "w").await;
    let b0 = claim().await;
    assert_eq!(b0.job.job_id, "b0", "B's job waits for one A job at most");
    work_through(&**s, &b0, "w").await;
    let a1 = claim().await;
    assert_eq!(a1.job.job_id, "a1", "then A again, oldest first");

    // Several at once: A has a1 in progress; C queues two jobs, then B one.
    for id in ["c0", "c1"] {
        s.create(new_job("c", id)).await.unwrap();
        tick().await;
    }
    s.create(new_job("b", "b1")).await.unwrap();
    let mut order = Vec::new();
    for _ in 0..6 {
        order.push(claim().await.job.job_id);
    }
    assert_eq!(
        order,
        // c0: B and C have none in progress, and C was never served; b1: B has none in
        // progress; a2: one each (B's queue is empty now), A served longest ago; c1: C has
        // fewer in progress; then A's last ones.
        ["c0", "b1", "a2", "c1", "a3", "a4"]
    );
    assert_eq!(s.claim("w", MINUTE).await.unwrap(), None);
}

/// Cancel ends a QUEUED or working job at once; its worker's lease is gone.
async fn cancel_fails_a_queued_or_working_job(d: Db) {
    let s = &d.store;
    let working = create_and_claim(&**s, "working", "w1", MINUTE).await;
    s.advance(&working, JobStatus::InProgress, None)
        .await
        .unwrap();
    s.create(new_job("org1", "queued")).await.unwrap();
    for id in ["queued", "working"] {
        let j = s.cancel("org1", id, "Cancelled").await.unwrap();
        assert_eq!(j.status, JobStatus::Failed, "{id}");
        assert_eq!(j.error_message.as_deref(), Some("Cancelled"));
        assert!(j.completed_at.is_some());
        assert_eq!(s.get("org1", id).await.unwrap().unwrap(), j);
    }
    // The worker finds out at its next renewal; nothing it does lands.
    assert!(!s.renew(&working, MINUTE).await.unwrap());
    assert_eq!(
        s.advance(&working, JobStatus::Decoding, None).await,
        Err(JobsError::LeaseLost)
    );
    assert_eq!(
        s.fail(&working, "too late").await,
        Err(JobsError::LeaseLost)
    );
    assert_eq!(
        s.claim("w2", MINUTE).await.unwrap(),
        None,
        "nothing to claim"
    );
    assert_eq!(
        s.cancel("org1", "working", "Cancelled").await,
        Err(JobsError::NotCancellable)
    );
    let done = create_and_claim(&**s, "done", "w1", MINUTE).await;
    work_through(&**s, &done, "w1").await;
    assert_eq!(
        s.cancel("org1", "done", "Cancelled").await,
        Err(JobsError::NotCancellable)
    );
    s.create(new_job("org1", "mine")).await.unwrap();
    assert_eq!(
        s.cancel("org2", "mine", "Cancelled").await,
        Err(JobsError::NotFound),
        "another organisation's job"
    );
    assert_eq!(
        s.cancel("org1", "nosuchjob", "Cancelled").await,
        Err(JobsError::NotFound)
    );
    assert_eq!(
        s.get("org1", "mine").await.unwrap().unwrap().status,
        JobStatus::Queued
    );
}

crate::on_both_backends!(
    cancel_fails_a_queued_or_working_job,
    organisations_take_turns,
    claim_walks_a_job_through_its_stages,
    url_input_is_recorded,
    an_expired_lease_is_reclaimed_and_the_first_worker_loses,
    renewing_keeps_the_lease,
    release_hands_back_after_the_delay,
    create_wakes_waiting_workers,
    concurrent_claims_take_each_job_exactly_once,
    two_store_handles_on_one_file_share_the_queue,
);
