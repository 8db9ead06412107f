//! A PostgreSQL database of its own per test, on the server scripts/start-test-services.sh
//! starts (or finds) and names in `VERBATIM_TEST_DATABASE_URL`.

/// `VERBATIM_TEST_DATABASE_URL` (a server and a database we may create databases from). Missing
/// under CI is a failure, so a PostgreSQL test never passes by skipping; by hand it is `None`,
/// with a note.
pub fn server_url() -> Option<String> {
    match std::env::var("VERBATIM_TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ if under_ci() => {
            panic!("VERBATIM_TEST_DATABASE_URL is not set: under CI the PostgreSQL tests must run (scripts/test.sh starts PostgreSQL)")
        }
        _ => {
            eprintln!("note: VERBATIM_TEST_DATABASE_URL is not set, so this test does without PostgreSQL; scripts/test.sh starts it");
            None
        }
    }
}

/// Whether this run is CI's (`CI=true`), where every service the tests need must be there.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A fresh database, dropped (connections and all) when this value is.
pub struct Database {
    /// The database's URL, for the store or the server under test.
    pub url: String,
    server: String,
    name: String,
}

impl Database {
    pub async fn create(server: &str) -> Database {
        use sqlx::Connection;
        let name = format!("vbt_{:032x}", rand::random::<u128>());
        let mut admin = sqlx::PgConnection::connect(server)
            .await
            .expect("cannot connect to VERBATIM_TEST_DATABASE_URL");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let mut url = url::Url::parse(server).unwrap();
        url.set_path(&format!("/{name}"));
        Database {
            url: url.to_string(),
            server: server.to_string(),
            name,
        }
    }
}

impl Database {
    /// The one number a `SELECT count(*) ...` on this database answers, to check what the
    /// store left behind without going through it.
    pub async fn count(&self, query: &str) -> i64 {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
        let n = sqlx::query_scalar(query)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        n
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        // Drop is synchronous and may run inside the test's runtime: use a thread of our own.
        let (server, name) = (self.server.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                use sqlx::Connection;
                if let Ok(mut admin) = sqlx::PgConnection::connect(&server).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                }
            });
        })
        .join();
    }
}
