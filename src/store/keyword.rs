//! Keyword search over the generated `search_tsv` column: the request's lexemes OR-ed
//! (`giftvec_keyword_query`: a sentence AND-ed almost never matches a product; web-search
//! syntax — quotes, "or", -exclusion — is honoured when used), ranked by `ts_rank`, with the
//! same filters as vector search, all bound parameters.

use serde::Serialize;
use sqlx::PgPool;

use super::ProductFilters;
use super::products::{Product, product_columns, product_filters};
use crate::Result;

/// One keyword hit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeywordHit {
    /// The product.
    pub product: Product,
    /// `ts_rank` of the product for the query (higher is better).
    pub rank: f64,
}

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    product: Product,
    rank: f64,
}

const SEARCH: &str = concat!(
    "SELECT ",
    product_columns!(),
    ", ts_rank(p.search_tsv, q.q)::float8 AS rank
     FROM products p, giftvec_keyword_query($1) AS q(q)
     WHERE p.search_tsv @@ q.q",
    product_filters!(),
    "ORDER BY rank DESC, p.id LIMIT $8"
);

/// The `k` best keyword matches for `query` among the products passing `filters`.
#[tracing::instrument(skip(pool, filters))]
pub async fn search(
    pool: &PgPool,
    query: &str,
    filters: &ProductFilters,
    k: i64,
) -> Result<Vec<KeywordHit>> {
    let rows: Vec<Row> = sqlx::query_as(SEARCH)
        .bind(query)
        .bind(&filters.category)
        .bind(&filters.exclude_category)
        .bind(filters.min_price)
        .bind(filters.max_price)
        .bind(filters.in_stock)
        .bind(&filters.exclude_ids)
        .bind(k)
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| KeywordHit {
            product: r.product,
            rank: r.rank,
        })
        .collect())
}
