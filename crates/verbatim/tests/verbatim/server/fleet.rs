//! The fleet backends of the tests: PostgreSQL and an S3 server started by
//! scripts/start-test-services.sh (VERBATIM_TEST_DATABASE_URL, VERBATIM_TEST_S3_ENDPOINT,
//! VERBATIM_TEST_S3_DIR), a database of its own per test and buckets of its own per fleet.

use std::path::PathBuf;

use super::models_dir;

pub struct Services {
    pub database_server: String,
    pub s3_endpoint: String,
    /// s3s-fs keeps a bucket as a folder here: the tests look at what is stored without S3.
    pub s3_dir: Option<PathBuf>,
}

/// The test services, or `None` (with a note) when run by hand without them; under CI=true
/// their absence is a failure, so a fleet test can never pass by skipping.
pub fn services() -> Option<Services> {
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    match (var("VERBATIM_TEST_DATABASE_URL"), var("VERBATIM_TEST_S3_ENDPOINT")) {
        (Some(database_server), Some(s3_endpoint)) => {
            Some(Services { database_server, s3_endpoint, s3_dir: var("VERBATIM_TEST_S3_DIR").map(Into::into) })
        }
        _ if testkit::postgres::under_ci() => panic!(
            "VERBATIM_TEST_DATABASE_URL and VERBATIM_TEST_S3_ENDPOINT must be set under CI (scripts/test.sh starts the services)"
        ),
        _ => {
            eprintln!("note: fleet test skipped: VERBATIM_TEST_DATABASE_URL / VERBATIM_TEST_S3_ENDPOINT not set (scripts/test.sh starts PostgreSQL and S3)");
            None
        }
    }
}

pub use testkit::postgres::Database;

/// One query parameter of a URL.
pub fn param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    url.split_once('?')?
        .1
        .split('&')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
}

/// The environment of every process of one fleet: its own database, its own buckets when the
/// S3 server's folder is known (s3s-fs: a bucket is a folder), else the shared test buckets
/// (job ids are unique, so keys do not collide). Returns (env, input bucket, output bucket).
pub fn fleet_env(svc: &Services, db: &Database) -> (Vec<(String, String)>, String, String) {
    let (input_bucket, output_bucket) = match &svc.s3_dir {
        Some(dir) => {
            let tag = format!("{:08x}", rand::random::<u32>());
            let (i, o) = (format!("vbfleet-{tag}-in"), format!("vbfleet-{tag}-out"));
            std::fs::create_dir_all(dir.join(&i)).unwrap();
            std::fs::create_dir_all(dir.join(&o)).unwrap();
            (i, o)
        }
        None => ("vbtest-input".to_string(), "vbtest-output".to_string()),
    };
    let env: Vec<(String, String)> = [
        ("VERBATIM_DATABASE_URL", db.url.as_str()),
        ("VERBATIM_S3_ENDPOINT", svc.s3_endpoint.as_str()),
        ("VERBATIM_S3_REGION", "us-east-1"),
        ("VERBATIM_INPUT_BUCKET", input_bucket.as_str()),
        ("VERBATIM_OUTPUT_BUCKET", output_bucket.as_str()),
        ("VERBATIM_LEASE_SECONDS", "5"),
        ("VERBATIM_SHUTDOWN_GRACE_SECS", "2"),
        ("VERBATIM_MODEL_STANDARD", "tiny.en"),
        ("RUST_LOG", "info"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .chain([(
        "VERBATIM_MODELS_DIR".to_string(),
        models_dir().display().to_string(),
    )])
    .collect();
    (env, input_bucket, output_bucket)
}
