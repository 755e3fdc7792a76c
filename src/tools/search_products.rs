//! `search_products`: products matching a natural-language request.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Tool;
use super::views::{Filters, Hit, check_limit, default_limit};
use crate::app::App;
use crate::store::{self, SimilarityOptions};
use crate::{Error, Result};

/// Longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 1_000;

/// The `search_products` tool.
pub struct SearchProducts;

/// How to match.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// By meaning: the query and the products are compared as embeddings, so "gift for a
    /// coffee lover" finds espresso machines without the words matching.
    #[default]
    Semantic,
}

/// What to look for.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The request in natural language, e.g. "something for my dad who loves fishing"
    /// (1 to 1,000 characters). Put hard constraints such as price into `filters`.
    pub query: String,
    /// How to match; `semantic` (by meaning) is the default.
    #[serde(default)]
    pub mode: Mode,
    /// How many results, 1 to 100. Default 10.
    #[serde(default = "default_limit")]
    pub limit: u32,
    /// Which products may appear (category, price range, stock, exclusions).
    #[serde(default)]
    pub filters: Filters,
}

/// Best matches first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Output {
    /// The products, best match first; `score` is the cosine similarity to the query.
    pub results: Vec<Hit>,
    /// The mode that produced them.
    pub mode: Mode,
}

impl Tool for SearchProducts {
    const NAME: &'static str = "search_products";
    const DESCRIPTION: &'static str = "Search the product catalog with a natural-language \
        request (\"cozy gift for a bookworm under 40\"), best matches first, each with a \
        relevance score. Put hard constraints in filters: category, min_price/max_price (in \
        the catalog currency), in_stock, exclude_ids. Use it to find gift candidates; then \
        similar_products for alternatives and get_product for details. Limit 1-100, default \
        10.";
    const READ_ONLY: bool = true;
    type Input = Input;
    type Output = Output;

    async fn call(app: &App, input: Input) -> Result<Output> {
        let limit = check_limit(input.limit)?;
        let filters = input.filters.to_store("filters.")?;
        let chars = input.query.chars().count();
        if input.query.trim().is_empty() || chars > MAX_QUERY_CHARS {
            return Err(Error::invalid(
                "query",
                format!("must be 1 to {MAX_QUERY_CHARS} characters of text, got {chars}"),
            ));
        }
        let embedded = app
            .embedder
            .embed(std::slice::from_ref(&input.query))
            .await?;
        let query = embedded
            .items
            .into_iter()
            .next()
            .map(|i| i.embedding)
            .expect("one in, one out");
        let options = SimilarityOptions {
            k: limit,
            filters,
            ..SimilarityOptions::default()
        };
        let hits = store::similarity::nearest(&app.db, &app.model, &query, &options).await?;
        Ok(Output {
            results: Hit::from_vector(hits),
            mode: input.mode,
        })
    }
}
