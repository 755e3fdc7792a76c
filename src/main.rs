//! The `giftvec` binary: parse the command line, set up logging, run the command.

use std::process::ExitCode;

use clap::Parser;
use giftvec::config::Cli;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // sqlx reports server NOTICEs ("... already exists, skipping") at info: not news.
    let directives = format!("sqlx::postgres::notice=warn,{}", cli.log);
    let filter = EnvFilter::try_new(directives).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match giftvec::commands::run(cli).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
