//! `jobs::open` picks the backend from the database URL.

use jobs::JobsError;

#[tokio::test]
async fn sqlite_urls_and_paths() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/verbatim.db");
    let p = path.to_str().unwrap();
    let store = jobs::open(&format!("sqlite://{p}")).await.unwrap();
    let (key, _) = store.create_key("Acme").await.unwrap();
    drop(store);
    // The same file through every spelling.
    for url in [
        p.to_string(),
        format!("sqlite:{p}"),
        format!("sqlite://{p}?mode=rwc"),
    ] {
        let s = jobs::open(&url).await.unwrap();
        assert_eq!(s.list_keys().await.unwrap(), vec![key.clone()], "{url}");
    }
}

#[tokio::test]
async fn unknown_schemes_and_empty_urls_are_refused() {
    for url in ["mysql://localhost/db", "", "sqlite://"] {
        match jobs::open(url).await {
            Err(JobsError::Database(msg)) => assert!(!msg.is_empty()),
            other => panic!("{url:?}: {:?}", other.map(|_| ())),
        }
    }
    match jobs::open("mysql://localhost/db").await {
        Err(JobsError::Database(msg)) => {
            assert!(msg.contains("unsupported database URL scheme"), "{msg}")
        }
        _ => unreachable!(),
    }
}
