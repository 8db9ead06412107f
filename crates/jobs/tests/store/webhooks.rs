//! Webhook deliveries and secrets in the job store (the suite of both backends): the statement
//! that ends a job makes one delivery per entry of its `notification_config`, and only then;
//! each attempt is claimed by one claimer; a lost claim cannot record; secrets rotate.

use std::time::Duration;

use crate::common::{new_job, work_through, Db};
use jobs::{AttemptResult, JobConfig, NewJob, NotificationConfig};
use serde_json::json;

crate::on_both_backends!(
    a_job_that_ends_makes_its_deliveries,
    each_attempt_is_claimed_once_and_recorded_by_its_claimer,
    secrets_are_made_once_and_rotate,
);

const MINUTE: Duration = Duration::from_secs(60);

fn notified(org: &str, job_id: &str, targets: usize) -> NewJob {
    let config: Vec<_> = (0..targets)
        .map(|i| json!({"url": format!("https://hooks.example/{i}")}))
        .collect();
    let job = new_job(org, job_id);
    NewJob {
        job_config: JobConfig {
            notification_config: Some(NotificationConfig::parse(&json!(config)).unwrap()),
            ..job.job_config.clone()
        },
        ..job
    }
}

async fn a_job_that_ends_makes_its_deliveries(d: Db) {
    let s = &d.store;
    s.create(notified("org1", "done1", 2)).await.unwrap();
    s.create(notified("org1", "cancelled1", 1)).await.unwrap();
    s.create(new_job("org1", "plain1")).await.unwrap();
    assert!(
        s.deliveries("done1").await.unwrap().is_empty(),
        "not before it ends"
    );
    assert_eq!(s.claim_delivery(MINUTE).await.unwrap(), None);

    let lease = s.claim("w1", MINUTE).await.unwrap().unwrap();
    assert_eq!(lease.job.job_id, "done1");
    work_through(&**s, &lease, "w1").await;
    s.cancel("org1", "cancelled1", "Cancelled").await.unwrap();
    let lease = s.claim("w1", MINUTE).await.unwrap().unwrap();
    s.fail(&lease, "no speech").await.unwrap();
    s.mark_deleted("org1", "done1").await.unwrap();

    let done = s.deliveries("done1").await.unwrap();
    assert_eq!(
        done.iter().map(|d| d.target).collect::<Vec<_>>(),
        [0, 1],
        "once, not again on delete"
    );
    assert!(done
        .iter()
        .all(|d| d.attempts == 0 && d.delivered_at.is_none()));
    assert_eq!(s.deliveries("cancelled1").await.unwrap().len(), 1);
    assert!(
        s.deliveries("plain1").await.unwrap().is_empty(),
        "no config, no delivery"
    );

    let mut claimed = Vec::new();
    while let Some(delivery) = s.claim_delivery(MINUTE).await.unwrap() {
        claimed.push((
            delivery.job.job_id.clone(),
            delivery.target,
            delivery.outcome.clone(),
            delivery.id.clone(),
        ));
    }
    claimed.sort();
    assert_eq!(
        claimed,
        [
            (
                "cancelled1".into(),
                0,
                "error".into(),
                "msg_cancelled1_0".into()
            ),
            ("done1".into(), 0, "success".into(), "msg_done1_0".into()),
            ("done1".into(), 1, "success".into(), "msg_done1_1".into()),
        ]
    );
}

async fn each_attempt_is_claimed_once_and_recorded_by_its_claimer(d: Db) {
    let s = &d.store;
    s.create(notified("org1", "job1", 1)).await.unwrap();
    s.cancel("org1", "job1", "Cancelled").await.unwrap();

    // Many claimers at once, on separate handles (processes): one attempt, one claimer.
    let mut handles = Vec::new();
    for _ in 0..8 {
        let store = d.reopen().await;
        handles.push(tokio::spawn(async move {
            store.claim_delivery(MINUTE).await.unwrap()
        }));
    }
    let mut won = Vec::new();
    for h in handles {
        won.extend(h.await.unwrap());
    }
    assert_eq!(won.len(), 1, "{won:?}");
    let first = won.pop().unwrap();
    assert_eq!(first.attempt, 1);

    let retry = AttemptResult::Retry {
        after: Duration::from_millis(300),
        status: Some(503),
        error: "the receiver answered HTTP 503".into(),
    };
    assert!(s.finish_delivery(&first, &retry).await.unwrap());
    assert!(
        !s.finish_delivery(&first, &retry).await.unwrap(),
        "a claim records once"
    );
    let state = &s.deliveries("job1").await.unwrap()[0];
    assert_eq!(
        (
            state.attempts,
            state.last_status,
            state.last_error.as_deref()
        ),
        (1, Some(503), Some("the receiver answered HTTP 503"))
    );
    assert_eq!(
        s.claim_delivery(MINUTE).await.unwrap(),
        None,
        "not before its next attempt"
    );

    tokio::time::sleep(Duration::from_millis(400)).await;
    // A claim that outlives its lease loses the delivery to the next claimer.
    let second = s
        .claim_delivery(Duration::from_millis(100))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((second.attempt, second.id.as_str()), (2, first.id.as_str()));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let third = s.claim_delivery(MINUTE).await.unwrap().unwrap();
    assert_eq!(third.attempt, 3);
    let delivered = AttemptResult::Delivered { status: 204 };
    assert!(
        !s.finish_delivery(&second, &delivered).await.unwrap(),
        "the lost claim cannot record"
    );
    assert!(s.finish_delivery(&third, &delivered).await.unwrap());
    let state = &s.deliveries("job1").await.unwrap()[0];
    assert_eq!(
        (
            state.attempts,
            state.last_status,
            state.last_error.as_deref()
        ),
        (3, Some(204), None)
    );
    assert!(state.delivered_at.is_some() && state.gave_up_at.is_none());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        s.claim_delivery(MINUTE).await.unwrap(),
        None,
        "delivered is over"
    );

    s.create(notified("org1", "job2", 1)).await.unwrap();
    s.cancel("org1", "job2", "Cancelled").await.unwrap();
    let claim = s.claim_delivery(MINUTE).await.unwrap().unwrap();
    let gave_up = AttemptResult::GaveUp {
        status: Some(410),
        error: "gone".into(),
    };
    assert!(s.finish_delivery(&claim, &gave_up).await.unwrap());
    assert!(s.deliveries("job2").await.unwrap()[0].gave_up_at.is_some());
    assert_eq!(
        s.claim_delivery(MINUTE).await.unwrap(),
        None,
        "given up is over"
    );
}

async fn secrets_are_made_once_and_rotate(d: Db) {
    let s = &d.store;
    assert_eq!(
        s.organisation_webhook_secrets("acme", false, MINUTE)
            .await
            .unwrap(),
        None
    );
    let (key, _) = s.create_key("acme").await.unwrap();
    let first = s.webhook_secrets(&key.organisation_id).await.unwrap();
    assert!(first.secret.starts_with("whsec_") && first.previous.is_none());
    assert_eq!(
        s.webhook_secrets(&key.organisation_id).await.unwrap(),
        first
    );
    assert_eq!(
        s.organisation_webhook_secrets("acme", false, MINUTE)
            .await
            .unwrap(),
        Some(first.clone())
    );

    let rotated = s
        .organisation_webhook_secrets("acme", true, Duration::from_millis(500))
        .await
        .unwrap()
        .unwrap();
    assert_ne!(rotated.secret, first.secret);
    assert_eq!(
        rotated.previous.as_ref().map(|p| p.0.as_str()),
        Some(first.secret.as_str())
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    let later = s.webhook_secrets(&key.organisation_id).await.unwrap();
    assert_eq!(
        (later.secret.as_str(), later.previous),
        (rotated.secret.as_str(), None),
        "the old one stops signing"
    );

    let (other, _) = s.create_key("rival").await.unwrap();
    assert_ne!(
        s.webhook_secrets(&other.organisation_id)
            .await
            .unwrap()
            .secret,
        later.secret
    );
}
