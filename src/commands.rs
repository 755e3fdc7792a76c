//! What each subcommand does, for `main`: output for people on stdout, logs on stderr.

use std::io::IsTerminal;
use std::process::ExitCode;

use crate::catalog::{self, ImportOptions};
use crate::config::{Cli, Command, ImportArgs, MigrateArgs};
use crate::store::{self, migrate};
use crate::{Error, Result};

/// Exit code of an import that skipped some rows (the rest were written).
pub const EXIT_ROWS_REJECTED: u8 = 2;

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<ExitCode> {
    let settings = cli.database.settings()?;
    match cli.command {
        Command::Migrate(args) => {
            let pool = store::connect(&settings).await?;
            migrate_command(&pool, &args).await
        }
        Command::Import(args) => {
            let pool = store::connect(&settings).await?;
            migrate::ensure_current(&pool).await?;
            import_command(&pool, &args).await
        }
    }
}

async fn migrate_command(pool: &sqlx::PgPool, args: &MigrateArgs) -> Result<ExitCode> {
    let before = migrate::status(pool).await?;
    if args.status {
        println!("applied: {:?}", before.applied);
        println!("pending: {:?}", before.pending);
        return Ok(ExitCode::SUCCESS);
    }
    match args.to {
        Some(target) if before.current().is_some_and(|current| target < current) => {
            let reverted = migrate::undo(pool, target).await?;
            println!("rolled back {} migration(s): {reverted:?}", reverted.len());
        }
        target => {
            let applied = migrate::run(pool, target).await?;
            let now = migrate::status(pool).await?.current().unwrap_or(0);
            match applied.len() {
                0 => println!("database schema is up to date (version {now})"),
                n => println!("applied {n} migration(s), now at version {now}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn import_command(pool: &sqlx::PgPool, args: &ImportArgs) -> Result<ExitCode> {
    let options = ImportOptions {
        format: args.format,
        batch_size: usize::from(args.batch_size),
        default_currency: args.default_currency.to_ascii_uppercase(),
        progress: std::io::stderr().is_terminal(),
    };
    if !(options.default_currency.len() == 3
        && options
            .default_currency
            .bytes()
            .all(|b| b.is_ascii_uppercase()))
    {
        return Err(Error::invalid(
            "--default-currency",
            "must be a three-letter ISO 4217 code such as USD",
        ));
    }
    let report = catalog::import_file(pool, &args.file, &options).await?;
    for error in &report.errors {
        eprintln!("{error}");
    }
    let c = report.counts;
    println!(
        "{}: {} rows read; {} inserted, {} updated, {} unchanged, {} rejected",
        args.file.display(),
        report.rows,
        c.inserted,
        c.updated,
        c.unchanged,
        report.errors.len()
    );
    Ok(if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_ROWS_REJECTED)
    })
}
