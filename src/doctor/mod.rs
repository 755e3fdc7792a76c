//! `giftvec doctor`: is this deployment able to serve? One line per check — PostgreSQL and
//! pgvector versions, migrations, models and coverage, each model's HNSW index, the embedder,
//! Redis, the read replica — each `ok`, `warn` or `FAIL`, a failing or doubtful one with the
//! fix. Exit status 0 unless a check failed (warnings do not fail: a catalog still being
//! embedded is served). Used by the migration Job after `giftvec migrate` and by operators.

mod checks;

use std::fmt;
use std::process::ExitCode;

pub use checks::{DoctorSettings, run_checks};

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
