//! `verbatim models`: what recognition models are installed.

use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the installed models.
    List {
        #[command(flatten)]
        models_dir: super::ModelsDir,
    },
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::List { models_dir } => {
            let dir = models_dir.path;
            let models = asr::models::list(&dir);
            if models.is_empty() {
                eprintln!(
                    "no models installed in {} (run scripts/install-models.sh)",
                    dir.display()
                );
                return Ok(ExitCode::FAILURE);
            }
            println!("{:<16} {:<13} {:>9}  PATH", "NAME", "LANGUAGES", "SIZE");
            for model in models {
                println!(
                    "{:<16} {:<13} {:>6} MB  {}",
                    model.name,
                    if model.multilingual {
                        "multilingual"
                    } else {
                        "English"
                    },
                    model.size_bytes / 1_000_000,
                    model.path.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
