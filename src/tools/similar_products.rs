//! `similar_products`: products nearest to a product or to a description.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::views::{Detail, Filters, Hit, MAX_ID_CHARS, MAX_LIMIT, default_limit};
use super::{Effects, Tool, Toolset, cursor};
use crate::app::App;
use crate::store::{self, Distance, Embedding, SimilarityOptions};
use crate::{Error, Result};

/// Longest `text`, in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;

/// The `similar_products` tool.
pub struct SimilarProducts;

/// What to find neighbours of, and which products may be returned.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Products like this one (never itself). Give product_id or text.
    #[schemars(length(min = 1, max = MAX_ID_CHARS))]
    pub product_id: Option<String>,
    /// Products matching this description instead.
    #[schemars(length(min = 1, max = MAX_TEXT_CHARS))]
    pub text: Option<String>,
    /// How many results.
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = MAX_LIMIT))]
    pub limit: u32,
    /// Leave out results less similar than this (0.5: close matches only).
    #[schemars(range(min = -1, max = 1))]
    pub min_similarity: Option<f64>,
    /// Hard limits every result meets.
    #[serde(default)]
    pub filters: Filters,
    /// With product_id: only prices within this many percent of its price.
    #[schemars(range(min = 0, max = 1000))]
    pub price_tolerance_pct: Option<f64>,
    /// With product_id: any (default), same (its category only) or other (never its category).
    #[serde(default)]
    pub category_scope: CategoryScope,
    /// cosine (default), l2 or inner_product.
    #[serde(default)]
    #[schemars(extend("x-advanced" = true))]
    pub metric: Metric,
    /// next_cursor of the previous page (other arguments unchanged).
    pub cursor: Option<String>,
    /// brief: id, title, price, currency, category, score, reason; full: every field.
    #[serde(default)]
    pub detail: Detail,
}

/// Categories relative to the source product.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CategoryScope {
    /// Any category.
    #[default]
    Any,
    /// Only the source product's category.
    Same,
    /// Never the source product's category.
    Other,
}

/// Closeness measure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Cosine similarity (the index's measure).
    #[default]
    Cosine,
    /// Euclidean distance.
    L2,
    /// Inner product.
    InnerProduct,
}

impl From<Metric> for Distance {
    fn from(metric: Metric) -> Self {
        match metric {
            Metric::Cosine => Distance::Cosine,
            Metric::L2 => Distance::L2,
            Metric::InnerProduct => Distance::InnerProduct,
        }
    }
}

/// Nearest products first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Output {
    /// The products, most similar first; `score` is the similarity under `metric` (cosine by
    /// default, -1 to 1).
    pub results: Vec<Hit>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl Tool for SimilarProducts {
    const NAME: &'static str = "similar_products";
    const DESCRIPTION: &'static str = "Products like a product (product_id) or a \
        description (text), most similar first: \"more like this\" and alternatives.";
    const TITLE: &'static str = "Similar products";
    const EFFECTS: Effects = Effects::READ_ONLY;
    const TOOLSET: Toolset = Toolset::Agent;
    type Input = Input;
    type Output = Output;

    async fn call(app: &App, input: Input) -> Result<Output> {
        let key = app.results.key(Self::NAME, &app.model.name, &input);
        if let Some(key) = &key
            && let Some(hit) = app.results.get::<Output>(key).await
        {
            return Ok(hit);
        }
        let output = similar(app, input).await?;
        if let Some(key) = key {
            app.results.put(key, output.clone()).await;
        }
        Ok(output)
    }
}

/// The search itself (the tool call wraps it in the result cache).
async fn similar(app: &App, input: Input) -> Result<Output> {
    let limit = input.limit;
    let mut filters = super::views::resolve_filters(app, &input.filters, "filters.").await?;
    let query = match (&input.product_id, &input.text) {
        (Some(id), None) => {
            let (query, price, category) = source_product(app, id).await?;
            filters.exclude_ids.push(id.trim().to_string());
            scope(&mut filters, input.category_scope, category)?;
            if let Some(pct) = input.price_tolerance_pct {
                tolerate(&mut filters, price, pct);
            }
            query
        }
        (None, Some(text)) => {
            if input.category_scope != CategoryScope::Any {
                return Err(Error::invalid(
                    "category_scope",
                    "needs product_id (the category it is relative to); with text use filters.category or filters.exclude_category",
                ));
            }
            if input.price_tolerance_pct.is_some() {
                return Err(Error::invalid(
                    "price_tolerance_pct",
                    "needs product_id (the price it is relative to); with text use filters.min_price and filters.max_price",
                ));
            }
            embed_text(app, text).await?
        }
        _ => {
            return Err(Error::invalid(
                "product_id",
                "give exactly one of product_id (similar to that product) or text (matching a description)",
            ));
        }
    };
    let print = cursor::request_fingerprint(SimilarProducts::NAME, &input);
    let offset = cursor::offset(input.cursor.as_deref(), &print, limit)?;
    let options = SimilarityOptions {
        k: (offset + limit + 1).min(cursor::MAX_DEPTH),
        min_similarity: input.min_similarity,
        filters,
        metric: Some(input.metric.into()),
        ef_search: app.search.ef_search,
    };
    let hits = store::similarity::nearest(&app.read, &app.model, &query, &options).await?;
    let more = hits.len() as u32 > offset + limit;
    let page = hits
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    Ok(Output {
        results: Hit::from_vector(page),
        next_cursor: cursor::next(offset + limit, &print, more),
    })
}

/// Applies the category scope of the source product's `category`.
fn scope(
    filters: &mut store::ProductFilters,
    scope: CategoryScope,
    category: String,
) -> Result<()> {
    match scope {
        CategoryScope::Any => {}
        CategoryScope::Same => match &filters.category {
            Some(other) if *other != category => {
                return Err(Error::invalid(
                    "category_scope",
                    format!(
                        "is same, but filters.category asks for {other:?} and the product is in {category:?}"
                    ),
                ));
            }
            _ => filters.category = Some(category),
        },
        CategoryScope::Other => filters.exclude_category = Some(category),
    }
    Ok(())
}

/// The stored vector, price and category of the source product.
async fn source_product(app: &App, id: &str) -> Result<(Embedding, f64, String)> {
    let id = id.trim();
    if id.is_empty() {
        return Err(Error::invalid(
            "product_id",
            "must be a product id, not blank",
        ));
    }
    let (price, category, vector) = store::embeddings::with_product(&app.read, &app.model, id)
        .await?
        .ok_or_else(|| Error::not_found("product", id))?;
    let vector = vector.ok_or_else(|| {
        Error::NotFound(format!(
            "product {id:?} has no embedding for model {} yet (new products are embedded within \
             moments); retry shortly, or call similar_products with a text description",
            app.model.name
        ))
    })?;
    Ok((vector, price, category))
}

async fn embed_text(app: &App, text: &str) -> Result<Embedding> {
    if text.trim().is_empty() {
        return Err(Error::invalid("text", "must be a description, not blank"));
    }
    let out = app.embedder.embed(&[text.to_string()]).await?;
    Ok(out
        .items
        .into_iter()
        .next()
        .map(|i| i.embedding)
        .expect("one text in, one out"))
}

/// Narrows the price range to `price` ± `pct` percent.
fn tolerate(filters: &mut store::ProductFilters, price: f64, pct: f64) {
    let low = price * (1.0 - pct / 100.0);
    let high = price * (1.0 + pct / 100.0);
    filters.min_price = Some(filters.min_price.map_or(low, |m| m.max(low)).max(0.0));
    filters.max_price = Some(filters.max_price.map_or(high, |m| m.min(high)));
}
