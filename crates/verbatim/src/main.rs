//! The `verbatim` command line: one binary for the server, the workers and the tools.

mod cli;
mod engine;
mod memory;

fn main() -> std::process::ExitCode {
    memory::tune();
    let cli = cli::parse();
    match cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
