//! Keyword search over the generated `search_tsv` column: the request's lexemes OR-ed
//! (`giftvec_keyword_query`: a sentence AND-ed almost never matches a product; web-search
//! syntax — quotes, "or", -exclusion — is honoured when used), ranked by `ts_rank`, with the
//! same filters as vector search, all bound parameters. Products matching one of the
//! request's informative lexemes (`giftvec_keyword_gate`: not among the `common` ones) come
//! first, and the others are ranked only when those are too few, so a word in a tenth of the
//! catalog does not make a tenth of the catalog a candidate to rank on every request.

use super::DbRef;
use serde::Serialize;

use super::ProductFilters;
use super::products::{Product, product_columns, product_filters};
use crate::Result;

/// One keyword hit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeywordHit {
    /// The product.
    pub product: Product,
    /// The keyword score (BM25, or `ts_rank` under that scorer; higher is better).
    pub rank: f64,
    /// Share of the request's weight (its lexemes' idf) this product matched, 0 to 1 (1 under
    /// `ts_rank`, which does not measure it).
    pub coverage: f64,
}

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    product: Product,
    rank: f64,
}

// Two tiers: products matching an informative word (the gate) ranked by the whole query;
// then, only when fewer than k did, the products matching common words alone (the second
// scan is skipped by a one-time filter otherwise), so a request whose informative words are
// rare or absent from the catalog still gets k results.
const SEARCH: &str = concat!(
    "WITH q AS (SELECT giftvec_keyword_query($1) AS q, giftvec_keyword_gate($1, $9) AS g),
     informative AS (
        SELECT p.id, ts_rank(p.search_tsv, q.q)::float8 AS rank, 0 AS tier
        FROM products p, q WHERE p.search_tsv @@ q.g AND p.search_tsv @@ q.q",
    product_filters!("$10"),
    "ORDER BY rank DESC, p.id LIMIT $8),
     common_only AS (
        SELECT p.id, ts_rank(p.search_tsv, q.q)::float8 AS rank, 1 AS tier
        FROM products p, q WHERE p.search_tsv @@ q.q AND NOT p.search_tsv @@ q.g",
    product_filters!("$10"),
    " AND (SELECT count(*) FROM informative) < $8
        ORDER BY rank DESC, p.id LIMIT $8)
     SELECT ",
    product_columns!(),
    ", t.rank FROM (SELECT * FROM informative UNION ALL SELECT * FROM common_only) t
     JOIN products p ON p.id = t.id
     ORDER BY t.tier, t.rank DESC, p.id LIMIT $8"
);

/// The `k` best keyword matches for `query` among the products passing `filters`: first those
/// matching a lexeme not in `common`, then, when they are fewer than `k`, those matching
/// common lexemes only.
#[tracing::instrument(skip(pool, filters, common))]
pub async fn search(
    pool: impl Into<DbRef<'_>>,
    query: &str,
    filters: &ProductFilters,
    k: i64,
    common: &[String],
) -> Result<Vec<KeywordHit>> {
    let pool: DbRef<'_> = pool.into();
    let rows: Vec<Row> = sqlx::query_as(SEARCH)
        .bind(query)
        .bind(&filters.category)
        .bind(&filters.exclude_category)
        .bind(filters.min_price)
        .bind(filters.max_price)
        .bind(filters.in_stock)
        .bind(&filters.exclude_ids)
        .bind(k)
        .bind(common)
        .bind(filters.excluded_terms())
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| KeywordHit {
            product: r.product,
            rank: r.rank,
            coverage: 1.0,
        })
        .collect())
}

/// Lexemes of the products' search text found in more than `share` of products (0 to 1), from
/// the planner's statistics (empty until `products` has been analysed).
#[tracing::instrument(skip(pool))]
pub async fn common_lexemes(pool: impl Into<DbRef<'_>>, share: f64) -> Result<Vec<String>> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_scalar("SELECT giftvec_common_lexemes($1)")
        .bind(share)
        .fetch_one(pool)
        .await?)
}
