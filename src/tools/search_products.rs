//! `search_products`: products matching a natural-language request.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use super::fusion_input::{FieldWeights, FusionInput, LengthNorm};
use super::views::{Detail, Filters, Hit, MAX_ID_CHARS, MAX_LIMIT, default_limit, resolve_filters};
use super::{Effects, Tool, Toolset, cursor};
use crate::app::App;
use crate::observe::names;
use crate::search::expansion::Expansion;
use crate::search::interpret::{self, Interpretation};
use crate::search::products::{self as product_search, Mode, SearchRequest};
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
    /// The request in plain words, e.g. "gift for my dad who loves fishing".
    #[schemars(length(min = 1, max = MAX_QUERY_CHARS))]
    pub query: String,
    /// hybrid (words and meaning), semantic (meaning only) or keyword (words only: "quoted
    /// phrases", or, -word).
    #[serde(default)]
    pub mode: Mode,
    /// How many results.
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = MAX_LIMIT))]
    pub limit: u32,
    /// Hard limits every result meets.
    #[serde(default)]
    pub filters: Filters,
    /// next_cursor of the previous page (other arguments unchanged).
    pub cursor: Option<String>,
    /// Also search with similar past requests (semantic and hybrid modes).
    #[schemars(extend("x-advanced" = true))]
    pub expand: Option<bool>,
    /// The shopper: results lean toward their taste.
    #[schemars(length(min = 1, max = MAX_ID_CHARS))]
    pub user_id: Option<String>,
    /// How much user_id's taste counts (default 0.3); lower it when shopping for someone else.
    #[schemars(range(min = 0, max = 1))]
    #[schemars(extend("x-advanced" = true))]
    pub personal_weight: Option<f64>,
    /// Hybrid ranking overrides, for tuning only.
    #[schemars(extend("x-advanced" = true))]
    pub fusion: Option<FusionInput>,
    /// brief: id, title, price, currency, category, score, reason; full: every field.
    #[serde(default)]
    pub detail: Detail,
    /// Read prices ("under $50"), "in stock" and "not X" in the query as filters (default
    /// true; filters win). false: search it as written.
    pub interpret: Option<bool>,
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
    /// The expansions the search used (with `expand`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expansions: Vec<Expansion>,
    /// True when the results were re-ranked for `user_id`'s taste.
    #[serde(default)]
    pub personalised: bool,
    /// What was read from the query and applied as filters, and the text searched for
    /// (absent when nothing was read). Wrong? Rephrase, set filters, or pass interpret false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpreted: Option<Interpretation>,
}

/// Records the search for analytics in the background: it never slows or fails the call.
fn log(app: &App, input: &Input, entry: &LogEntry, latency: std::time::Duration) {
    let entry = SearchLog {
        query: input.query.clone(),
        model: entry.embedding.as_ref().map(|_| app.model.name.clone()),
        embedding: entry.embedding.clone(),
        mode: entry.mode.as_str(),
        filters: serde_json::to_value(&input.filters).unwrap_or_default(),
        result_ids: entry.result_ids.clone(),
        latency_ms: latency.as_secs_f64() * 1000.0,
        user_id: input.user_id.as_deref().map(str::trim).map(String::from),
    };
    let db = app.heavy.clone();
    tokio::spawn(async move {
        if let Err(err) = queries::log(&db, &entry).await {
            tracing::warn!(error = %err, "could not log a search");
        }
    });
}

impl Tool for SearchProducts {
    const NAME: &'static str = "search_products";
    const DESCRIPTION: &'static str = "Products for a request in plain words \
        (\"cozy gift for a bookworm\"), best first. Price, category and stock limits go in \
        filters, or in the text (\"under $50\", \"not a mug\").";
    const TITLE: &'static str = "Search products";
    const EFFECTS: Effects = Effects::READ_ONLY;
    const TOOLSET: Toolset = Toolset::Agent;
    type Input = Input;
    type Output = Output;

    async fn call(app: &App, input: Input) -> Result<Output> {
        let started = std::time::Instant::now();
        // Expanded and personal results depend on more than the catalog: not cached.
        let cacheable = input.user_id.is_none() && !expands(app, &input);
        let key = cacheable
            .then(|| app.results.key(Self::NAME, &app.model.name, &input))
            .flatten();
        if let Some(key) = &key
            && let Some(hit) = app.results.get::<Cached>(key).await
        {
            log(app, &input, &hit.log, started.elapsed());
            return Ok(hit.output);
        }
        let (output, entry) = search(app, &input).await?;
        log(app, &input, &entry, started.elapsed());
        // A fallback answer must not outlive the embedder's outage.
        if let Some(key) = key.filter(|_| !output.degraded) {
            app.results
                .put(
                    key,
                    Cached {
                        output: output.clone(),
                        log: entry,
                    },
                )
                .await;
        }
        Ok(output)
    }
}

/// Whether this call expands its query (its own choice, else the server's default).
fn expands(app: &App, input: &Input) -> bool {
    input.expand.unwrap_or(app.search.expand_by_default)
}

/// A cached answer with what its log line needs.
#[derive(Clone)]
struct Cached {
    output: Output,
    log: LogEntry,
}

/// What a search log line records besides the input.
#[derive(Clone)]
struct LogEntry {
    mode: Mode,
    embedding: Option<crate::store::Embedding>,
    result_ids: Vec<String>,
}

/// The search itself (the tool call wraps it in the result cache).
async fn search(app: &App, input: &Input) -> Result<(Output, LogEntry)> {
    let limit = input.limit;
    if input.query.trim().is_empty() {
        return Err(Error::invalid("query", "must be text, not blank"));
    }
    if input.user_id.as_ref().is_some_and(|u| u.trim().is_empty()) {
        return Err(Error::invalid("user_id", "must be a user id, not blank"));
    }
    let personal_weight = input.personal_weight.unwrap_or(app.search.personal_weight);
    let fusion = input
        .fusion
        .clone()
        .unwrap_or_default()
        .resolve(app.search.fusion);
    let mut filters = resolve_filters(app, &input.filters, "filters.").await?;
    let mut interpreted = input
        .interpret
        .unwrap_or(true)
        .then(|| interpret::interpret(&input.query));
    if let Some(i) = &mut interpreted {
        i.apply_to(
            &mut filters.min_price,
            &mut filters.max_price,
            &mut filters.in_stock,
            &mut filters.exclude_terms,
        );
    }
    let (query, keywords) = match &interpreted {
        Some(i) => (i.searched_for.clone(), i.keywords()),
        None => (input.query.clone(), input.query.clone()),
    };
    let print = cursor::request_fingerprint(SearchProducts::NAME, &input);
    let offset = cursor::offset(input.cursor.as_deref(), &print, limit)?;
    let request = SearchRequest {
        query: &query,
        keywords: &keywords,
        mode: input.mode,
        depth: (offset + limit + 1).min(cursor::MAX_DEPTH),
        filters: &filters,
        fusion,
        expand: expands(app, input),
        user_id: input.user_id.as_deref(),
        personal_weight,
    };
    let outcome = product_search::search(app, &request).await?;
    let more = outcome.hits.len() as u32 > offset + limit;
    let results: Vec<Hit> = outcome
        .hits
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|h| Hit {
            product: h.product.into(),
            score: h.score,
            keyword_rank: h.keyword_rank,
            semantic_rank: h.semantic_rank,
            personal_similarity: h.personal_similarity,
        })
        .collect();
    let entry = LogEntry {
        mode: outcome.mode,
        embedding: outcome.embedding,
        result_ids: results.iter().map(|h| h.product.id.clone()).collect(),
    };
    if outcome.degraded.is_some() {
        metrics::counter!(names::SEARCH_DEGRADED).increment(1);
    }
    if results.is_empty() && offset == 0 {
        metrics::counter!(names::SEARCH_ZERO_RESULTS, "mode" => outcome.mode.as_str()).increment(1);
    }
    let output = Output {
        results,
        mode: outcome.mode,
        degraded: outcome.degraded.is_some(),
        degraded_reason: outcome.degraded,
        next_cursor: cursor::next(offset + limit, &print, more),
        expansions: outcome.expansions,
        personalised: outcome.personalised,
        interpreted: interpreted.filter(|i| !i.is_empty()),
    };
    Ok((output, entry))
}
