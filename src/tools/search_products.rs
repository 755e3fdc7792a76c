//! `search_products`: products matching a natural-language request.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::views::{Filters, Hit, check_limit, default_limit};
use super::{Tool, cursor};
use crate::app::App;
use crate::search::products::{self as product_search, Mode};
use crate::store::queries::{self, SearchLog};
use crate::{Error, Result};

/// Longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 1_000;

/// The `search_products` tool.
pub struct SearchProducts;

/// What to look for.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The request in natural language, e.g. "something for my dad who loves fishing"
    /// (1 to 1,000 characters). Put hard constraints such as price into `filters`.
    pub query: String,
    /// How to match: `hybrid` (default; words and meaning fused), `semantic` (meaning only) or
    /// `keyword` (words only; supports "quoted phrases", or, -exclusion).
    #[serde(default)]
    pub mode: Mode,
    /// How many results, 1 to 100. Default 10.
    #[serde(default = "default_limit")]
    pub limit: u32,
    /// Which products may appear (category, price range, stock, exclusions).
    #[serde(default)]
    pub filters: Filters,
    /// To get the next page: `next_cursor` from the previous result, with every other argument
    /// unchanged. Pages reach the first 1,000 results.
    pub cursor: Option<String>,
}

/// Best matches first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Output {
    /// The products, best match first, each with its `score` and the rank it had in each
    /// source.
    pub results: Vec<Hit>,
    /// The mode that produced them (`keyword` when a semantic or hybrid search fell back).
    pub mode: Mode,
    /// True when the requested mode could not be served and keyword results were returned.
    pub degraded: bool,
    /// Why, when `degraded`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub degraded_reason: Option<String>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Records the search for analytics in the background: it never slows or fails the call.
fn log(
    app: &App,
    input: &Input,
    outcome: &product_search::SearchOutcome,
    page: std::ops::Range<usize>,
    latency: std::time::Duration,
) {
    let entry = SearchLog {
        query: input.query.clone(),
        model: outcome.embedding.as_ref().map(|_| app.model.name.clone()),
        embedding: outcome.embedding.clone(),
        mode: product_search::label(outcome.mode),
        filters: serde_json::to_value(&input.filters).unwrap_or_default(),
        result_ids: outcome
            .hits
            .iter()
            .skip(page.start)
            .take(page.len())
            .map(|h| h.product.id.clone())
            .collect(),
        latency_ms: latency.as_secs_f64() * 1000.0,
    };
    let db = app.db.clone();
    tokio::spawn(async move {
        if let Err(err) = queries::log(&db, &entry).await {
            tracing::warn!(error = %err, "could not log a search");
        }
    });
}

impl Tool for SearchProducts {
    const NAME: &'static str = "search_products";
    const DESCRIPTION: &'static str = "Search the product catalog with a natural-language \
        request (\"cozy gift for a bookworm under 40\"), best matches first, each with a \
        relevance score. Put hard constraints in filters: category, min_price/max_price (in \
        the catalog currency), in_stock, exclude_ids. Mode hybrid (default) matches both words \
        and meaning; if meaning search is unavailable the results are keyword matches and \
        degraded is true. Use it to find gift candidates; then similar_products for \
        alternatives and get_product for details. Limit 1-100, default 10.";
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
        let print = cursor::fingerprint(&[
            Self::NAME,
            &input.query,
            product_search::label(input.mode),
            &serde_json::to_string(&input.filters).unwrap_or_default(),
            &limit.to_string(),
        ]);
        let offset = cursor::offset(input.cursor.as_deref(), &print, limit)?;
        let depth = (offset + limit + 1).min(cursor::MAX_DEPTH);
        let started = std::time::Instant::now();
        let outcome =
            product_search::search(app, &input.query, input.mode, depth, &filters).await?;
        log(
            app,
            &input,
            &outcome,
            offset as usize..(offset + limit) as usize,
            started.elapsed(),
        );
        let more = outcome.hits.len() as u32 > offset + limit;
        Ok(Output {
            results: outcome
                .hits
                .into_iter()
                .skip(offset as usize)
                .take(limit as usize)
                .map(|h| Hit {
                    product: h.product.into(),
                    score: h.score,
                    keyword_rank: h.keyword_rank,
                    semantic_rank: h.semantic_rank,
                })
                .collect(),
            mode: outcome.mode,
            degraded: outcome.degraded.is_some(),
            degraded_reason: outcome.degraded,
            next_cursor: cursor::next(offset + limit, &print, more),
        })
    }
}
