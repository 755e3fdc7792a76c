//! The `giftvec` binary: parse the command line, set up logging, run the command.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use giftvec::config::{Cli, LogFormat};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    // The local embedder runs one forward pass per core, each on its own thread; letting every
    // matrix product also fan out over all cores would oversubscribe them. Set before any
    // thread exists; an explicit RAYON_NUM_THREADS wins.
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        // SAFETY: no other thread has been started yet.
        unsafe { std::env::set_var("RAYON_NUM_THREADS", "1") };
    }
    let runtime = tokio::runtime::Runtime::new().expect("cannot start the async runtime");
    runtime.block_on(run())
}

async fn run() -> ExitCode {
    let cli = Cli::parse();
    // sqlx reports server NOTICEs ("... already exists, skipping") at info: not news.
    let directives = format!("sqlx::postgres::notice=warn,{}", cli.log);
    let filter = EnvFilter::try_new(directives).unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match cli.log_format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        logs.json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .init();
    } else {
        logs.with_ansi(std::io::stderr().is_terminal()).init();
    }
    match giftvec::commands::run(cli).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
