//! What only a shared PostgreSQL database gives: several processes' store handles (each its own
//! pool and listening connection) on one queue. Each handle here stands for one api or worker
//! process of a fleet.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::common::{made_by, new_job, postgres_server_url, work_through, PgDatabase};
use jobs::{JobStatus, JobStore, JobsError};

const MINUTE: Duration = Duration::from_secs(60);

/// A fresh database and `n` handles on it, opened at the same time (as a fleet starting up:
/// the migrations must run exactly once). None, with a note, when no server is configured.
async fn fleet(n: usize) -> Option<(PgDatabase, Vec<Arc<dyn JobStore>>)> {
    let server = postgres_server_url()?;
    let db = PgDatabase::create(&server).await;
    let opens = (0..n).map(|_| {
        let url = db.url.clone();
        tokio::spawn(async move { jobs::open(&url).await })
    });
    let mut stores = Vec::new();
    for o in opens.collect::<Vec<_>>() {
        stores.push(
            o.await
                .unwrap()
                .expect("concurrent opens (and migrations) succeed"),
        );
    }
    Some((db, stores))
}

async fn drain_permit(store: &Arc<dyn JobStore>) {
    let _ = tokio::time::timeout(Duration::from_millis(200), store.notifier().notified()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_job_wakes_idle_workers_in_other_processes() {
    let Some((_db, stores)) = fleet(3).await else {
        return;
    };
    let (api, w1, w2) = (&stores[0], &stores[1], &stores[2]);
    drain_permit(w1).await;
    drain_permit(w2).await;
    let mut waiters = Vec::new();
    for w in [w1, w2] {
        for _ in 0..2 {
            let notify = w.notifier();
            waiters.push(tokio::spawn(async move { notify.notified().await }));
        }
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    api.create(new_job("org1", "wake")).await.unwrap();
    for w in waiters {
        tokio::time::timeout(Duration::from_secs(10), w)
            .await
            .expect("a worker in another process was not woken")
            .unwrap();
    }
    // The woken worker finds the job.
    let lease = w2
        .claim("w2", MINUTE)
        .await
        .unwrap()
        .expect("job visible to the other process");

    // A job handed back with no delay wakes the others too.
    drain_permit(w1).await;
    let notify = w1.notifier();
    let waiter = tokio::spawn(async move { notify.notified().await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    w2.release(&lease, Duration::ZERO).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("release did not wake another process")
        .unwrap();
    assert_eq!(
        w1.claim("w1", MINUTE).await.unwrap().unwrap().job.attempts,
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn claims_from_many_processes_take_each_job_exactly_once() {
    let Some((db, stores)) = fleet(5).await else {
        return;
    };
    // Two "api processes" submit while three "worker processes" (4 workers each) drain the queue.
    let total = 120;
    let mut submitters = Vec::new();
    for (n, api) in stores[..2].iter().enumerate() {
        let api = Arc::clone(api);
        submitters.push(tokio::spawn(async move {
            for i in (n..total).step_by(2) {
                api.create(new_job(&format!("org{}", i % 3), &format!("m{i:03}")))
                    .await
                    .unwrap();
            }
        }));
    }
    let mut workers = Vec::new();
    for (p, store) in stores[2..].iter().enumerate() {
        for w in 0..4 {
            let store = Arc::clone(store);
            workers.push(tokio::spawn(async move {
                let worker = format!("p{p}w{w}");
                let mut got = Vec::new();
                let mut idle_rounds = 0;
                // Until the queue has stayed empty for a while after submissions could have ended.
                while idle_rounds < 40 {
                    let Some(lease) = store.claim(&worker, MINUTE).await.unwrap() else {
                        idle_rounds += 1;
                        let _ = tokio::time::timeout(
                            Duration::from_millis(50),
                            store.notifier().notified(),
                        )
                        .await;
                        continue;
                    };
                    idle_rounds = 0;
                    work_through(&*store, &lease, &worker).await;
                    got.push(lease.job.job_id.clone());
                }
                got
            }));
        }
    }
    for s in submitters {
        s.await.unwrap();
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for w in workers {
        for id in w.await.unwrap() {
            *seen.entry(id).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), total, "every job claimed");
    assert!(
        seen.values().all(|&n| n == 1),
        "a job completed twice: {seen:?}"
    );
    assert_eq!(
        stores[0].status_counts().await.unwrap(),
        vec![(JobStatus::Done, total as u64)]
    );
    for i in 0..total {
        let j = stores[1]
            .get(&format!("org{}", i % 3), &format!("m{i:03}"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(j.attempts, 1, "{}", j.job_id);
    }
    let leased = db
        .count("SELECT COUNT(*) FROM jobs WHERE lease_token IS NOT NULL OR lease_owner IS NOT NULL")
        .await;
    assert_eq!(leased, 0, "nothing left leased");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vanished_workers_job_is_finished_once_by_another_process() {
    let Some((_db, mut stores)) = fleet(3).await else {
        return;
    };
    let api = stores.remove(0);
    api.create(new_job("org1", "orphan")).await.unwrap();
    let doomed = stores.remove(0);
    let first = doomed
        .claim("doomed", Duration::from_millis(500))
        .await
        .unwrap()
        .unwrap();
    doomed
        .advance(&first, JobStatus::InProgress, None)
        .await
        .unwrap();
    // The process dies: its pool and listener go, its lease stays in the database until it lapses.
    drop(doomed);
    let survivor = stores.remove(0);
    assert_eq!(
        survivor.claim("survivor", MINUTE).await.unwrap(),
        None,
        "still leased"
    );
    let second = loop {
        if let Some(l) = survivor.claim("survivor", MINUTE).await.unwrap() {
            break l;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        (
            second.job.job_id.as_str(),
            second.job.attempts,
            second.job.status
        ),
        ("orphan", 2, JobStatus::InProgress)
    );
    for st in [
        JobStatus::InProgress,
        JobStatus::Decoding,
        JobStatus::PostProcessing,
    ] {
        survivor.advance(&second, st, None).await.unwrap();
    }
    survivor
        .complete(&second, made_by("survivor"))
        .await
        .unwrap();
    // The dead worker's lease, presented by anyone, is fenced off.
    assert_eq!(
        api.complete(&first, made_by("doomed")).await,
        Err(JobsError::LeaseLost)
    );
    assert!(!api.renew(&first, MINUTE).await.unwrap());
    let j = api.get("org1", "orphan").await.unwrap().unwrap();
    assert_eq!(
        (j.status, j.output_metadata),
        (JobStatus::Done, made_by("survivor"))
    );
}

#[tokio::test]
async fn the_factory_picks_postgres_from_the_url() {
    let Some(server) = postgres_server_url() else {
        return;
    };
    let db = PgDatabase::create(&server).await;
    let store = jobs::open(&db.url).await.unwrap();
    store.create(new_job("org1", "viaurl")).await.unwrap();
    // postgresql:// is the same scheme.
    let alt = jobs::open(&db.url.replacen("postgres://", "postgresql://", 1))
        .await
        .unwrap();
    assert!(alt.get("org1", "viaurl").await.unwrap().is_some());
    let bad = server.replacen("127.0.0.1", "127.0.0.1:1", 1);
    assert!(matches!(
        jobs::open(&bad).await.map(|_| ()),
        Err(JobsError::Database(_))
    ));
}

#[tokio::test]
async fn tls_connections_when_the_server_offers_them() {
    // Managed databases usually require TLS (`?sslmode=require`, or verify-full with sslrootcert).
    let Some(server) = postgres_server_url() else {
        return;
    };
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
    let ssl: String = sqlx::query_scalar("SHOW ssl")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    if ssl != "on" {
        eprintln!("note: this PostgreSQL server has ssl off; TLS not tested");
        return;
    }
    let db = PgDatabase::create(&server).await;
    let sep = if db.url.contains('?') { '&' } else { '?' };
    let store = jobs::open(&format!("{}{sep}sslmode=require", db.url))
        .await
        .unwrap();
    store.create(new_job("org1", "overtls")).await.unwrap();
    // The store's own connections (it names itself "verbatim") are encrypted.
    let (n, all_tls): (i64, Option<bool>) = sqlx::query_as(
        "SELECT COUNT(*), bool_and(s.ssl) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
         WHERE a.application_name = 'verbatim' AND a.datname = $1",
    )
    .bind(db.url.rsplit('/').next().unwrap())
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert!(n >= 1, "no connection of the store seen");
    assert_eq!(all_tls, Some(true));
    assert!(store.get("org1", "overtls").await.unwrap().is_some());
}
