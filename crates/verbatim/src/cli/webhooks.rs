//! `verbatim webhooks`: the secret each organisation's webhook deliveries are signed with, and
//! the deliverer that `serve` and `worker` run.

use std::process::ExitCode;
use std::sync::Arc;

use super::keys::{open_store, DataDir};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print the organisation's signing secret (whsec_…; made on first use). Receivers verify
    /// the webhook-signature header with it, as Standard Webhooks libraries do.
    Secret {
        /// The organisation's name, as given to `keys create`.
        #[arg(long)]
        organisation: String,
        /// Replace the secret; the old one keeps signing, as a second signature, for 24 h.
        #[arg(long)]
        rotate: bool,
        #[command(flatten)]
        data: DataDir,
    },
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    super::one_thread_runtime()?.block_on(async move {
        match command {
            Command::Secret {
                organisation,
                rotate,
                data,
            } => {
                let store = open_store(&data).await?;
                let secrets = store
                    .organisation_webhook_secrets(
                        organisation.trim(),
                        rotate,
                        notify::SECRET_OVERLAP,
                    )
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot read the webhook secret: {e}"))?;
                let Some(secrets) = secrets else {
                    eprintln!(
                        "error: no organisation named {organisation:?} (keys create makes one)"
                    );
                    return Ok(ExitCode::FAILURE);
                };
                if let Some((_, until)) = &secrets.previous {
                    eprintln!(
                        "the previous secret also signs until {}",
                        until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    );
                }
                println!("{}", secrets.secret);
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

/// Starts delivering webhooks from this process: every `serve` and `worker` claims deliveries,
/// so they go out as long as any process of the deployment runs.
pub fn start_deliverer(
    jobs: Arc<dyn jobs::JobStore>,
    blobs: Arc<dyn blob::BlobStore>,
    policy: &blob::fetch::FetchPolicy,
) -> notify::Deliverer {
    let config = notify::NotifyConfig {
        policy: policy.clone(),
        ..Default::default()
    };
    notify::Deliverer::start(jobs, blobs, config)
}
