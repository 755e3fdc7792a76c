//! The embedding worker: claims jobs of the app's model in batches, embeds the products'
//! current text, and stores the vectors and closes the jobs in one transaction. A product
//! whose current text is already embedded is closed without a provider call, so every text
//! version is stored once. Failed jobs are retried with exponential backoff and dead-lettered
//! with their last error after the last attempt; when the provider rejects a batch, its inputs
//! are retried one by one so that one poison input does not hold up the rest.

use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::app::App;
use crate::store::bm25;
use crate::store::embeddings::NewEmbedding;
use crate::store::jobs::{self, ClaimedJob, JobText};
use crate::{Error, Result};

/// How often an idle worker folds the keyword statistics' delta rows (`store::bm25::compact`).
const FOLD_EVERY: Duration = Duration::from_secs(60);

/// Worker settings.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Name in `locked_by` (host and pid by default).
    pub id: String,
    /// Jobs per claim.
    pub batch: usize,
    /// How long a claim is held before another worker may take it over.
    pub lease: Duration,
    /// Pause between polls when the queue is empty.
    pub idle_poll: Duration,
    /// Attempts before a job is dead-lettered.
    pub max_attempts: i32,
    /// First retry delay (doubled per attempt, at most an hour).
    pub retry_base: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            id: format!("{}-{}", hostname(), std::process::id()),
            batch: 64,
            lease: Duration::from_secs(120),
            idle_poll: Duration::from_secs(1),
            max_attempts: 5,
            retry_base: Duration::from_secs(5),
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "worker".into())
}

/// What a worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerStats {
    /// Jobs closed with a new embedding.
    pub embedded: u64,
    /// Jobs closed because the text was already embedded.
    pub unchanged: u64,
    /// Failed attempts.
    pub failed: u64,
}

/// Runs until `stop` turns true, finishing the batch in hand first.
pub async fn run(
    app: &App,
    settings: &WorkerSettings,
    mut stop: watch::Receiver<bool>,
) -> Result<WorkerStats> {
    let mut stats = WorkerStats::default();
    tracing::info!(worker = %settings.id, model = %app.model.name, "embedding worker started");
    let mut folded = Instant::now();
    while !*stop.borrow() {
        // A database hiccup must not end the worker: log, pause, carry on.
        let worked = match step(app, settings, &mut stats).await {
            Ok(worked) => worked,
            Err(err) => {
                tracing::warn!(error = %err, "embedding worker step failed; retrying");
                false
            }
        };
        if !worked {
            if folded.elapsed() >= FOLD_EVERY {
                folded = Instant::now();
                if let Err(err) = bm25::compact(&app.db).await {
                    tracing::warn!(error = %err, "folding the keyword statistics failed");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(settings.idle_poll) => {}
                _ = stop.changed() => {}
            }
        }
    }
    tracing::info!(worker = %settings.id, ?stats, "embedding worker stopped");
    Ok(stats)
}

/// Works until no job is due, then returns (`giftvec worker --once`, tests).
pub async fn drain(app: &App, settings: &WorkerSettings) -> Result<WorkerStats> {
    let mut stats = WorkerStats::default();
    while step(app, settings, &mut stats).await? {}
    Ok(stats)
}

/// Claims and processes one batch; false when nothing was due.
async fn step(app: &App, settings: &WorkerSettings, stats: &mut WorkerStats) -> Result<bool> {
    let claimed = jobs::claim(
        &app.db,
        &app.model,
        &settings.id,
        settings.batch.max(1) as i64,
        settings.lease,
    )
    .await?;
    if claimed.is_empty() {
        return Ok(false);
    }
    process(app, settings, &claimed, stats).await?;
    Ok(true)
}

async fn process(
    app: &App,
    settings: &WorkerSettings,
    claimed: &[ClaimedJob],
    stats: &mut WorkerStats,
) -> Result<()> {
    let ids: Vec<String> = claimed.iter().map(|j| j.product_id.clone()).collect();
    let texts = jobs::texts(&app.db, &app.model, &ids).await?;
    let (current, stale): (Vec<&JobText>, Vec<&JobText>) = texts.iter().partition(|t| t.up_to_date);
    let job_of = |product: &str| {
        claimed
            .iter()
            .find(|j| j.product_id == product)
            .map(|j| j.id)
    };
    // Up to date, or the product is gone: nothing to embed.
    let closed: Vec<i64> = claimed
        .iter()
        .filter(|j| !stale.iter().any(|t| t.product_id == j.product_id))
        .map(|j| j.id)
        .collect();
    if !closed.is_empty() {
        jobs::complete(&app.db, &app.model, &closed, &[]).await?;
        stats.unchanged += current.len() as u64;
    }
    if stale.is_empty() {
        return Ok(());
    }
    match embed(app, &stale).await {
        Ok(rows) => {
            let done: Vec<i64> = stale.iter().filter_map(|t| job_of(&t.product_id)).collect();
            jobs::complete(&app.db, &app.model, &done, &rows).await?;
            stats.embedded += rows.len() as u64;
        }
        Err(Error::InvalidInput { .. }) if stale.len() > 1 => {
            for text in stale {
                let one = claimed
                    .iter()
                    .find(|j| j.product_id == text.product_id)
                    .cloned();
                if let Some(job) = one {
                    Box::pin(process(app, settings, &[job], stats)).await?;
                }
            }
        }
        Err(err) => {
            for text in &stale {
                if let Some(job) = claimed.iter().find(|j| j.product_id == text.product_id) {
                    let retry_in =
                        settings.retry_base * 2u32.saturating_pow(job.attempts.max(1) as u32 - 1);
                    let retry_in = retry_in.min(Duration::from_secs(3600));
                    jobs::fail(
                        &app.db,
                        job.id,
                        &err.to_string(),
                        settings.max_attempts,
                        retry_in,
                    )
                    .await?;
                    stats.failed += 1;
                }
            }
            tracing::warn!(error = %err, jobs = stale.len(), "embedding jobs failed; will retry");
        }
    }
    Ok(())
}

async fn embed(app: &App, stale: &[&JobText]) -> Result<Vec<NewEmbedding>> {
    let texts: Vec<String> = stale.iter().map(|t| t.text.clone()).collect();
    let out = app.embedder.embed(&texts).await?;
    Ok(stale
        .iter()
        .zip(out.items)
        .map(|(t, item)| NewEmbedding {
            product_id: t.product_id.clone(),
            embedding: item.embedding,
            content_hash: t.content_hash.clone(),
        })
        .collect())
}
