//! `giftvec doctor`: is this deployment able to serve? One line per check — PostgreSQL and
//! pgvector versions, migrations, models and coverage, each model's HNSW index, the embedder,
//! Redis, the read replica — each `ok`, `warn` or `FAIL`, a failing or doubtful one with the
//! fix. Exit status 0 unless a check failed (warnings do not fail: a catalog still being
//! embedded is served). Used by the migration Job after `giftvec migrate` and by operators.

mod connections;
mod database;
mod services;

use std::fmt;
use std::process::ExitCode;

use secrecy::SecretString;

use crate::embed::{Embedder, EmbedderSettings};
use crate::store::DbSettings;

/// What to check.
#[derive(Debug, Clone)]
pub struct DoctorSettings {
    /// The primary database; `None` when DATABASE_URL is not set.
    pub db: Option<DbSettings>,
    /// The read replica (`DATABASE_READ_URL`), if any.
    pub read_url: Option<SecretString>,
    /// The configured embedder.
    pub embed: EmbedderSettings,
    /// Checks to leave out, by name (`embedder`, `redis`, `replica`).
    pub skip: Vec<String>,
}

/// Runs every check.
pub async fn run_checks(settings: &DoctorSettings) -> Vec<Check> {
    let mut checks = Vec::new();
    let built = Embedder::new(&settings.embed, None);
    let configured = built.as_ref().ok().map(|e| e.info().name.clone());
    match &settings.db {
        None => checks.push(Check::fail(
            "database",
            "DATABASE_URL is not set",
            "set DATABASE_URL to a PostgreSQL >= 15 with pgvector >= 0.8 (for development: \
             tools/devdb start prints one)",
        )),
        Some(db) => database::checks(db, configured.as_deref(), &mut checks).await,
    }
    let skipped = |name: &str| settings.skip.iter().any(|s| s == name);
    if !skipped("replica")
        && let (Some(url), Some(db)) = (&settings.read_url, &settings.db)
    {
        checks.push(services::replica(db, url).await);
    }
    if !skipped("embedder") {
        checks.push(services::embedder(built).await);
    }
    if !skipped("redis") {
        checks.push(services::redis(settings.embed.cache.redis_url.as_ref()).await);
    }
    checks
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Fine.
    Ok,
    /// Serves, but something needs attention.
    Warn,
    /// Cannot serve (or serves wrongly) until fixed.
    Fail,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Verdict::Ok => "ok",
            Verdict::Warn => "warn",
            Verdict::Fail => "FAIL",
        })
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// What was checked (`postgresql`, `pgvector`, `migrations`, …).
    pub name: String,
    /// The outcome.
    pub verdict: Verdict,
    /// What was found.
    pub detail: String,
    /// What to do about it (for warnings and failures).
    pub fix: Option<String>,
}

impl Check {
    /// A passing check.
    pub fn ok(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            verdict: Verdict::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    /// A warning with its fix.
    pub fn warn(
        name: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::with_fix(Verdict::Warn, name.into(), detail.into(), fix.into())
    }

    /// A failure with its fix.
    pub fn fail(
        name: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::with_fix(Verdict::Fail, name.into(), detail.into(), fix.into())
    }

    fn with_fix(verdict: Verdict, name: String, detail: String, fix: String) -> Self {
        Self {
            name,
            verdict,
            detail,
            fix: Some(fix),
        }
    }
}

impl Check {
    /// The report line(s), the name padded to `width`.
    pub fn line(&self, width: usize) -> String {
        let mut line = format!(
            "{:<4}  {:<width$}  {}",
            self.verdict, self.name, self.detail
        );
        if let Some(fix) = &self.fix {
            let indent = width + 8;
            line.push_str(&format!("\n{:indent$}fix: {fix}", ""));
        }
        line
    }
}

/// Prints `checks` and returns the exit status: failure when any check failed.
pub fn report(checks: &[Check]) -> ExitCode {
    let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for check in checks {
        println!("{}", check.line(width));
    }
    let failed = checks.iter().filter(|c| c.verdict == Verdict::Fail).count();
    let warned = checks.iter().filter(|c| c.verdict == Verdict::Warn).count();
    match (failed, warned) {
        (0, 0) => println!("\nall {} checks passed", checks.len()),
        (0, w) => println!("\nno failures; {w} warning(s)"),
        (f, _) => println!("\n{f} check(s) failed"),
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
