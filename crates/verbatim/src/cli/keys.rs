//! `verbatim keys`: create, list and revoke API keys. Secrets are stored hashed; `create` prints
//! the secret once, as the only line on stdout, so scripts can capture it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create a key for an organisation (created on first use) and print its secret.
    Create {
        /// The organisation the key belongs to; its jobs are walled off from other organisations.
        #[arg(long)]
        organisation: String,
        #[command(flatten)]
        data: DataDir,
    },
    /// List every key (never the secrets).
    List {
        #[command(flatten)]
        data: DataDir,
    },
    /// Revoke a key by its id: requests with it get 403 from then on.
    Revoke {
        id: String,
        #[command(flatten)]
        data: DataDir,
    },
}

#[derive(Debug, clap::Args)]
pub struct DataDir {
    /// The server's data folder (holds verbatim.db when no database URL is given).
    #[arg(long, env = "VERBATIM_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// The job database: postgres://… for a fleet; default: SQLite in the data folder.
    #[arg(long, env = "VERBATIM_DATABASE_URL")]
    pub database_url: Option<String>,
}

/// The database file inside a data folder; `serve` opens the same.
pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("verbatim.db")
}

/// Opens the job store that `serve`, `worker` and `keys` share: the database URL when one is
/// given (PostgreSQL or SQLite, `jobs::open` decides), else SQLite in the data folder.
pub async fn open_store(data: &DataDir) -> anyhow::Result<std::sync::Arc<dyn jobs::JobStore>> {
    match data
        .database_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        // The URL may carry a password: name only the backend in the error.
        Some(url) => jobs::open(url).await.map_err(|e| {
            let kind = if url.starts_with("postgres") {
                "the PostgreSQL database"
            } else {
                "the database"
            };
            anyhow::anyhow!("cannot open {kind}: {e}")
        }),
        None => {
            let data_dir = &data.data_dir;
            std::fs::create_dir_all(data_dir)
                .with_context(|| format!("cannot create {}", data_dir.display()))?;
            let path = database_path(data_dir);
            jobs::open_sqlite(&path)
                .await
                .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))
        }
    }
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    super::one_thread_runtime()?.block_on(async move {
        match command {
            Command::Create { organisation, data } => {
                let organisation = organisation.trim();
                if organisation.is_empty() {
                    anyhow::bail!("--organisation must not be empty");
                }
                let store = open_store(&data).await?;
                let (key, secret) = store
                    .create_key(organisation)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot create the key: {e}"))?;
                eprintln!(
                    "created key {} for organisation {} ({})",
                    key.id, key.organisation_name, key.organisation_id
                );
                println!("{secret}");
                Ok(ExitCode::SUCCESS)
            }
            Command::List { data } => {
                let store = open_store(&data).await?;
                let keys = store
                    .list_keys()
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot list keys: {e}"))?;
                println!(
                    "{:<38} {:<24} {:<38} {:<25} REVOKED",
                    "ID", "ORGANISATION", "ORGANISATION_ID", "CREATED"
                );
                for k in keys {
                    println!(
                        "{:<38} {:<24} {:<38} {:<25} {}",
                        k.id,
                        k.organisation_name,
                        k.organisation_id,
                        k.created_at
                            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        k.revoked_at
                            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                            .unwrap_or_else(|| "-".into()),
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            Command::Revoke { id, data } => {
                let store = open_store(&data).await?;
                if store
                    .revoke_key(&id)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot revoke: {e}"))?
                {
                    eprintln!("revoked key {id}");
                    Ok(ExitCode::SUCCESS)
                } else {
                    eprintln!("error: no active key with id {id}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    })
}
