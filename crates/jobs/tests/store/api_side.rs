//! The api side of the job store (the suite of both backends): create, get, list, delete, reservations, org walls, keys, idempotency keys.

use crate::common::{in_english, new_job, Db};
use chrono::{DateTime, Duration as TimeDelta, Utc};
use jobs::{
    Idempotency, IdempotentResponse, JobStatus, JobStore, JobsError, ListQuery, OutputMetadata,
    SortBy, SortOrder,
};
use std::time::Duration;

async fn create_and_get_round_trip(d: Db) {
    let before = Utc::now() - TimeDelta::milliseconds(1);
    let mut nj = new_job("org1", "myjob1");
    nj.input_url = Some("https://example.com/a.wav".into());
    let job = d.store.create(nj.clone()).await.unwrap();
    assert_eq!(job.job_id, "myjob1");
    assert_eq!(job.status, JobStatus::Queued);
    assert_eq!(job.organisation_id, "org1");
    assert_eq!(job.api_key_id, "key-org1");
    assert_eq!(job.model_code, nj.model_code);
    assert_eq!(job.job_config, nj.job_config);
    assert_eq!(job.metadata, nj.metadata);
    assert_eq!(job.input_metadata, nj.input_metadata);
    assert_eq!(job.output_metadata, OutputMetadata::default());
    assert_eq!(job.error_message, None);
    assert_eq!(job.input_key.as_deref(), Some("inputs/myjob1.wav"));
    assert_eq!(job.input_url.as_deref(), Some("https://example.com/a.wav"));
    assert!(job.submitted_at >= before && job.submitted_at <= Utc::now());
    assert_eq!(job.updated_at, job.submitted_at);
    assert_eq!(
        job.submitted_at.timestamp_subsec_nanos() % 1_000_000,
        0,
        "millisecond precision"
    );
    assert_eq!(
        (
            job.started_at,
            job.completed_at,
            job.deleted_at,
            job.expired_at
        ),
        (None, None, None, None)
    );
    assert_eq!(job.attempts, 0);
    assert_eq!(
        d.store.get("org1", "myjob1").await.unwrap(),
        Some(job.clone())
    );
    assert_eq!(d.store.get("org1", "nosuch").await.unwrap(), None);

    // No metadata is stored as none.
    let mut nj = new_job("org1", "plain");
    nj.metadata = None;
    assert_eq!(d.store.create(nj).await.unwrap().metadata, None);

    // The id is taken, in this organisation and in any other.
    assert_eq!(
        d.store.create(new_job("org1", "myjob1")).await,
        Err(JobsError::AlreadyExists)
    );
    assert_eq!(
        d.store.create(new_job("org2", "myjob1")).await,
        Err(JobsError::AlreadyExists)
    );
    assert_eq!(d.store.get("org1", "myjob1").await.unwrap(), Some(job));
}

async fn a_job_survives_reopening_the_database(d: Db) {
    let job = d.store.create(new_job("org1", "keepme")).await.unwrap();
    let url = d.url.clone();
    drop(d.store);
    let again = jobs::open(&url).await.unwrap();
    assert_eq!(again.get("org1", "keepme").await.unwrap(), Some(job));
}

async fn organisations_are_walls(d: Db) {
    d.store.create(new_job("org1", "a1")).await.unwrap();
    d.store.create(new_job("org2", "b1")).await.unwrap();
    assert_eq!(d.store.get("org2", "a1").await.unwrap(), None);
    let (items, total) = d.store.list("org2", &ListQuery::default()).await.unwrap();
    assert_eq!((items.len(), total), (1, 1));
    assert_eq!(items[0].job_id, "b1");
    assert_eq!(
        d.store.mark_deleted("org2", "a1").await,
        Err(JobsError::NotFound)
    );
}

/// Runs `a1` through to DONE (or FAILED) with a worker.
async fn finish(store: &dyn jobs::JobStore, fail: bool) -> String {
    let lease = store
        .claim("w", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    if fail {
        store.fail(&lease, "bad audio").await.unwrap();
    } else {
        for s in [
            JobStatus::InProgress,
            JobStatus::Decoding,
            JobStatus::PostProcessing,
        ] {
            store.advance(&lease, s, None).await.unwrap();
        }
        store.complete(&lease, in_english()).await.unwrap();
    }
    lease.job.job_id
}

async fn delete_only_done_or_failed(d: Db) {
    d.store.create(new_job("org1", "j1")).await.unwrap();
    assert_eq!(
        d.store.mark_deleted("org1", "j1").await,
        Err(JobsError::NotDeletable)
    );
    assert_eq!(
        d.store.mark_deleted("org1", "nosuch").await,
        Err(JobsError::NotFound)
    );
    let id = finish(d.store.as_ref(), false).await;
    let before = Utc::now() - TimeDelta::milliseconds(1);
    let deleted = d.store.mark_deleted("org1", &id).await.unwrap();
    assert_eq!(deleted.status, JobStatus::Deleted);
    let deleted_at = deleted.deleted_at.unwrap();
    assert!(deleted_at >= before);
    assert_eq!(deleted.updated_at, deleted_at);
    assert_eq!(deleted.output_metadata, in_english(), "the record is kept");
    assert_eq!(d.store.get("org1", &id).await.unwrap(), Some(deleted));
    // Once deleted, deleting again is refused (not DONE/FAILED any more).
    assert_eq!(
        d.store.mark_deleted("org1", &id).await,
        Err(JobsError::NotDeletable)
    );

    d.store.create(new_job("org1", "j2")).await.unwrap();
    let id = finish(d.store.as_ref(), true).await;
    assert_eq!(
        d.store.mark_deleted("org1", &id).await.unwrap().status,
        JobStatus::Deleted
    );
    // A deleted id stays taken.
    assert_eq!(
        d.store.create(new_job("org1", "j2")).await,
        Err(JobsError::AlreadyExists)
    );
}

async fn upload_reservations(d: Db) {
    let s = &*d.store;
    let later = Utc::now() + TimeDelta::seconds(1800);
    let past = Utc::now() - TimeDelta::seconds(1);
    let long_ago = Utc::now() - TimeDelta::days(2);
    reserve(s, "org1", "up1", "a.wav", later).await;
    // Another organisation can neither reserve nor create the id while it is held.
    assert_eq!(
        s.reserve_upload("org2", "up1", "inputs/up1/b.wav", later)
            .await,
        Err(JobsError::AlreadyExists)
    );
    assert_eq!(
        s.create(new_job("org2", "up1")).await,
        Err(JobsError::AlreadyExists)
    );
    assert_reserved(s, "org2", "up1", None).await;
    // The same organisation may reserve again; the newer key wins.
    reserve(s, "org1", "up1", "c.wav", later).await;
    assert_reserved(s, "org1", "up1", Some("c.wav")).await;
    assert_reserved(s, "org1", "nosuch", None).await;
    // Step 3: the owner creates the job, which consumes the reservation.
    let mut nj = new_job("org1", "up1");
    nj.input_key = Some("inputs/up1/c.wav".into());
    s.create(nj).await.unwrap();
    assert_reserved(s, "org1", "up1", None).await;
    // An id that is a job cannot be reserved.
    assert_eq!(
        s.reserve_upload("org1", "up1", "k", later).await,
        Err(JobsError::AlreadyExists)
    );
    s.create(new_job("org1", "plainjob")).await.unwrap();
    assert_eq!(
        s.reserve_upload("org2", "plainjob", "k", later).await,
        Err(JobsError::AlreadyExists)
    );

    // An expired reservation no longer holds the id against others.
    reserve(s, "org1", "up2", "a.wav", past).await;
    assert_reserved(s, "org1", "up2", Some("a.wav")).await;
    reserve(s, "org2", "up2", "b.wav", later).await;
    assert_reserved(s, "org1", "up2", None).await;
    assert_reserved(s, "org2", "up2", Some("b.wav")).await;
    reserve(s, "org1", "up3", "a.wav", past).await;
    s.create(new_job("org2", "up3")).await.unwrap();

    // Reservations long abandoned are swept away by later reservations.
    reserve(s, "org1", "old1", "a.wav", long_ago).await;
    assert_reserved(s, "org1", "old1", Some("a.wav")).await;
    reserve(s, "org1", "new1", "a.wav", later).await;
    assert_reserved(s, "org1", "old1", None).await;
    assert_reserved(s, "org1", "new1", Some("a.wav")).await;
}

/// A query of one page of `page_size` jobs in this order.
fn ordered_page(sort_by: SortBy, sort_order: SortOrder, page_size: u32) -> ListQuery {
    ListQuery {
        sort_by,
        sort_order,
        page_size,
        ..Default::default()
    }
}

/// Reserves `job_id` for `org` until `until`, for an upload named `name`.
async fn reserve(s: &dyn JobStore, org: &str, job_id: &str, name: &str, until: DateTime<Utc>) {
    let key = format!("inputs/{job_id}/{name}");
    s.reserve_upload(org, job_id, &key, until).await.unwrap();
}

/// Takes `org`'s reservation of `job_id`, which must be of the upload `name`, or none.
async fn assert_reserved(s: &dyn JobStore, org: &str, job_id: &str, name: Option<&str>) {
    let key = name.map(|name| format!("inputs/{job_id}/{name}"));
    let taken = s.take_reservation(org, job_id).await.unwrap();
    assert_eq!(taken, key, "{org} {job_id}");
}

async fn list_filters_sorts_pages_and_counts(d: Db) {
    let s = &d.store;
    // 25 jobs in org1 over two model codes; 3 in org2 that must never show up.
    let mut created = Vec::new();
    for i in 0..25 {
        let mut nj = new_job("org1", &format!("job{i:02}"));
        nj.model_code = if i % 3 == 0 {
            "base".into()
        } else {
            "tiny.en".into()
        };
        created.push(s.create(nj).await.unwrap());
        // Distinct submission times (the store has millisecond precision).
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    // Move the three oldest of org1 along: job00 DONE, job01 FAILED, job02 DECODING.
    for (i, target) in [JobStatus::Done, JobStatus::Failed, JobStatus::Decoding]
        .into_iter()
        .enumerate()
    {
        let lease = s
            .claim("w", Duration::from_secs(60))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(lease.job.job_id, format!("job{i:02}"));
        match target {
            JobStatus::Failed => s.fail(&lease, "x").await.unwrap(),
            _ => {
                s.advance(&lease, JobStatus::InProgress, None)
                    .await
                    .unwrap();
                s.advance(&lease, JobStatus::Decoding, None).await.unwrap();
                if target == JobStatus::Done {
                    s.advance(&lease, JobStatus::PostProcessing, None)
                        .await
                        .unwrap();
                    s.complete(&lease, OutputMetadata::default()).await.unwrap();
                }
            }
        }
    }
    // Created after the claims: the fair queue would give org2 a turn before job01.
    for i in 0..3 {
        s.create(new_job("org2", &format!("other{i}")))
            .await
            .unwrap();
    }
    let ids = |v: &[jobs::Job]| v.iter().map(|j| j.job_id.clone()).collect::<Vec<_>>();

    // Default: newest first, 20 a page, total of the org only.
    let (items, total) = s.list("org1", &ListQuery::default()).await.unwrap();
    assert_eq!(total, 25);
    assert_eq!(items.len(), 20);
    assert_eq!(items[0].job_id, "job24");
    assert_eq!(items[19].job_id, "job05");
    let q = ListQuery {
        page: 2,
        ..Default::default()
    };
    let (items, total) = s.list("org1", &q).await.unwrap();
    assert_eq!(
        (ids(&items), total),
        ((0..5).rev().map(|i| format!("job{i:02}")).collect(), 25)
    );
    let q = ListQuery {
        page: 3,
        ..Default::default()
    };
    let (items, total) = s.list("org1", &q).await.unwrap();
    assert_eq!(
        (items.len(), total),
        (0, 25),
        "past the end: empty page, true total"
    );

    // Ascending, small pages, every page disjoint and in order.
    let mut all = Vec::new();
    for page in 1..=9 {
        let q = ListQuery {
            page,
            page_size: 3,
            sort_order: SortOrder::Asc,
            ..Default::default()
        };
        all.extend(ids(&s.list("org1", &q).await.unwrap().0));
    }
    assert_eq!(
        all,
        (0..25).map(|i| format!("job{i:02}")).collect::<Vec<_>>()
    );

    // Status filter (one and several).
    let q = ListQuery {
        statuses: vec![JobStatus::Done],
        ..Default::default()
    };
    let (items, total) = s.list("org1", &q).await.unwrap();
    assert_eq!((ids(&items), total), (vec!["job00".to_string()], 1));
    let q = ListQuery {
        statuses: vec![JobStatus::Failed, JobStatus::Decoding],
        sort_order: SortOrder::Asc,
        ..Default::default()
    };
    let (items, total) = s.list("org1", &q).await.unwrap();
    assert_eq!(
        (ids(&items), total),
        (vec!["job01".to_string(), "job02".to_string()], 2)
    );
    let q = ListQuery {
        statuses: vec![JobStatus::Queued],
        page_size: 100,
        ..Default::default()
    };
    assert_eq!(s.list("org1", &q).await.unwrap().1, 22);
    let q = ListQuery {
        statuses: vec![JobStatus::Deleted],
        ..Default::default()
    };
    assert_eq!(s.list("org1", &q).await.unwrap().1, 0);

    // Model code, exact.
    let q = ListQuery {
        model_code: Some("base".into()),
        page_size: 100,
        ..Default::default()
    };
    let (items, total) = s.list("org1", &q).await.unwrap();
    assert_eq!(total, 9);
    assert!(items.iter().all(|j| j.model_code == "base"));
    let q = ListQuery {
        model_code: Some("bas".into()),
        ..Default::default()
    };
    assert_eq!(s.list("org1", &q).await.unwrap().1, 0);

    // Submitted bounds are exclusive.
    let t5 = created[5].submitted_at;
    let t9 = created[9].submitted_at;
    let q = ListQuery {
        submitted_after: Some(t5),
        submitted_before: Some(t9),
        sort_order: SortOrder::Asc,
        ..Default::default()
    };
    let (items, total) = s.list("org1", &q).await.unwrap();
    assert_eq!(
        (ids(&items), total),
        ((6..9).map(|i| format!("job{i:02}")).collect(), 3)
    );
    // A bound between two stored milliseconds still splits exactly.
    let q = ListQuery {
        submitted_before: Some(t5 + TimeDelta::microseconds(500)),
        page_size: 100,
        ..Default::default()
    };
    assert_eq!(s.list("org1", &q).await.unwrap().1, 6);
    let q = ListQuery {
        submitted_after: Some(t5 + TimeDelta::microseconds(500)),
        page_size: 100,
        ..Default::default()
    };
    assert_eq!(s.list("org1", &q).await.unwrap().1, 19);

    // Sort by status (by name), then newest first within a status.
    let q = ordered_page(SortBy::Status, SortOrder::Asc, 100);
    let (items, _) = s.list("org1", &q).await.unwrap();
    let st: Vec<_> = items.iter().map(|j| j.status.to_string()).collect();
    let mut sorted = st.clone();
    sorted.sort();
    assert_eq!(st, sorted);
    assert_eq!(&ids(&items)[..3], ["job02", "job00", "job01"]); // DECODING, DONE, FAILED
    let q = ordered_page(SortBy::Status, SortOrder::Desc, 1);
    assert_eq!(
        s.list("org1", &q).await.unwrap().0[0].status,
        JobStatus::Queued
    );
    assert_eq!(s.list("org1", &q).await.unwrap().0[0].job_id, "job24");

    // Sort by model code, both ways, with every filter at once.
    let q = ordered_page(SortBy::ModelCode, SortOrder::Desc, 100);
    let (items, _) = s.list("org1", &q).await.unwrap();
    assert_eq!(items[0].model_code, "tiny.en");
    assert_eq!(items[24].model_code, "base");
    assert_eq!(items[24].job_id, "job00");
    let q = ListQuery {
        page: 1,
        page_size: 2,
        statuses: vec![JobStatus::Queued],
        model_code: Some("base".into()),
        submitted_after: Some(created[2].submitted_at),
        submitted_before: Some(created[24].submitted_at),
        sort_by: SortBy::ModelCode,
        sort_order: SortOrder::Asc,
    };
    let (items, total) = s.list("org1", &q).await.unwrap();
    // base and queued and 2 < i < 24: 3, 6, ..., 21 → 7 jobs.
    assert_eq!(
        (ids(&items), total),
        (vec!["job03".to_string(), "job06".to_string()], 7)
    );
}

async fn keys_create_authenticate_revoke(d: Db) {
    let s = &d.store;
    let (k1, secret1) = s.create_key("Acme").await.unwrap();
    let (k2, secret2) = s.create_key("Acme").await.unwrap();
    let (k3, secret3) = s.create_key("Other Ltd").await.unwrap();
    assert!(secret1.starts_with("vb_") && secret1.len() == 43);
    assert_ne!(secret1, secret2);
    assert_eq!(
        k1.organisation_id, k2.organisation_id,
        "one organisation per name"
    );
    assert_ne!(k1.organisation_id, k3.organisation_id);
    assert!(uuid::Uuid::parse_str(&k1.organisation_id).is_ok());
    assert_eq!(k1.organisation_name, "Acme");
    assert_eq!(k1.revoked_at, None);

    assert_eq!(s.authenticate(&secret1).await.unwrap(), Some(k1.clone()));
    assert_eq!(s.authenticate(&secret3).await.unwrap(), Some(k3.clone()));
    assert_eq!(s.authenticate("vb_nope").await.unwrap(), None);
    assert_eq!(s.authenticate("").await.unwrap(), None);
    assert_eq!(s.authenticate(&secret1[..42]).await.unwrap(), None);

    // The secret is not in the database, only its hash.
    for hay in d.stored_text().await {
        assert!(
            !hay.contains(&secret1) && !hay.contains(&secret1[3..]),
            "secret stored in clear"
        );
    }

    assert!(s.revoke_key(&k2.id).await.unwrap());
    assert!(!s.revoke_key(&k2.id).await.unwrap(), "already revoked");
    assert!(!s.revoke_key("nosuch").await.unwrap());
    assert_eq!(s.authenticate(&secret2).await.unwrap(), None);
    assert_eq!(
        s.authenticate(&secret1).await.unwrap(),
        Some(k1.clone()),
        "other keys unaffected"
    );

    let keys = s.list_keys().await.unwrap();
    assert_eq!(
        keys.iter().map(|k| k.id.clone()).collect::<Vec<_>>(),
        vec![k1.id, k2.id.clone(), k3.id]
    );
    assert!(keys[1].revoked_at.is_some());
    assert!(keys[0].revoked_at.is_none());
}

async fn status_counts(d: Db) {
    assert_eq!(d.store.status_counts().await.unwrap(), vec![]);
    for i in 0..4 {
        d.store
            .create(new_job(if i < 2 { "o1" } else { "o2" }, &format!("c{i}")))
            .await
            .unwrap();
    }
    finish(d.store.as_ref(), false).await;
    finish(d.store.as_ref(), true).await;
    let mut counts = d.store.status_counts().await.unwrap();
    counts.sort();
    assert_eq!(
        counts,
        vec![
            (JobStatus::Queued, 2),
            (JobStatus::Done, 1),
            (JobStatus::Failed, 1)
        ]
    );
}

async fn idempotency_keys_claim_answer_and_expire(d: Db) {
    let s = &d.store;
    let day = Duration::from_secs(86400);
    let hour = Duration::from_secs(3600);
    let claim = |org: &'static str, key: &'static str, lifetime, abandoned| async move {
        s.claim_idempotency_key(org, key, lifetime, abandoned)
            .await
            .unwrap()
    };
    assert_eq!(claim("org1", "k1", day, hour).await, Idempotency::Claimed);
    assert_eq!(claim("org1", "k1", day, hour).await, Idempotency::InFlight);
    assert_eq!(
        claim("org2", "k1", day, hour).await,
        Idempotency::Claimed,
        "keys are per organisation"
    );
    let answer = IdempotentResponse {
        fingerprint: "f1".into(),
        status: 202,
        body: r#"{"job_id":"j1","status":"QUEUED"}"#.into(),
    };
    s.record_idempotent_response("org1", "k1", &answer)
        .await
        .unwrap();
    assert_eq!(
        claim("org1", "k1", day, hour).await,
        Idempotency::Answered(answer.clone())
    );
    // A request that failed gives its key up; an answered key stays.
    s.release_idempotency_key("org2", "k1").await.unwrap();
    assert_eq!(claim("org2", "k1", day, hour).await, Idempotency::Claimed);
    s.release_idempotency_key("org1", "k1").await.unwrap();
    assert_eq!(
        claim("org1", "k1", day, hour).await,
        Idempotency::Answered(answer)
    );

    // Concurrent first requests: exactly one claims the key.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = std::sync::Arc::clone(s);
        tasks.push(tokio::spawn(async move {
            store
                .claim_idempotency_key("org1", "race", day, hour)
                .await
                .unwrap()
        }));
    }
    let mut claimed = 0;
    for t in tasks {
        claimed += usize::from(t.await.unwrap() == Idempotency::Claimed);
    }
    assert_eq!(claimed, 1);

    // Lifetimes: an answer is forgotten after its lifetime, a claim never answered (its
    // process died) after `abandoned_after`.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let short = Duration::from_millis(20);
    assert_eq!(claim("org1", "k1", short, hour).await, Idempotency::Claimed);
    assert_eq!(
        claim("org1", "race", day, short).await,
        Idempotency::Claimed
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(s.purge_idempotency_keys(short).await.unwrap(), 3);
    assert_eq!(claim("org2", "k1", day, hour).await, Idempotency::Claimed);
}

/// The retention sweeper's query: DONE and FAILED jobs past the shorter of the server's
/// retention and their own, once.
async fn expirable_jobs_follow_the_shorter_retention(d: Db) {
    let s = &d.store;
    let with_own = |id: &str, seconds: Option<u64>| {
        let mut j = new_job("org1", id);
        j.job_config = j.job_config.with_retention_seconds(seconds);
        j
    };
    for (id, own) in [("plain", None), ("own1s", Some(1)), ("own1h", Some(3600))] {
        s.create(with_own(id, own)).await.unwrap();
        finish(&**s, id == "own1h").await;
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    s.create(new_job("org2", "queued")).await.unwrap();
    let hour = Some(Duration::from_secs(3600));
    let ids = |jobs: Vec<jobs::Job>| jobs.into_iter().map(|j| j.job_id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.expirable(hour, 10).await.unwrap()),
        Vec::<String>::new()
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(ids(s.expirable(hour, 10).await.unwrap()), ["own1s"]);
    assert_eq!(
        ids(s.expirable(None, 10).await.unwrap()),
        ["own1s"],
        "no server retention: only a job's own"
    );
    let short = Some(Duration::from_millis(500));
    assert_eq!(
        ids(s.expirable(short, 10).await.unwrap()),
        ["plain", "own1s", "own1h"],
        "a job's own retention never lengthens the server's"
    );
    assert_eq!(
        ids(s.expirable(short, 2).await.unwrap()),
        ["plain", "own1s"]
    );

    assert!(s.mark_expired("own1s").await.unwrap());
    assert!(!s.mark_expired("own1s").await.unwrap(), "once");
    assert!(
        !s.mark_expired("queued").await.unwrap(),
        "a working job never expires"
    );
    let j = s.get("org1", "own1s").await.unwrap().unwrap();
    assert!(j.expired_at.is_some());
    assert_eq!(j.job_config.retention_seconds, Some(1));
    assert_eq!(j.status, JobStatus::Done, "the record stays");
    assert_eq!(
        ids(s.expirable(short, 10).await.unwrap()),
        ["plain", "own1h"]
    );
}

crate::on_both_backends!(
    expirable_jobs_follow_the_shorter_retention,
    idempotency_keys_claim_answer_and_expire,
    create_and_get_round_trip,
    a_job_survives_reopening_the_database,
    organisations_are_walls,
    delete_only_done_or_failed,
    upload_reservations,
    list_filters_sorts_pages_and_counts,
    keys_create_authenticate_revoke,
    status_counts,
);
