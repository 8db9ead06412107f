//! Transcript corrections in the job store (the suite of both backends): a document with a
//! revision, changed only by a compare-and-set, only while the job is DONE, only by its own
//! organisation.

use std::time::Duration;

use crate::common::{create_and_claim, work_through, Db};
use jobs::Corrections;
use serde_json::json;

async fn corrections_are_compare_and_set_on_done_jobs(d: Db) {
    let s = &d.store;
    let lease = create_and_claim(&**s, "job1", "w1", Duration::from_secs(60)).await;
    let none = Corrections {
        document: None,
        revision: 0,
    };
    assert_eq!(s.corrections("org1", "job1").await.unwrap(), Some(none));
    assert_eq!(s.corrections("org2", "job1").await.unwrap(), None);
    assert_eq!(s.corrections("org1", "nope").await.unwrap(), None);
    let alice = json!({"speakers": {"S1": "Alice"}, "words": {}});
    assert_eq!(
        s.set_corrections("org1", "job1", 0, &alice).await.unwrap(),
        None,
        "a job still at work has no transcript to correct"
    );

    work_through(&**s, &lease, "w1").await;
    assert_eq!(
        s.set_corrections("org2", "job1", 0, &alice).await.unwrap(),
        None,
        "another organisation's job is not there"
    );
    assert_eq!(
        s.set_corrections("org1", "job1", 0, &alice).await.unwrap(),
        Some(1)
    );
    let bob = json!({"speakers": {"S1": "Bob"}, "words": {"3": "fixed"}});
    assert_eq!(
        s.set_corrections("org1", "job1", 0, &bob).await.unwrap(),
        None,
        "a change made on an old revision is refused"
    );
    assert_eq!(
        s.set_corrections("org1", "job1", 1, &bob).await.unwrap(),
        Some(2)
    );
    let stored = s.corrections("org1", "job1").await.unwrap().unwrap();
    assert_eq!((stored.document, stored.revision), (Some(bob.clone()), 2));
    // A job read after the change is still the same job.
    assert_eq!(
        s.get("org1", "job1").await.unwrap().unwrap().status,
        jobs::JobStatus::Done
    );

    s.mark_deleted("org1", "job1").await.unwrap();
    assert_eq!(
        s.set_corrections("org1", "job1", 2, &alice).await.unwrap(),
        None,
        "a deleted job's transcript is gone"
    );
}

async fn concurrent_changes_on_one_revision_let_exactly_one_win(d: Db) {
    let s = &d.store;
    let lease = create_and_claim(&**s, "job1", "w1", Duration::from_secs(60)).await;
    work_through(&**s, &lease, "w1").await;
    let tries: Vec<_> = (0..8)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                let name = json!({"speakers": {"S1": format!("n{i}")}});
                s.set_corrections("org1", "job1", 0, &name).await.unwrap()
            })
        })
        .collect();
    let mut won = 0;
    for t in tries {
        won += usize::from(t.await.unwrap().is_some());
    }
    assert_eq!(won, 1);
    assert_eq!(
        s.corrections("org1", "job1")
            .await
            .unwrap()
            .unwrap()
            .revision,
        1
    );
}

crate::on_both_backends!(
    corrections_are_compare_and_set_on_done_jobs,
    concurrent_changes_on_one_revision_let_exactly_one_win,
);
