//! Database state as gauges, sampled on an interval on the heavy pool (never per request):
//! embedding jobs by state, the oldest pending job, coverage, spend against the budget, and
//! table, index and database sizes.

use std::time::Duration;

use tokio::sync::watch;

use super::names;
use crate::Result;
use crate::app::App;
use crate::pipeline::status::embedding_status;
use crate::store;

/// Samples once, setting every sampled gauge.
pub async fn sample(app: &App) -> Result<()> {
    let status = embedding_status(app).await?;
    for m in &status.models {
        let model = m.model.clone();
        for (state, n) in [
            ("pending", m.pending),
            ("running", m.running),
            ("failed", m.failed),
            ("dead", m.dead),
        ] {
            metrics::gauge!(names::JOBS, "model" => model.clone(), "state" => state).set(n as f64);
        }
        metrics::gauge!(names::OLDEST_PENDING, "model" => model.clone())
            .set(m.oldest_pending_secs.unwrap_or(0.0));
        metrics::gauge!(names::COVERAGE, "model" => model).set(m.coverage);
    }
    metrics::gauge!(names::SPENT_TODAY).set(status.spent_today_usd);
    if let Some(budget) = status.daily_budget_usd {
        metrics::gauge!(names::DAILY_BUDGET).set(budget);
    }
    let sizes = store::storage::sizes(&app.heavy).await?;
    for t in &sizes.tables {
        metrics::gauge!(names::TABLE_BYTES, "table" => t.name.clone()).set(t.bytes as f64);
    }
    for i in &sizes.indexes {
        metrics::gauge!(names::INDEX_BYTES, "index" => i.name.clone(), "table" => i.table.clone())
            .set(i.bytes as f64);
    }
    metrics::gauge!(names::DATABASE_BYTES).set(sizes.database_bytes as f64);
    Ok(())
}

/// Samples every `every` until `stop` turns true; a failed sample is counted and logged, and
/// the next one tried.
pub fn spawn_sampler(
    app: App,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if let Err(err) = sample(&app).await {
                        metrics::counter!(names::SAMPLE_FAILURES).increment(1);
                        tracing::warn!(error = %err, "metrics sample failed");
                    }
                }
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        break;
                    }
                }
            }
        }
    })
}
