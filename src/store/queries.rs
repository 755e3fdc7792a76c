//! Search analytics (`search_queries`): every search with its query embedding, mode, filters,
//! result ids and latency; past queries like a new one; volume, zero-result rate, top queries
//! and latency percentiles over a window.

use super::DbRef;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Embedding, EmbeddingModel, sql_literal};
use crate::Result;

/// One search to log.
#[derive(Debug, Clone)]
pub struct SearchLog {
    /// The request text.
    pub query: String,
    /// The model of `embedding`.
    pub model: Option<String>,
    /// The query's embedding, when one was made.
    pub embedding: Option<Embedding>,
    /// `keyword`, `semantic`, `hybrid` or `similar`.
    pub mode: &'static str,
    /// The filters, as given.
    pub filters: serde_json::Value,
    /// Result ids in order.
    pub result_ids: Vec<String>,
    /// Latency of the call, milliseconds.
    pub latency_ms: f64,
    /// The shopper the call named.
    pub user_id: Option<String>,
}

/// Writes one search.
#[tracing::instrument(skip_all, fields(mode = log.mode))]
pub async fn log(pool: impl Into<DbRef<'_>>, log: &SearchLog) -> Result<()> {
    let pool: DbRef<'_> = pool.into();
    sqlx::query(
        "INSERT INTO search_queries (query, model, embedding, mode, filters, result_ids, latency_ms,
                                     user_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&log.query)
    .bind(&log.model)
    .bind(log.embedding.as_ref().map(Embedding::to_pgvector))
    .bind(log.mode)
    .bind(&log.filters)
    .bind(&log.result_ids)
    .bind(log.latency_ms as f32)
    .bind(&log.user_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// A past query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct PastQuery {
    /// What was searched.
    pub query: String,
    /// Cosine similarity to the new query, -1 to 1.
    pub similarity: f64,
    /// How many times it was searched (case-insensitively).
    pub times: i64,
    /// Results it had the last time.
    pub results: i32,
}

/// Which past queries [`similar`] may return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provenance {
    /// Every logged query (the operators' view).
    Any,
    /// Only queries (up to case) that at least this many distinct users made, and after
    /// which one of them acted on a result (a click, add to cart, purchase or like within a
    /// day): what is safe to put into another caller's search.
    Shared(i64),
}

/// Past queries nearest to `embedding` (distinct up to case, most similar first) of the
/// given [`Provenance`].
#[tracing::instrument(skip(pool, embedding), fields(model = %model.name))]
pub async fn similar(
    pool: impl Into<DbRef<'_>>,
    model: &EmbeddingModel,
    embedding: &Embedding,
    k: i64,
    provenance: Provenance,
) -> Result<Vec<PastQuery>> {
    let pool: DbRef<'_> = pool.into();
    let min_users = match provenance {
        Provenance::Any => 0,
        Provenance::Shared(n) => n.max(1),
    };
    let d = model.dimensions;
    let name = sql_literal(&model.name);
    // Model dimension and name are literals (the partial IVFFlat index needs them); the rest
    // are bound.
    let sql = format!(
        "WITH nearest AS MATERIALIZED (
             SELECT s.query, s.result_ids, s.created_at, s.user_id,
                    (s.embedding::vector({d}) <=> $1::vector({d}))::float8 AS distance
             FROM search_queries s
             WHERE s.model = {name} AND s.embedding IS NOT NULL
             ORDER BY s.embedding::vector({d}) <=> $1::vector({d})
             LIMIT $2 * 10)
         SELECT (array_agg(query ORDER BY created_at DESC))[1] AS query,
                (1 - min(distance))::float8 AS similarity, count(*) AS times,
                (array_agg(cardinality(result_ids) ORDER BY created_at DESC))[1] AS results
         FROM nearest GROUP BY lower(query)
         HAVING $3 = 0 OR (count(DISTINCT user_id) >= $3 AND bool_or(EXISTS (
             SELECT 1 FROM events e
             WHERE e.user_id = nearest.user_id AND e.product_id = ANY(nearest.result_ids)
               AND e.kind IN ('click', 'add_to_cart', 'purchase', 'like')
               AND e.occurred_at >= nearest.created_at
               AND e.occurred_at < nearest.created_at + interval '1 day')))
         ORDER BY min(distance), lower(query) LIMIT $2"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(embedding.to_pgvector())
        .bind(k)
        .bind(min_users)
        .fetch_all(pool)
        .await?)
}

/// Search figures over a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SearchStats {
    /// Window length, hours.
    pub window_hours: u32,
    /// Searches in the window.
    pub searches: i64,
    /// Share of searches that returned nothing, 0 to 1.
    pub zero_result_rate: f64,
    /// Median latency, milliseconds.
    pub p50_latency_ms: Option<f64>,
    /// 95th percentile latency, milliseconds.
    pub p95_latency_ms: Option<f64>,
    /// Searches per mode.
    pub by_mode: Vec<ModeCount>,
    /// The most frequent queries (case-folded), with their counts.
    pub top_queries: Vec<QueryCount>,
}

/// Searches of one mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct ModeCount {
    /// Mode.
    pub mode: String,
    /// Searches.
    pub searches: i64,
}

/// A frequent query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct QueryCount {
    /// The query, lower-cased.
    pub query: String,
    /// Times searched.
    pub searches: i64,
    /// Of which with no result.
    pub zero_results: i64,
}

/// Figures for the last `window_hours`.
#[tracing::instrument(skip(pool))]
pub async fn stats(pool: impl Into<DbRef<'_>>, window_hours: u32) -> Result<SearchStats> {
    let pool: DbRef<'_> = pool.into();
    let (searches, zero_result_rate, p50, p95): (i64, f64, Option<f64>, Option<f64>) =
        sqlx::query_as(
            "SELECT count(*),
                coalesce(avg((cardinality(result_ids) = 0)::int)::float8, 0),
                percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms)::float8,
                percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms)::float8
         FROM search_queries WHERE created_at > now() - make_interval(hours => $1)",
        )
        .bind(window_hours as i32)
        .fetch_one(pool)
        .await?;
    let by_mode = sqlx::query_as(
        "SELECT mode, count(*) AS searches FROM search_queries
         WHERE created_at > now() - make_interval(hours => $1) GROUP BY mode ORDER BY count(*) DESC, mode",
    )
    .bind(window_hours as i32)
    .fetch_all(pool)
    .await?;
    let top_queries = sqlx::query_as(
        "SELECT lower(query) AS query, count(*) AS searches,
                count(*) FILTER (WHERE cardinality(result_ids) = 0) AS zero_results
         FROM search_queries WHERE created_at > now() - make_interval(hours => $1)
         GROUP BY lower(query) ORDER BY count(*) DESC, lower(query) LIMIT 10",
    )
    .bind(window_hours as i32)
    .fetch_all(pool)
    .await?;
    Ok(SearchStats {
        window_hours,
        searches,
        zero_result_rate,
        p50_latency_ms: p50,
        p95_latency_ms: p95,
        by_mode,
        top_queries,
    })
}
