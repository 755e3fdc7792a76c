//! BM25F keyword search over giftvec's own inverted index (`product_terms`, kept by triggers:
//! migration 17). A product's score for a request is
//! `Σ_t idf(t) · tf̃(t) / (k1 + tf̃(t))`, over the request's distinct lexemes `t`, with
//! `idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5))` from the catalog's own counts and the
//! field-weighted, length-normalised frequency `tf̃ = Σ_f w_f · tf_f / (1 − b_f + b_f · len_f /
//! avg_len_f)` over title, category, tags, description and the embedded attributes.
//!
//! Each hit also says how much of the request it matched: the idf of the lexemes it holds over
//! the idf of all the request's lexemes (`coverage`), so fusion can tell a product matching the
//! request's telling word from one matching its filler. A request's web-search syntax (quotes,
//! "or", -exclusion) filters the candidates as written. As before, lexemes held by more than a
//! set share of products make no product a candidate on their own (the gate: a cost bound on
//! large catalogs); they still count in the score of the leading candidates, and rank alone
//! only when the others are too few.

use super::DbRef;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::QueryAs;
use sqlx::{FromRow, Postgres};

use super::ProductFilters;
use super::keyword::KeywordHit;
use super::products::{Product, product_columns, product_filters};
use crate::Result;

/// The scoring parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bm25Params {
    /// Term-frequency saturation.
    pub k1: f64,
    /// Field weights: title, category, tags, description, attributes.
    pub weights: [f64; 5],
    /// Length normalisation per field (0: none, 1: full), in the same order.
    pub b: [f64; 5],
}

impl Default for Bm25Params {
    /// docs/search.md has the sweep these come from.
    fn default() -> Self {
        Self {
            k1: 1.2,
            weights: [3.0, 2.0, 1.5, 1.0, 1.0],
            b: [0.5, 0.3, 0.5, 0.75, 0.5],
        }
    }
}

/// Which lexemes are too common to make a product a candidate on their own: those in more
/// than `share` of the products and more than `min_docs` products (below that, ranking every
/// match costs little). A share of 0 turns the gate off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gate {
    /// Share of the catalog (0 to 1).
    pub share: f64,
    /// Least number of products.
    pub min_docs: f64,
}

/// Default of [`Gate::min_docs`].
pub const GATE_MIN_DOCS: f64 = 1000.0;

/// Least number of leading candidates (by their informative lexemes) whose common lexemes are
/// counted in their score. Scores are exact whenever no lexeme of the request is past the
/// gate, which on catalogs under 50,000 products (2 % of them: the 1,000 floor) is always.
const LEADING: i64 = 200;

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    product: Product,
    rank: f64,
    coverage: f64,
}

// Each product's BM25 over the postings of the request's lexemes that pass `$where` (on the
// `idf` row `i` and the posting `pt`), and the idf it matched; `$11`..`$13` are the field
// weights, length normalisations and k1, `c` the catalog's statistics.
macro_rules! posting_scores {
    ($where:literal) => {
        concat!(
            "SELECT pt.product_id, sum(i.idf * x.tf / ($13 + x.tf)) AS score,
                    sum(i.idf) AS matched
             FROM idf i JOIN product_terms pt ON pt.lexeme = i.lexeme CROSS JOIN c
             CROSS JOIN LATERAL (SELECT giftvec_bm25_tf(
                pt.tf_title, pt.tf_category, pt.tf_tags, pt.tf_description, pt.tf_attributes,
                pt.len_title, pt.len_category, pt.len_tags, pt.len_description,
                pt.len_attributes, $11, $12, c.avg_len)) AS x(tf)
             WHERE ",
            $where,
            " GROUP BY pt.product_id"
        )
    };
}

// The best `$8` products of the scored set `$scored` (product_id, score, matched) that pass the
// filters, best first: the candidates are walked in score order and each product looked up
// until k have passed, so an unfiltered search reads k products, not every match.
macro_rules! passing {
    ($scored:literal) => {
        concat!(
            "SELECT s.product_id, s.score, s.matched
             FROM (SELECT * FROM ",
            $scored,
            " ORDER BY score DESC, product_id) s CROSS JOIN q
             CROSS JOIN LATERAL (
                SELECT 1 FROM products p
                WHERE p.id = s.product_id
                  AND (NOT q.syntax OR p.search_tsv @@ giftvec_keyword_query(q.text))",
            product_filters!("$10"),
            ") ok
             ORDER BY s.score DESC, s.product_id LIMIT $8"
        )
    };
}

// Tier 0: products holding an informative lexeme, scored by all of the request's lexemes;
// the common ones are looked up only for the leading candidates on the informative ones (at
// least `$15`, and 4k): a common lexeme adds little idf, and probing it for each of thousands
// of candidates cost 15 ms at 100k products. Tier 1, only when tier 0 has fewer than k
// products passing the filters: those holding common lexemes alone.
const SEARCH: &str = concat!(
    "WITH q AS (SELECT $1::text AS text, $1 ~* '\"|(^|\\s)-\\S|\\sor\\s' AS syntax),
     c AS (SELECT * FROM giftvec_bm25_catalog()),
     idf AS (
        SELECT t.lexeme, t.idf, $9 > 0 AND t.df > greatest($9 * c.docs, $14) AS common
        FROM giftvec_bm25_terms($1) t CROSS JOIN c),
     request AS (SELECT coalesce(sum(idf), 0) AS idf FROM idf),
     informative AS (",
    posting_scores!("NOT i.common"),
    "),
     front AS (
        SELECT array_agg(product_id) AS ids
        FROM (SELECT product_id FROM informative
              ORDER BY score DESC, product_id LIMIT greatest($8 * 4, $15)) l),
     informative_common AS (",
    posting_scores!("i.common AND pt.product_id = ANY ((SELECT ids FROM front)::text[])"),
    "),
     scored AS (
        SELECT product_id, sum(score) AS score, sum(matched) AS matched
        FROM (SELECT * FROM informative UNION ALL SELECT * FROM informative_common) s
        GROUP BY product_id),
     first_tier AS (",
    passing!("scored"),
    "),
     common AS (",
    posting_scores!(
        "i.common AND (SELECT count(*) FROM first_tier) < $8
         AND NOT EXISTS (SELECT 1 FROM informative f WHERE f.product_id = pt.product_id)"
    ),
    "),
     common_only AS (",
    passing!("common"),
    ")
     SELECT ",
    product_columns!(),
    ", t.score::float8 AS rank, coalesce(t.matched / nullif(r.idf, 0), 0)::float8 AS coverage
     FROM (SELECT *, 0 AS tier FROM first_tier UNION ALL SELECT *, 1 FROM common_only) t
     JOIN products p ON p.id = t.product_id CROSS JOIN request r
     ORDER BY t.tier, t.score DESC, p.id LIMIT $8"
);

/// The `k` best BM25 matches for `query` among the products passing `filters`.
#[tracing::instrument(skip(pool, filters))]
pub async fn search(
    pool: impl Into<DbRef<'_>>,
    query: &str,
    filters: &ProductFilters,
    k: i64,
    gate: Gate,
    params: &Bm25Params,
) -> Result<Vec<KeywordHit>> {
    let pool: DbRef<'_> = pool.into();
    let search = sqlx::query_as(SEARCH)
        .bind(query)
        .bind(&filters.category)
        .bind(&filters.exclude_category)
        .bind(filters.min_price)
        .bind(filters.max_price)
        .bind(filters.in_stock)
        .bind(&filters.exclude_ids)
        .bind(k)
        .bind(gate.share)
        .bind(filters.excluded_terms())
        .bind(params.weights.as_slice())
        .bind(params.b.as_slice())
        .bind(params.k1)
        .bind(gate.min_docs)
        .bind(LEADING);
    let rows: Vec<Row> = fetch_generic(pool, search).await?;
    Ok(rows
        .into_iter()
        .map(|r| KeywordHit {
            product: r.product,
            rank: r.rank,
            coverage: r.coverage,
        })
        .collect())
}

/// All rows of `query` under a generic plan, kept per connection with the prepared statement:
/// planning the BM25 statements for each call's values cost 9 to 23 ms at 100k products (more
/// than running them), and their shape does not depend on the values (`BEGIN`, `SET LOCAL`,
/// the query, `COMMIT`).
async fn fetch_generic<'q, O>(
    pool: impl Into<DbRef<'_>>,
    query: QueryAs<'q, Postgres, O, PgArguments>,
) -> Result<Vec<O>>
where
    O: Send + Unpin + for<'r> FromRow<'r, PgRow>,
{
    let pool: DbRef<'_> = pool.into();
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL plan_cache_mode = force_generic_plan")
        .execute(&mut *tx)
        .await?;
    let rows = query.fetch_all(&mut *tx).await?;
    tx.commit().await?;
    Ok(rows)
}

/// Folds the statistics' delta rows (the writers' triggers append them); reads are exact
/// either way, this keeps them short.
#[tracing::instrument(skip(pool))]
pub async fn compact(pool: impl Into<DbRef<'_>>) -> Result<()> {
    let pool: DbRef<'_> = pool.into();
    sqlx::query("SELECT giftvec_bm25_compact()")
        .execute(pool)
        .await?;
    Ok(())
}
