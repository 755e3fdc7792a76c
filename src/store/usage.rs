//! Embedding spend per model and UTC day (`embedding_usage`), shared by every sidecar.

use super::DbRef;
use chrono::NaiveDate;
use serde::Serialize;

use crate::Result;

/// One model's usage on one day.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct UsageRow {
    /// UTC day.
    pub day: NaiveDate,
    /// Model name.
    pub model: String,
    /// Provider kind.
    pub provider: String,
    /// Provider calls that succeeded.
    pub requests: i64,
    /// Tokens billed (or counted, for the local model).
    pub tokens: i64,
    /// Cost in US dollars.
    pub cost_usd: f64,
    /// Provider calls that failed.
    pub failures: i64,
}

/// Increments to add to a day's row.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UsageDelta {
    /// Successful calls.
    pub requests: i64,
    /// Tokens.
    pub tokens: i64,
    /// Cost in US dollars.
    pub cost_usd: f64,
    /// Failed calls.
    pub failures: i64,
}

const RECORD: &str = "\
INSERT INTO embedding_usage AS u (day, model, provider, requests, tokens, cost_usd, failures)
VALUES ($1, $2, $3, $4, $5, $6::float8::numeric, $7)
ON CONFLICT (day, model) DO UPDATE SET
    requests = u.requests + EXCLUDED.requests, tokens = u.tokens + EXCLUDED.tokens,
    cost_usd = u.cost_usd + EXCLUDED.cost_usd, failures = u.failures + EXCLUDED.failures";

/// Adds `delta` to the row of (`day`, `model`).
#[tracing::instrument(skip(pool))]
pub async fn record(
    pool: impl Into<DbRef<'_>>,
    day: NaiveDate,
    model: &str,
    provider: &str,
    delta: UsageDelta,
) -> Result<()> {
    let pool: DbRef<'_> = pool.into();
    sqlx::query(RECORD)
        .bind(day)
        .bind(model)
        .bind(provider)
        .bind(delta.requests)
        .bind(delta.tokens)
        .bind(delta.cost_usd)
        .bind(delta.failures)
        .execute(pool)
        .await?;
    Ok(())
}

/// Total cost of every model on `day`.
#[tracing::instrument(skip(pool))]
pub async fn spent_on(pool: impl Into<DbRef<'_>>, day: NaiveDate) -> Result<f64> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_scalar(
        "SELECT coalesce(sum(cost_usd), 0)::float8 FROM embedding_usage WHERE day = $1",
    )
    .bind(day)
    .fetch_one(pool)
    .await?)
}

/// Rows from `since` on, newest day first.
#[tracing::instrument(skip(pool))]
pub async fn since(pool: impl Into<DbRef<'_>>, since: NaiveDate) -> Result<Vec<UsageRow>> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_as(
        "SELECT day, model, provider, requests, tokens, cost_usd::float8 AS cost_usd, failures
         FROM embedding_usage WHERE day >= $1 ORDER BY day DESC, model",
    )
    .bind(since)
    .fetch_all(pool)
    .await?)
}

/// Tokens and cost of each model over all days.
#[tracing::instrument(skip(pool))]
pub async fn totals(pool: impl Into<DbRef<'_>>) -> Result<Vec<(String, i64, f64)>> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_as(
        "SELECT model, sum(tokens)::int8, sum(cost_usd)::float8 FROM embedding_usage GROUP BY model",
    )
    .fetch_all(pool)
    .await?)
}
