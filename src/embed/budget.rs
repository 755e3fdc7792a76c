//! Cost tracking and the daily budget. Spend is kept in memory for the hot path and written
//! to `embedding_usage` in the background; the in-memory total is refreshed from the database
//! every few seconds, so the budget holds across every sidecar sharing the database.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::store::Db;
use chrono::{NaiveDate, Utc};
use serde::Serialize;

use super::provider::ModelInfo;
use crate::Error;
use crate::store::usage::{self, UsageDelta};

/// Budget settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetSettings {
    /// Daily limit for paid embedding calls in US dollars (UTC days); `None` = unlimited.
    pub daily_usd: Option<f64>,
    /// Fraction of the budget at which a warning is raised (default 0.8).
    pub warn_fraction: f64,
}

impl Default for BudgetSettings {
    fn default() -> Self {
        Self {
            daily_usd: None,
            warn_fraction: 0.8,
        }
    }
}

/// Where today's spend stands.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BudgetStatus {
    /// The daily budget, if any.
    pub daily_budget_usd: Option<f64>,
    /// Spent today (UTC) by every sidecar, as last seen.
    pub spent_today_usd: f64,
    /// At or past the warning fraction.
    pub warning: bool,
    /// Spent: new paid calls are refused.
    pub exhausted: bool,
}

/// Refresh the shared total at most this often.
const REFRESH: Duration = Duration::from_secs(5);

/// Tracks spend against the budget.
pub struct Budget {
    pool: Option<Db>,
    settings: BudgetSettings,
    today: Mutex<Today>,
}

struct Today {
    day: NaiveDate,
    spent_usd: f64,
    refreshed: Option<Instant>,
    warned: bool,
}

impl Budget {
    /// A tracker; without a pool, spend is counted in this process only.
    pub fn new(pool: Option<Db>, settings: BudgetSettings) -> Self {
        Self {
            pool,
            settings,
            today: Mutex::new(Today {
                day: Utc::now().date_naive(),
                spent_usd: 0.0,
                refreshed: None,
                warned: false,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Today> {
        self.today.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Refuses a paid call of `estimated_usd` that would take today's spend past the budget.
    pub async fn check(&self, model: &ModelInfo, estimated_usd: f64) -> Result<(), Error> {
        let Some(limit) = self.settings.daily_usd.filter(|_| model.is_paid()) else {
            return Ok(());
        };
        self.refresh().await;
        let spent = self.lock().spent_usd;
        if spent + estimated_usd > limit {
            return Err(Error::BudgetExceeded(format!(
                "the daily embedding budget of ${limit:.2} is spent (${spent:.4} today, UTC); \
                 paid embedding calls resume at 00:00 UTC or when GIFTVEC_EMBED_DAILY_BUDGET_USD \
                 is raised; keyword search still works"
            )));
        }
        Ok(())
    }

    /// Adds a call's usage to today's totals and, in the background, to the database.
    pub fn record(&self, model: &ModelInfo, delta: UsageDelta) {
        let day = {
            let mut today = self.lock();
            self.roll_over(&mut today);
            today.spent_usd += delta.cost_usd;
            if let Some(limit) = self.settings.daily_usd
                && !today.warned
                && today.spent_usd >= limit * self.settings.warn_fraction
            {
                today.warned = true;
                tracing::warn!(
                    spent_usd = today.spent_usd,
                    budget_usd = limit,
                    "embedding spend passed {:.0}% of the daily budget",
                    self.settings.warn_fraction * 100.0
                );
            }
            today.day
        };
        if let Some(pool) = self.pool.clone() {
            let (model, provider) = (model.name.clone(), model.provider.as_str());
            tokio::spawn(async move {
                if let Err(err) = usage::record(&pool, day, &model, provider, delta).await {
                    tracing::warn!(error = %err, "could not record embedding usage");
                }
            });
        }
    }

    /// Today's spend against the budget.
    pub fn status(&self) -> BudgetStatus {
        let mut today = self.lock();
        self.roll_over(&mut today);
        let limit = self.settings.daily_usd;
        BudgetStatus {
            daily_budget_usd: limit,
            spent_today_usd: today.spent_usd,
            warning: limit.is_some_and(|l| today.spent_usd >= l * self.settings.warn_fraction),
            exhausted: limit.is_some_and(|l| today.spent_usd >= l),
        }
    }

    fn roll_over(&self, today: &mut Today) {
        let now = Utc::now().date_naive();
        if today.day != now {
            *today = Today {
                day: now,
                spent_usd: 0.0,
                refreshed: None,
                warned: false,
            };
        }
    }

    /// Takes the larger of the local and the shared total (the shared one lags the background
    /// writes, the local one misses other sidecars).
    async fn refresh(&self) {
        let Some(pool) = &self.pool else { return };
        let day = {
            let mut today = self.lock();
            self.roll_over(&mut today);
            if today.refreshed.is_some_and(|at| at.elapsed() < REFRESH) {
                return;
            }
            today.day
        };
        match usage::spent_on(pool, day).await {
            Ok(shared) => {
                let mut today = self.lock();
                if today.day == day {
                    today.spent_usd = today.spent_usd.max(shared);
                    today.refreshed = Some(Instant::now());
                }
            }
            Err(err) => tracing::warn!(error = %err, "could not read today's embedding spend"),
        }
    }
}
