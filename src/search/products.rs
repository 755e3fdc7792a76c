//! Product search in three modes. Semantic and hybrid need the query's embedding; when the
//! embedder cannot serve (circuit open, provider down, budget spent, timeout) they fall back to
//! keyword search and say so, rather than failing the agent's turn.

use serde::{Deserialize, Serialize};

use super::fusion::{RrfParams, rrf};
use crate::app::App;
use crate::store::{self, Embedding, Product, ProductFilters, SimilarityOptions};
use crate::{Error, Result};

/// How to match.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Words: the request's terms against titles, categories, tags and descriptions.
    Keyword,
    /// Meaning: the request and the products compared as embeddings.
    Semantic,
    /// Both, fused by rank (Reciprocal Rank Fusion): the best of the two in general.
    #[default]
    Hybrid,
}

/// One result, with the rank it had in each source.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// The product.
    pub product: Product,
    /// Relevance under the mode used (cosine for semantic, ts_rank_cd for keyword, RRF for
    /// hybrid).
    pub score: f64,
    /// 1-based rank in the keyword results, if there.
    pub keyword_rank: Option<u32>,
    /// 1-based rank in the semantic results, if there.
    pub semantic_rank: Option<u32>,
}

/// What a search returned.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchOutcome {
    /// Best first.
    pub hits: Vec<SearchHit>,
    /// The mode that produced them (keyword after a fallback).
    pub mode: Mode,
    /// Why the requested mode could not be served, when it fell back.
    pub degraded: Option<String>,
    /// The query's embedding, when one was made (for analytics).
    pub embedding: Option<Embedding>,
}

/// Candidates taken from each source before fusion.
fn candidates(limit: u32) -> u32 {
    (limit * 5).clamp(50, 1000).max(limit)
}

/// Runs a search.
pub async fn search(
    app: &App,
    query: &str,
    mode: Mode,
    limit: u32,
    filters: &ProductFilters,
) -> Result<SearchOutcome> {
    if mode == Mode::Keyword {
        return keyword(app, query, limit, filters, None).await;
    }
    let embedding = match app.embedder.embed(&[query.to_string()]).await {
        Ok(out) => out
            .items
            .into_iter()
            .next()
            .map(|i| i.embedding)
            .expect("one in, one out"),
        Err(
            err @ (Error::Upstream(_) | Error::BudgetExceeded(_) | Error::Timeout | Error::Busy),
        ) => {
            tracing::warn!(error = %err, "embedder unavailable; answering with keyword search");
            let reason = format!(
                "{} search is unavailable, so these are keyword results: {err}",
                label(mode)
            );
            return keyword(app, query, limit, filters, Some(reason)).await;
        }
        Err(err) => return Err(err),
    };
    let mut outcome = match mode {
        Mode::Semantic => semantic(app, &embedding, limit, filters).await?,
        _ => hybrid(app, query, &embedding, limit, filters).await?,
    };
    outcome.embedding = Some(embedding);
    Ok(outcome)
}

/// The mode's name (as in the analytics log).
pub fn label(mode: Mode) -> &'static str {
    match mode {
        Mode::Keyword => "keyword",
        Mode::Semantic => "semantic",
        Mode::Hybrid => "hybrid",
    }
}

async fn keyword(
    app: &App,
    query: &str,
    limit: u32,
    filters: &ProductFilters,
    degraded: Option<String>,
) -> Result<SearchOutcome> {
    let hits = store::keyword::search(&app.db, query, filters, i64::from(limit)).await?;
    Ok(SearchOutcome {
        hits: hits
            .into_iter()
            .enumerate()
            .map(|(i, h)| SearchHit {
                product: h.product,
                score: h.rank,
                keyword_rank: Some(i as u32 + 1),
                semantic_rank: None,
            })
            .collect(),
        mode: Mode::Keyword,
        degraded,
        embedding: None,
    })
}

async fn semantic(
    app: &App,
    query: &Embedding,
    limit: u32,
    filters: &ProductFilters,
) -> Result<SearchOutcome> {
    let options = SimilarityOptions {
        k: limit,
        filters: filters.clone(),
        ..SimilarityOptions::default()
    };
    let hits = store::similarity::nearest(&app.db, &app.model, query, &options).await?;
    Ok(SearchOutcome {
        hits: hits
            .into_iter()
            .enumerate()
            .map(|(i, h)| SearchHit {
                product: h.product,
                score: h.similarity,
                keyword_rank: None,
                semantic_rank: Some(i as u32 + 1),
            })
            .collect(),
        mode: Mode::Semantic,
        degraded: None,
        embedding: None,
    })
}

async fn hybrid(
    app: &App,
    query: &str,
    embedding: &Embedding,
    limit: u32,
    filters: &ProductFilters,
) -> Result<SearchOutcome> {
    let n = candidates(limit);
    let options = SimilarityOptions {
        k: n,
        filters: filters.clone(),
        ..SimilarityOptions::default()
    };
    let (semantic, keyword) = tokio::try_join!(
        store::similarity::nearest(&app.db, &app.model, embedding, &options),
        store::keyword::search(&app.db, query, filters, i64::from(n)),
    )?;
    let keyword_ids: Vec<String> = keyword.iter().map(|h| h.product.id.clone()).collect();
    let semantic_ids: Vec<String> = semantic.iter().map(|h| h.product.id.clone()).collect();
    let mut products: std::collections::HashMap<String, Product> = semantic
        .into_iter()
        .map(|h| (h.product.id.clone(), h.product))
        .chain(
            keyword
                .into_iter()
                .map(|h| (h.product.id.clone(), h.product)),
        )
        .collect();
    let hits = rrf(&keyword_ids, &semantic_ids, RrfParams::default())
        .into_iter()
        .take(limit as usize)
        .filter_map(|f| {
            products.remove(&f.id).map(|product| SearchHit {
                product,
                score: f.score,
                keyword_rank: f.keyword_rank,
                semantic_rank: f.semantic_rank,
            })
        })
        .collect();
    Ok(SearchOutcome {
        hits,
        mode: Mode::Hybrid,
        degraded: None,
        embedding: None,
    })
}
