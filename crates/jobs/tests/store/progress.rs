//! Progress and heartbeats in the job store (the suite of both backends): what the worker
//! holding a job reports, when `heartbeat_at` moves, and what each state shows.

use std::time::Duration;

use crate::common::{create_and_claim, Db};
use jobs::{JobStatus, JobsError, OutputMetadata, Progress, Stage};

const MINUTE: Duration = Duration::from_secs(60);

fn transcribing(seconds: f64, duration: f64) -> Progress {
    Progress {
        stage: Stage::Transcribing,
        fraction: seconds / duration,
        audio_seconds_done: seconds,
        eta_seconds: Some(12.5),
    }
}

/// Times are stored to the millisecond: a few of them apart, two writes are told apart.
async fn tick() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}

async fn heartbeats_and_progress_follow_the_holder(d: Db) {
    let s = &d.store;
    s.create(crate::common::new_job("org1", "queued"))
        .await
        .unwrap();
    let queued = s.get("org1", "queued").await.unwrap().unwrap();
    assert_eq!((queued.progress, queued.heartbeat_at), (None, None));

    let lease = s.claim("w1", MINUTE).await.unwrap().unwrap();
    let claimed = lease.job.heartbeat_at.expect("a claim is a heartbeat");
    tick().await;
    assert!(s.renew(&lease, MINUTE).await.unwrap());
    let renewed = s
        .get("org1", "queued")
        .await
        .unwrap()
        .unwrap()
        .heartbeat_at
        .unwrap();
    assert!(renewed > claimed, "{renewed} after {claimed}");

    s.advance(&lease, JobStatus::InProgress, None)
        .await
        .unwrap();
    s.advance(&lease, JobStatus::Decoding, None).await.unwrap();
    tick().await;
    s.report_progress(&lease, &transcribing(30.0, 120.0))
        .await
        .unwrap();
    let job = s.get("org1", "queued").await.unwrap().unwrap();
    assert_eq!(job.progress, Some(transcribing(30.0, 120.0)));
    assert!(
        job.heartbeat_at.unwrap() > renewed,
        "a report is a heartbeat"
    );
    assert_eq!(job.status, JobStatus::Decoding, "a report moves no status");

    // Only the holder reports: not a stale claim, nor anyone once the job was cancelled.
    let mut stale = lease.clone();
    stale.token = "not-the-token".into();
    assert_eq!(
        s.report_progress(&stale, &transcribing(60.0, 120.0)).await,
        Err(JobsError::LeaseLost)
    );
    s.cancel("org1", "queued", "Cancelled").await.unwrap();
    assert_eq!(
        s.report_progress(&lease, &transcribing(90.0, 120.0)).await,
        Err(JobsError::LeaseLost)
    );
    let cancelled = s.get("org1", "queued").await.unwrap().unwrap();
    assert_eq!(
        cancelled.progress,
        Some(transcribing(30.0, 120.0)),
        "a job that failed keeps how far it got"
    );
}

async fn done_shows_all_of_the_audio_and_a_hand_back_clears_it(d: Db) {
    let s = &d.store;
    let lease = create_and_claim(s.as_ref(), "job1", "w1", MINUTE).await;
    s.advance(&lease, JobStatus::InProgress, None)
        .await
        .unwrap();
    s.advance(&lease, JobStatus::Decoding, None).await.unwrap();
    s.report_progress(&lease, &transcribing(30.0, 120.0))
        .await
        .unwrap();
    // Handed back: nobody works on it, so it shows no progress and no heartbeat, and the
    // next claim starts afresh.
    s.release(&lease, Duration::ZERO).await.unwrap();
    let back = s.get("org1", "job1").await.unwrap().unwrap();
    assert_eq!(back.status, JobStatus::Queued);
    assert_eq!((back.progress, back.heartbeat_at), (None, None));

    let lease = s.claim("w2", MINUTE).await.unwrap().unwrap();
    assert_eq!(lease.job.progress, None);
    s.advance(&lease, JobStatus::InProgress, None)
        .await
        .unwrap();
    s.advance(&lease, JobStatus::Decoding, None).await.unwrap();
    s.report_progress(&lease, &transcribing(119.0, 120.0))
        .await
        .unwrap();
    s.advance(&lease, JobStatus::PostProcessing, None)
        .await
        .unwrap();
    let outputs = OutputMetadata {
        duration_seconds: Some(120.25),
        ..OutputMetadata::default()
    };
    s.complete(&lease, outputs).await.unwrap();
    let done = s.get("org1", "job1").await.unwrap().unwrap();
    assert_eq!(
        done.progress,
        Some(Progress {
            stage: Stage::Done,
            fraction: 1.0,
            audio_seconds_done: 120.25,
            eta_seconds: Some(0.0),
        })
    );
    assert!(done.heartbeat_at.unwrap() <= done.completed_at.unwrap());
}

crate::on_both_backends!(
    heartbeats_and_progress_follow_the_holder,
    done_shows_all_of_the_audio_and_a_hand_back_clears_it,
    streamed_text_follows_the_holder_and_ends_with_the_job,
);

/// The streamed text of a job whose request streams it: appended by the holder, read from a
/// character on, started again by a new claim, gone when the job ends; none for other jobs.
async fn streamed_text_follows_the_holder_and_ends_with_the_job(d: Db) {
    let s = &d.store;
    let streaming = |id: &str| jobs::NewJob {
        streams_text: true,
        ..crate::common::new_job("org1", id)
    };
    s.create(streaming("talk")).await.unwrap();
    assert_eq!(
        s.partial_text("org1", "talk", 0).await.unwrap().as_deref(),
        Some("")
    );
    let lease = s.claim("w1", MINUTE).await.unwrap().unwrap();
    assert!(lease.job.streams_text);
    s.append_partial_text(&lease, "Héllo,").await.unwrap();
    s.append_partial_text(&lease, " wörld.").await.unwrap();
    let read = |from| async move { s.partial_text("org1", "talk", from).await.unwrap() };
    assert_eq!(read(0).await.as_deref(), Some("Héllo, wörld."));
    assert_eq!(
        read(6).await.as_deref(),
        Some(" wörld."),
        "from a character, not a byte"
    );
    assert_eq!(read(13).await.as_deref(), Some(""));
    assert_eq!(s.partial_text("org2", "talk", 0).await.unwrap(), None);

    // Another attempt starts the text again; the old holder can add nothing.
    s.release(&lease, Duration::ZERO).await.unwrap();
    let again = s.claim("w2", MINUTE).await.unwrap().unwrap();
    assert_eq!(read(0).await.as_deref(), Some(""));
    assert_eq!(
        s.append_partial_text(&lease, "stale").await,
        Err(JobsError::LeaseLost)
    );
    s.append_partial_text(&again, "Hello").await.unwrap();
    for status in [
        JobStatus::InProgress,
        JobStatus::Decoding,
        JobStatus::PostProcessing,
    ] {
        s.advance(&again, status, None).await.unwrap();
    }
    s.complete(&again, OutputMetadata::default()).await.unwrap();
    assert_eq!(read(0).await, None, "an ended job keeps no text of its own");

    // A job that does not stream records nothing.
    s.create(crate::common::new_job("org1", "plain"))
        .await
        .unwrap();
    let plain = s.claim("w1", MINUTE).await.unwrap().unwrap();
    assert!(!plain.job.streams_text);
    s.append_partial_text(&plain, "words").await.unwrap();
    assert_eq!(s.partial_text("org1", "plain", 0).await.unwrap(), None);
}
