//! `giftvec backfill`: embeds every product that has no embedding of the app's model for its
//! current text, then checks that every stored vector of the model is usable. Each batch is stored in its own statement, and products are taken in id
//! order of what is still missing, so an interrupted run resumes where it stopped without
//! redoing finished work.

use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::app::App;
use crate::store::embeddings::{self, NewEmbedding};
use crate::{Error, Result};

/// What a run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackfillReport {
    /// Products embedded and stored.
    pub embedded: u64,
    /// Tokens embedded.
    pub tokens: u64,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// What a run would do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackfillEstimate {
    /// Products to embed.
    pub products: i64,
    /// Their tokens.
    pub tokens: u64,
    /// Estimated cost in US dollars.
    pub cost_usd: f64,
}

/// Counts what a backfill would embed, its tokens and cost, without embedding.
pub async fn estimate(app: &App) -> Result<BackfillEstimate> {
    let mut after = String::new();
    let (mut products, mut tokens) = (0i64, 0u64);
    loop {
        let page = embeddings::stale(&app.db, &app.model, &after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.product_id.clone();
        products += page.len() as i64;
        tokens += page
            .iter()
            .map(|p| app.embedder.count_tokens(&p.text) as u64)
            .sum::<u64>();
    }
    Ok(BackfillEstimate {
        products,
        tokens,
        cost_usd: app.embedder.info().cost(tokens),
    })
}

/// Embeds every stale product, `batch` at a time; a progress bar when `progress`.
pub async fn run(app: &App, batch: usize, progress: bool) -> Result<BackfillReport> {
    let started = Instant::now();
    let total = embeddings::stale_count(&app.db, &app.model).await?;
    let bar = if progress {
        ProgressBar::new(total as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} products  {per_sec}  eta {eta}")
            .expect("static template"),
    );
    let mut report = BackfillReport {
        embedded: 0,
        tokens: 0,
        seconds: 0.0,
    };
    let mut after = String::new();
    let mut last_log = Instant::now();
    loop {
        let page = embeddings::stale(&app.db, &app.model, &after, batch.max(1) as i64).await?;
        let Some(last) = page.last() else { break };
        after = last.product_id.clone();
        let texts: Vec<String> = page.iter().map(|p| p.text.clone()).collect();
        let out = app.embedder.embed(&texts).await?;
        let rows: Vec<NewEmbedding> = page
            .into_iter()
            .zip(out.items)
            .map(|(p, item)| {
                report.tokens += u64::from(item.tokens);
                NewEmbedding {
                    product_id: p.product_id,
                    embedding: item.embedding,
                    content_hash: p.content_hash,
                }
            })
            .collect();
        embeddings::upsert(&app.db, &app.model, &rows).await?;
        report.embedded += rows.len() as u64;
        bar.inc(rows.len() as u64);
        if !progress && last_log.elapsed().as_secs() >= 10 {
            tracing::info!(embedded = report.embedded, total, "backfill progress");
            last_log = Instant::now();
        }
    }
    bar.finish_and_clear();
    let left = embeddings::stale_count(&app.db, &app.model).await?;
    if left > 0 {
        // Products written while the run went on; the next run (or the pipeline) takes them.
        tracing::info!(left, "products changed during the backfill remain to embed");
    }
    report.seconds = started.elapsed().as_secs_f64();
    if report.embedded == 0 && total > 0 {
        return Err(Error::Internal("backfill made no progress".into()));
    }
    // What is stored must be usable: right dimension, non-zero.
    let invalid = embeddings::invalid_count(&app.db, &app.model).await?;
    if invalid > 0 {
        return Err(Error::Internal(
            format!(
                "{invalid} stored embeddings of {} are invalid",
                app.model.name
            )
            .into(),
        ));
    }
    Ok(report)
}
