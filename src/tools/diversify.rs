//! `diversify`: re-rank a list of products (or a search's results) for variety with maximal
//! marginal relevance, reporting how varied the list was before and after.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::search_products::MAX_QUERY_CHARS;
use super::search_products::{self, SearchProducts};
use super::views::{Detail, Filters, Hit, MAX_ID_CHARS, MAX_LIMIT, default_limit};
use super::{Effects, Tool, Toolset};
use crate::app::App;
use crate::recommend::diversity::{self, Candidate};
use crate::store::recommendations::{self, WithVector};
use crate::{Error, Result};

/// Most products one call may re-rank.
pub const MAX_PRODUCTS: usize = 200;

/// The `diversify` tool.
pub struct Diversify;

/// What to re-rank and how strongly.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The list to re-rank, most relevant first. Give this or query.
    #[serde(default)]
    #[schemars(length(max = MAX_PRODUCTS), inner(length(min = 1, max = MAX_ID_CHARS)))]
    pub product_ids: Vec<String>,
    /// Relevance of each of product_ids (default: falls with position).
    #[schemars(extend("x-advanced" = true))]
    pub scores: Option<Vec<f64>>,
    /// Instead: re-rank the top 50 search_products results for this request (prices and
    /// exclusions in it apply).
    #[schemars(length(min = 1, max = MAX_QUERY_CHARS))]
    pub query: Option<String>,
    /// With query: hard limits every result meets.
    #[serde(default)]
    #[schemars(extend("x-advanced" = true))]
    pub filters: Filters,
    /// 1 keeps the relevance order, 0.5 balances (default), lower favours variety.
    #[serde(default = "half")]
    #[schemars(range(min = 0, max = 1))]
    pub lambda: f64,
    /// How many to return.
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = MAX_LIMIT))]
    pub limit: u32,
    /// At most this many from any one category.
    #[schemars(range(min = 1))]
    pub max_per_category: Option<u32>,
    /// brief: id, title, price, currency, category, score, reason; full: every field.
    #[serde(default)]
    pub detail: Detail,
}

fn half() -> f64 {
    0.5
}

/// The re-ranked list and how varied it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Output {
    /// The products in their new order; `score` is the relevance given (or derived).
    pub results: Vec<Hit>,
    /// Intra-list diversity (mean pairwise cosine distance) of the first `limit` products in
    /// the original order.
    pub diversity_before: f64,
    /// The same for `results`.
    pub diversity_after: f64,
    /// Distinct categories among the first `limit` in the original order.
    pub categories_before: usize,
    /// Distinct categories among `results`.
    pub categories_after: usize,
    /// Ids left out: unknown, or not embedded yet.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
}

impl Tool for Diversify {
    const NAME: &'static str = "diversify";
    const DESCRIPTION: &'static str = "Re-rank products (product_ids, or a query's \
        results) for variety: fewer near-duplicates, categories spread, relevance kept as \
        lambda says.";
    const TITLE: &'static str = "Diversify a list";
    const EFFECTS: Effects = Effects::READ_ONLY;
    const TOOLSET: Toolset = Toolset::Agent;
    type Input = Input;
    type Output = Output;

    async fn call(app: &App, input: Input) -> Result<Output> {
        let (ids, relevance) = source(app, &input).await?;
        let found = recommendations::with_vectors(&app.read, &app.model, &ids).await?;
        let mut by_id: HashMap<String, WithVector> = found
            .into_iter()
            .map(|w| (w.product.id.clone(), w))
            .collect();
        let mut items = Vec::new();
        let mut skipped = Vec::new();
        for (id, rel) in ids.iter().zip(relevance) {
            match by_id.remove(id) {
                Some(w) => items.push((w, rel)),
                None => skipped.push(id.clone()),
            }
        }
        let limit = input.limit as usize;
        let candidates: Vec<Candidate<'_>> = items
            .iter()
            .map(|(w, rel)| Candidate {
                relevance: *rel,
                vector: &w.vector,
                category: &w.product.category,
            })
            .collect();
        let order = diversity::mmr(
            &candidates,
            input.lambda,
            limit,
            input.max_per_category.map(|c| c as usize),
        );
        let measure = |idx: &[usize]| {
            let vectors: Vec<&[f32]> = idx.iter().map(|&i| items[i].0.vector.as_slice()).collect();
            let cats = idx.iter().map(|&i| items[i].0.product.category.as_str());
            (
                diversity::intra_list_diversity(&vectors),
                diversity::category_coverage(cats),
            )
        };
        let before: Vec<usize> = (0..items.len().min(limit)).collect();
        let (diversity_before, categories_before) = measure(&before);
        let (diversity_after, categories_after) = measure(&order);
        let results = order
            .iter()
            .map(|&i| Hit {
                product: items[i].0.product.clone().into(),
                score: items[i].1,
                keyword_rank: None,
                semantic_rank: None,
                personal_similarity: None,
            })
            .collect();
        Ok(Output {
            results,
            diversity_before,
            diversity_after,
            categories_before,
            categories_after,
            skipped,
        })
    }
}

/// The ids to re-rank and their relevance.
async fn source(app: &App, input: &Input) -> Result<(Vec<String>, Vec<f64>)> {
    match (&input.query, input.product_ids.is_empty()) {
        (Some(query), true) => {
            let search: search_products::Input = serde_json::from_value(serde_json::json!({
                "query": query, "limit": 50, "filters": input.filters,
            }))
            .map_err(|e| Error::invalid("query", e.to_string()))?;
            let found = SearchProducts::call(app, search).await?;
            Ok(found
                .results
                .into_iter()
                .map(|h| (h.product.id, h.score))
                .unzip())
        }
        (None, false) => {
            let ids = &input.product_ids;
            let mut seen = std::collections::HashSet::new();
            if let Some(dup) = ids.iter().find(|id| !seen.insert(id.as_str())) {
                return Err(Error::invalid(
                    "product_ids",
                    format!("lists {dup:?} twice"),
                ));
            }
            let relevance = match &input.scores {
                Some(s) if s.len() != ids.len() => {
                    return Err(Error::invalid(
                        "scores",
                        format!("has {} values for {} product_ids", s.len(), ids.len()),
                    ));
                }
                Some(s) if s.iter().any(|v| !v.is_finite()) => {
                    return Err(Error::invalid("scores", "must all be finite numbers"));
                }
                Some(s) => s.clone(),
                None => {
                    let n = ids.len() as f64;
                    (0..ids.len()).map(|i| 1.0 - i as f64 / n).collect()
                }
            };
            Ok((ids.clone(), relevance))
        }
        _ => Err(Error::invalid(
            "product_ids",
            "give exactly one of product_ids (the list to re-rank) or query (re-rank a search)",
        )),
    }
}
