//! The `verbatim` command line: one binary for the server, the workers and the tools.

mod cli;
mod engine;

fn main() -> std::process::ExitCode {
    let cli = cli::parse();
    match cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
