//! Filtered top-k vector search over product embeddings.
//!
//! Filters run *inside* the index scan with pgvector 0.8 iterative scans
//! (`hnsw.iterative_scan = relaxed_order`), so a selective filter still yields `k` results
//! when that many match instead of the few that survived a post-filter; the outer query
//! restores exact distance order. The statement text carries the model's dimension and name
//! as literals (so its partial HNSW index applies); every filter is a bound parameter.

use super::DbRef;
use serde::Serialize;
use sqlx::Arguments;
use sqlx::postgres::PgArguments;

use super::products::{Product, product_columns, product_filters};
use super::{Distance, Embedding, EmbeddingModel, sql_literal};
use crate::{Error, Result};

/// Largest `k` a single search may ask for.
pub const MAX_K: u32 = 1000;

/// Product filters shared by every search.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProductFilters {
    /// Only this category.
    pub category: Option<String>,
    /// Never this category (cross-category recommendations).
    pub exclude_category: Option<String>,
    /// Lowest price, inclusive.
    pub min_price: Option<f64>,
    /// Highest price, inclusive.
    pub max_price: Option<f64>,
    /// Only products whose `in_stock` equals this.
    pub in_stock: Option<bool>,
    /// Never these product ids.
    pub exclude_ids: Vec<String>,
    /// Never products with one of these terms in their title, category or tags.
    pub exclude_terms: Vec<String>,
}

impl ProductFilters {
    /// [`ProductFilters::exclude_terms`] as bound (see [`excluded_terms`]).
    pub fn excluded_terms(&self) -> Vec<String> {
        excluded_terms(&self.exclude_terms)
    }
}

/// Spellings a catalog may use for a term a shopper rules out ("no jewellery" must also rule
/// out "jewelry").
const VARIANTS: &[(&str, &str)] = &[
    ("jewellery", "jewelry"),
    ("jewelery", "jewelry"),
    ("colour", "color"),
    ("grey", "gray"),
    ("whisky", "whiskey"),
    ("aluminium", "aluminum"),
    ("pyjamas", "pajamas"),
    ("moisturiser", "moisturizer"),
];

/// Excluded terms as bound (a `text[]`): each term's letters and digits only, with its other
/// spellings. The filter (see `product_filters!`) makes each a phrase query that rules out a
/// product naming it in its title, category or tags, unless the product says it is free of it
/// ("alcohol" does not rule out "Alcohol-Free Gin", nor "non-alcoholic"); a term of stop words
/// only rules out nothing. A compound word that ends in the term is not ruled out ("balls"
/// leaves "Football"): without a dictionary the same rule would rule "Notebook" out for
/// "books" and "Saxophone" for "phones", and an exclusion is a hard filter the agent cannot
/// see through.
pub fn excluded_terms(terms: &[String]) -> Vec<String> {
    let mut spellings: Vec<String> = Vec::new();
    for term in terms {
        let clean = term
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect::<String>()
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if clean.is_empty() {
            continue;
        }
        for (a, b) in VARIANTS {
            for (from, to) in [(a, b), (b, a)] {
                if clean.contains(from) {
                    spellings.push(clean.replace(from, to));
                }
            }
        }
        spellings.push(clean);
    }
    spellings
}

/// How to search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimilarityOptions {
    /// Distance to rank by; `None` uses the model's (the only one its index serves — others
    /// are answered by an exact scan).
    pub metric: Option<Distance>,
    /// How many results (1..=[`MAX_K`]).
    pub k: u32,
    /// Drop results whose similarity is below this.
    pub min_similarity: Option<f64>,
    /// Which products may appear.
    pub filters: ProductFilters,
    /// HNSW candidate list size for this query (recall vs speed); default 100.
    pub ef_search: u32,
}

impl Default for SimilarityOptions {
    fn default() -> Self {
        Self {
            metric: None,
            k: 10,
            min_similarity: None,
            filters: ProductFilters::default(),
            ef_search: 100,
        }
    }
}

/// One search hit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VectorSearchResult {
    /// The product.
    pub product: Product,
    /// Raw pgvector distance under the metric used (lower is closer).
    pub distance: f64,
    /// "Higher is better" form of `distance` (cosine similarity for cosine).
    pub similarity: f64,
}

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    product: Product,
    distance: f64,
}

fn nearest_sql(model: &EmbeddingModel, metric: Distance) -> String {
    let d = model.dimensions;
    let op = metric.operator();
    let name = sql_literal(&model.name);
    let columns = product_columns!();
    let filters = product_filters!("$9");
    format!(
        "WITH nearest AS MATERIALIZED (
            SELECT e.product_id, (e.embedding::vector({d}) {op} $1::vector({d}))::float8 AS distance
            FROM product_embeddings e JOIN products p ON p.id = e.product_id
            WHERE e.model = {name} {filters}
            ORDER BY e.embedding::vector({d}) {op} $1::vector({d})
            LIMIT $8)
        SELECT {columns}, n.distance
        FROM nearest n JOIN products p ON p.id = n.product_id
        ORDER BY n.distance, p.id"
    )
}

/// The bound parameters of [`nearest_sql`], in order.
fn arguments(query: &Embedding, options: &SimilarityOptions) -> Result<PgArguments> {
    let f = &options.filters;
    let mut args = PgArguments::default();
    let added = (|| {
        args.add(query.to_pgvector())?;
        args.add(f.category.clone())?;
        args.add(f.exclude_category.clone())?;
        args.add(f.min_price)?;
        args.add(f.max_price)?;
        args.add(f.in_stock)?;
        args.add(f.exclude_ids.clone())?;
        args.add(i64::from(options.k))?;
        args.add(f.excluded_terms())
    })();
    added.map_err(Error::Internal)?;
    Ok(args)
}

fn check(model: &EmbeddingModel, query: &Embedding, options: &SimilarityOptions) -> Result<()> {
    if query.dimensions() != model.dimensions as usize {
        return Err(Error::invalid(
            "vector",
            format!(
                "the query vector has {} dimensions; model {:?} has {}",
                query.dimensions(),
                model.name,
                model.dimensions
            ),
        ));
    }
    if options.k == 0 || options.k > MAX_K {
        return Err(Error::invalid(
            "k",
            format!("must be between 1 and {MAX_K}, got {}", options.k),
        ));
    }
    Ok(())
}

/// The plan PostgreSQL chooses for [`nearest`] with these arguments (`EXPLAIN` text), to check
/// that the model's HNSW index serves it.
#[tracing::instrument(skip(pool, query), fields(model = %model.name))]
pub async fn explain(
    pool: impl Into<DbRef<'_>>,
    model: &EmbeddingModel,
    query: &Embedding,
    options: &SimilarityOptions,
) -> Result<String> {
    let pool: DbRef<'_> = pool.into();
    check(model, query, options)?;
    let sql = format!(
        "EXPLAIN {}",
        nearest_sql(model, options.metric.unwrap_or(model.distance))
    );
    let lines: Vec<String> =
        sqlx::query_scalar_with(sqlx::AssertSqlSafe(sql), arguments(query, options)?)
            .fetch_all(pool)
            .await?;
    Ok(lines.join("\n"))
}

/// The `options.k` products nearest to `query` among those passing the filters, nearest
/// first (ties by id).
#[tracing::instrument(skip(pool, query), fields(model = %model.name, k = options.k))]
pub async fn nearest(
    pool: impl Into<DbRef<'_>>,
    model: &EmbeddingModel,
    query: &Embedding,
    options: &SimilarityOptions,
) -> Result<Vec<VectorSearchResult>> {
    let pool: DbRef<'_> = pool.into();
    check(model, query, options)?;
    let metric = options.metric.unwrap_or(model.distance);
    let sql = nearest_sql(model, metric);
    // Dynamic only in the model's dimension and name, which come from the registry.
    let query = sqlx::query_as_with(sqlx::AssertSqlSafe(sql), arguments(query, options)?);
    let rows: Vec<Row> = super::hnsw::fetch_all(pool, options.ef_search, query).await?;
    Ok(rows
        .into_iter()
        .map(|row| VectorSearchResult {
            similarity: metric.similarity(row.distance),
            distance: row.distance,
            product: row.product,
        })
        .filter(|hit| {
            options
                .min_similarity
                .is_none_or(|min| hit.similarity >= min)
        })
        .collect())
}
