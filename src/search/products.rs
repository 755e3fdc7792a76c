//! Product search in three modes. Semantic and hybrid need the query's embedding; when the
//! embedder cannot serve (circuit open, provider down, budget spent, timeout) they fall back to
//! keyword search and say so, rather than failing the agent's turn.

use serde::{Deserialize, Serialize};

use super::category_vote;
use super::expansion::{self, Expansion};
use super::fusion::{KeywordScorer, RrfParams, rrf};
use super::personal;
use crate::app::App;
use crate::store::bm25::{self, Gate};
use crate::store::keyword::KeywordHit;
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

impl Mode {
    /// Lower-case name (logs and metrics labels).
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Keyword => "keyword",
            Mode::Semantic => "semantic",
            Mode::Hybrid => "hybrid",
        }
    }
}

/// One result, with the rank it had in each source.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// The product.
    pub product: Product,
    /// Relevance under the mode used (cosine for semantic, ts_rank for keyword, RRF for
    /// hybrid; after a personal re-rank, the blend described in [`super::personal`]).
    pub score: f64,
    /// 1-based rank in the keyword results, if there.
    pub keyword_rank: Option<u32>,
    /// 1-based rank in the semantic results, if there.
    pub semantic_rank: Option<u32>,
    /// Cosine similarity to the user's preference vector, when the results were personalised.
    pub personal_similarity: Option<f64>,
}

/// A search to run.
#[derive(Debug, Clone)]
pub struct SearchRequest<'a> {
    /// The request text (what the meaning side embeds).
    pub query: &'a str,
    /// The words the keyword side matches: the query, or what query understanding left of it
    /// (see [`super::interpret`]); empty matches nothing.
    pub keywords: &'a str,
    /// How to match.
    pub mode: Mode,
    /// How many results (best first) to return.
    pub depth: u32,
    /// Which products may appear.
    pub filters: &'a ProductFilters,
    /// Hybrid fusion parameters.
    pub fusion: RrfParams,
    /// Widen the request with past queries and rewrites (semantic and hybrid modes).
    pub expand: bool,
    /// Re-rank for this user's preference vector, when they have one.
    pub user_id: Option<&'a str>,
    /// Share of the score the user's taste gets in that re-rank (0 to 1).
    pub personal_weight: f64,
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
    /// The expansions used.
    pub expansions: Vec<Expansion>,
    /// Whether a personal re-rank was applied.
    pub personalised: bool,
}

/// Candidates a personal re-rank chooses from (at least).
const PERSONAL_POOL: u32 = 200;

/// The catalog's common words under the configured share.
async fn common_terms(app: &App) -> std::sync::Arc<Vec<String>> {
    app.common_terms
        .get(&app.read, app.search.common_term_share)
        .await
}

/// Candidates taken from each source before fusion.
fn candidates(limit: u32) -> u32 {
    (limit * 5).clamp(50, 1000).max(limit)
}

impl SearchOutcome {
    /// Hits ranked by `mode`, nothing else known yet.
    fn ranked(hits: Vec<SearchHit>, mode: Mode) -> Self {
        Self {
            hits,
            mode,
            degraded: None,
            embedding: None,
            expansions: Vec::new(),
            personalised: false,
        }
    }
}

/// Runs a search.
pub async fn search(app: &App, request: &SearchRequest<'_>) -> Result<SearchOutcome> {
    let personal = request.user_id.is_some();
    // A re-rank needs room below the page to pull items up from, and the same room whatever
    // the page size, so that a page of 10 is the top of a page of 100.
    let pool = if personal {
        request.depth.clamp(PERSONAL_POOL, store::similarity::MAX_K)
    } else {
        request.depth
    };
    // Without expansion, hybrid's keyword side needs only the request's words: it runs while
    // the request is embedded (and stands in, already fetched, if the embedder cannot serve).
    let early_keyword = request.mode == Mode::Hybrid && !request.expand;
    let per_source = candidates(request.depth).max(pool);
    let mut outcome = match request.mode {
        Mode::Keyword => keyword(app, request, pool, None).await?,
        mode => {
            let (embedded, prefetched) = if early_keyword {
                let (embedded, hits) = tokio::join!(
                    embed_query(app, request.query),
                    keyword_hits(
                        app,
                        request.keywords,
                        per_source,
                        request.filters,
                        &request.fusion
                    ),
                );
                (embedded?, Some(hits?))
            } else {
                (embed_query(app, request.query).await?, None)
            };
            match embedded {
                Err(reason) => {
                    let reason = format!(
                        "{} search is unavailable, so these are keyword results: {reason}",
                        mode.as_str()
                    );
                    match prefetched {
                        Some(hits) => keyword_outcome(hits, pool, Some(reason)),
                        None => keyword(app, request, pool, Some(reason)).await?,
                    }
                }
                Ok(embedding) => {
                    let expanded = if request.expand {
                        expansion::expand(app, request.query, request.keywords, &embedding).await
                    } else {
                        expansion::unexpanded(request.keywords, &embedding)
                    };
                    let mut outcome = if mode == Mode::Semantic {
                        semantic(app, &expanded.vector, pool, request.filters).await?
                    } else {
                        let sources = Sources {
                            text: &expanded.text,
                            vector: &expanded.vector,
                            keyword: prefetched,
                        };
                        let sizes = (pool, candidates(request.depth));
                        hybrid(app, sources, sizes, request.filters, request.fusion).await?
                    };
                    outcome.embedding = Some(embedding);
                    outcome.expansions = expanded.expansions;
                    outcome
                }
            }
        }
    };
    if let Some(user_id) = request.user_id {
        outcome.personalised =
            personal::rerank(app, user_id, request.personal_weight, &mut outcome.hits).await?;
    }
    outcome.hits.truncate(request.depth as usize);
    Ok(outcome)
}

/// The query's embedding, or why the embedder cannot give one now (the caller falls back).
async fn embed_query(app: &App, query: &str) -> Result<std::result::Result<Embedding, String>> {
    match app.embedder.embed(&[query.to_string()]).await {
        Ok(out) => Ok(Ok(out
            .items
            .into_iter()
            .next()
            .map(|i| i.embedding)
            .expect("one in, one out"))),
        Err(
            err @ (Error::Upstream(_) | Error::BudgetExceeded(_) | Error::Timeout | Error::Busy),
        ) => {
            tracing::warn!(error = %err, "embedder unavailable; answering with keyword search");
            Ok(Err(err.to_string()))
        }
        Err(err) => Err(err),
    }
}

/// The `limit` best keyword matches, under `fusion`'s scorer.
async fn keyword_hits(
    app: &App,
    query: &str,
    limit: u32,
    filters: &ProductFilters,
    fusion: &RrfParams,
) -> Result<Vec<KeywordHit>> {
    if query.trim().is_empty() {
        return Ok(Vec::new());
    }
    let k = i64::from(limit);
    match fusion.scorer {
        KeywordScorer::Bm25 => {
            let gate = Gate {
                share: app.search.common_term_share,
                min_docs: bm25::GATE_MIN_DOCS,
            };
            bm25::search(&app.read, query, filters, k, gate, &fusion.bm25).await
        }
        KeywordScorer::TsRank => {
            let common = common_terms(app).await;
            store::keyword::search(&app.read, query, filters, k, &common).await
        }
    }
}

/// Keyword results as the outcome (`degraded` when they stand in for another mode).
fn keyword_outcome(hits: Vec<KeywordHit>, limit: u32, degraded: Option<String>) -> SearchOutcome {
    let hits = hits
        .into_iter()
        .take(limit as usize)
        .enumerate()
        .map(|(i, h)| SearchHit {
            product: h.product,
            score: h.rank,
            keyword_rank: Some(i as u32 + 1),
            semantic_rank: None,
            personal_similarity: None,
        })
        .collect();
    SearchOutcome {
        degraded,
        ..SearchOutcome::ranked(hits, Mode::Keyword)
    }
}

async fn keyword(
    app: &App,
    request: &SearchRequest<'_>,
    limit: u32,
    degraded: Option<String>,
) -> Result<SearchOutcome> {
    let hits = keyword_hits(
        app,
        request.keywords,
        limit,
        request.filters,
        &request.fusion,
    )
    .await?;
    Ok(keyword_outcome(hits, limit, degraded))
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
        ef_search: app.search.ef_search,
        ..SimilarityOptions::default()
    };
    let hits = store::similarity::nearest(&app.read, &app.model, query, &options).await?;
    let hits = hits
        .into_iter()
        .enumerate()
        .map(|(i, h)| SearchHit {
            product: h.product,
            score: h.similarity,
            keyword_rank: None,
            semantic_rank: Some(i as u32 + 1),
            personal_similarity: None,
        })
        .collect();
    Ok(SearchOutcome::ranked(hits, Mode::Semantic))
}

/// What hybrid search matches: words from `text` (or the keyword hits already fetched for
/// it), meaning from `vector`.
struct Sources<'a> {
    text: &'a str,
    vector: &'a Embedding,
    keyword: Option<Vec<KeywordHit>>,
}

/// Fuses keyword and semantic candidates; `limit` fused results are kept, from
/// `per_source` candidates of each source.
async fn hybrid(
    app: &App,
    sources: Sources<'_>,
    (limit, per_source): (u32, u32),
    filters: &ProductFilters,
    fusion: RrfParams,
) -> Result<SearchOutcome> {
    let n = per_source.max(limit);
    let options = SimilarityOptions {
        k: n,
        filters: filters.clone(),
        ef_search: app.search.ef_search,
        ..SimilarityOptions::default()
    };
    let nearest = store::similarity::nearest(&app.read, &app.model, sources.vector, &options);
    let (semantic, keyword) = match sources.keyword {
        Some(hits) => (nearest.await?, hits),
        None => tokio::try_join!(
            nearest,
            keyword_hits(app, sources.text, n, filters, &fusion)
        )?,
    };
    let keyword_ids: Vec<(String, f64)> = keyword
        .iter()
        .map(|h| (h.product.id.clone(), h.coverage))
        .collect();
    let semantic_ids: Vec<String> = semantic.iter().map(|h| h.product.id.clone()).collect();
    let voters: Vec<(String, f64)> = semantic
        .iter()
        .take(category_vote::VOTERS)
        .map(|h| {
            let cosine = app.model.distance.unit_cosine(h.distance);
            (h.product.category.clone(), cosine)
        })
        .collect();
    let mut products: std::collections::HashMap<String, Product> = semantic
        .into_iter()
        .map(|h| (h.product.id.clone(), h.product))
        .chain(
            keyword
                .into_iter()
                .map(|h| (h.product.id.clone(), h.product)),
        )
        .collect();
    let mut fused = rrf(&keyword_ids, &semantic_ids, fusion);
    if fusion.category_vote > 0.0 {
        let shares = category_vote::shares(voters.iter().map(|(c, s)| (c.as_str(), *s)));
        for f in &mut fused {
            let share = products
                .get(&f.id)
                .and_then(|p| shares.get(p.category.as_str()))
                .copied()
                .unwrap_or(0.0);
            f.score = category_vote::boost(f.score, share, fusion.category_vote);
        }
        fused.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    }
    let hits = fused
        .into_iter()
        .take(limit as usize)
        .filter_map(|f| {
            products.remove(&f.id).map(|product| SearchHit {
                product,
                score: f.score,
                keyword_rank: f.keyword_rank,
                semantic_rank: f.semantic_rank,
                personal_similarity: None,
            })
        })
        .collect();
    Ok(SearchOutcome::ranked(hits, Mode::Hybrid))
}
