//! Where embeddings stand, per model: coverage, the queue by state, failure rate, the age of
//! the oldest pending job, spend; with alert lines when the failure rate or the pending age
//! passes its threshold (also logged as warnings).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::store::{jobs, models, products, usage};
use crate::{Error, Result};

/// Failure rate over the last hour above which an alert is raised.
pub const FAILURE_RATE_ALERT: f64 = 0.2;
/// Age of the oldest pending job (seconds) above which an alert is raised.
pub const OLDEST_PENDING_ALERT_SECS: f64 = 900.0;

/// One model's embedding state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ModelStatus {
    /// Model name.
    pub model: String,
    /// Whether it serves searches.
    pub active: bool,
    /// Vector dimension.
    pub dimensions: i32,
    /// Share of products with an embedding of their current text, 0 to 1.
    pub coverage: f64,
    /// Products with an embedding of their current text.
    pub embedded: i64,
    /// Products in the catalog.
    pub products: i64,
    /// Jobs waiting (including retries).
    pub pending: i64,
    /// Jobs held by a worker now.
    pub running: i64,
    /// Pending jobs that already failed at least once.
    pub failed: i64,
    /// Jobs that gave up after their last attempt (see `dead_letters`).
    pub dead: i64,
    /// Failed attempts / attempts over the last hour, 0 to 1.
    pub failure_rate_1h: f64,
    /// Seconds since the oldest pending job was queued.
    pub oldest_pending_secs: Option<f64>,
    /// Tokens embedded with this model so far.
    pub tokens: i64,
    /// Spend on this model so far, US dollars.
    pub cost_usd: f64,
    /// Up to 10 dead-lettered products with their last error.
    pub dead_letters: Vec<DeadLetter>,
}

/// A job that gave up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DeadLetter {
    /// The product.
    pub product_id: String,
    /// Its last error.
    pub error: String,
}

/// Estimated embedding cost of one product's current text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProductCost {
    /// The product.
    pub product_id: String,
    /// Tokens of its text for the sidecar's model.
    pub tokens: u64,
    /// Cost of embedding it once, US dollars.
    pub cost_usd: f64,
}

/// Every model's state, and alerts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EmbeddingStatus {
    /// Per registered model, the active one first.
    pub models: Vec<ModelStatus>,
    /// Threshold breaches, in words (empty when all is well).
    pub alerts: Vec<String>,
    /// Spend today (UTC) against the daily budget, US dollars; null budget = unlimited.
    pub spent_today_usd: f64,
    /// The daily budget, if any.
    pub daily_budget_usd: Option<f64>,
}

/// The embedding state of every model.
pub async fn embedding_status(app: &App) -> Result<EmbeddingStatus> {
    let product_count = products::count(&app.heavy).await?;
    let spend = usage::totals(&app.heavy).await?;
    let mut out = Vec::new();
    let mut alerts = Vec::new();
    for model in models::list(&app.heavy).await? {
        let queue = jobs::counts(&app.heavy, &model.name).await?;
        let embedded = crate::store::embeddings::current_count(&app.heavy, &model.name).await?;
        let (tokens, cost_usd) = spend
            .iter()
            .find(|(m, _, _)| *m == model.name)
            .map_or((0, 0.0), |(_, t, c)| (*t, *c));
        if queue.failure_rate_1h > FAILURE_RATE_ALERT {
            alerts.push(format!(
                "{}: {:.0}% of embedding attempts failed in the last hour (alert above {:.0}%)",
                model.name,
                queue.failure_rate_1h * 100.0,
                FAILURE_RATE_ALERT * 100.0
            ));
        }
        if let Some(age) = queue
            .oldest_pending_secs
            .filter(|a| *a > OLDEST_PENDING_ALERT_SECS)
        {
            alerts.push(format!(
                "{}: the oldest pending embedding job waits for {age:.0}s (alert above {OLDEST_PENDING_ALERT_SECS:.0}s); is a worker running?",
                model.name
            ));
        }
        let dead_letters = jobs::dead(&app.heavy, &model.name, 10)
            .await?
            .into_iter()
            .map(|(product_id, error)| DeadLetter { product_id, error })
            .collect();
        out.push(ModelStatus {
            coverage: if product_count == 0 {
                1.0
            } else {
                embedded as f64 / product_count as f64
            },
            active: model.is_active,
            dimensions: model.dimensions,
            model: model.name,
            embedded,
            products: product_count,
            pending: queue.pending,
            running: queue.running,
            failed: queue.failed,
            dead: queue.dead,
            failure_rate_1h: queue.failure_rate_1h,
            oldest_pending_secs: queue.oldest_pending_secs,
            tokens,
            cost_usd,
            dead_letters,
        });
    }
    for alert in &alerts {
        tracing::warn!(alert = %alert, "embedding pipeline alert");
    }
    let budget = app.embedder.budget();
    Ok(EmbeddingStatus {
        models: out,
        alerts,
        spent_today_usd: budget.spent_today_usd,
        daily_budget_usd: budget.daily_budget_usd,
    })
}

/// The estimated cost of embedding `product_id` once with the sidecar's model.
pub async fn product_cost(app: &App, product_id: &str) -> Result<ProductCost> {
    let texts = crate::store::embeddings::product_texts(&app.db, &[product_id.to_string()]).await?;
    let text = texts
        .first()
        .ok_or_else(|| Error::not_found("product", product_id))?;
    let tokens = app.embedder.count_tokens(&text.text) as u64;
    Ok(ProductCost {
        product_id: product_id.to_string(),
        tokens,
        cost_usd: app.embedder.info().cost(tokens),
    })
}
