//! What recommendations read and write: candidates with their vectors, event aggregates
//! (popularity, exclusions, exploration feedback) and served requests
//! (`recommendation_requests`, `recommendation_items`).

use super::DbRef;
use std::collections::HashMap;

use serde_json::Value;
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, FromRow};

use super::products::{Product, product_columns};
use super::{Embedding, EmbeddingModel, sql_literal};
use crate::{Error, Result};

/// Which products may be recommended (all combine with AND).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CandidateFilters {
    /// Only these categories (any of them); empty: all.
    pub categories: Vec<String>,
    /// Never these categories.
    pub exclude_categories: Vec<String>,
    /// Lowest price, inclusive.
    pub min_price: Option<f64>,
    /// Highest price, inclusive.
    pub max_price: Option<f64>,
    /// Only products whose `in_stock` equals this.
    pub in_stock: Option<bool>,
    /// Never these ids.
    pub exclude_ids: Vec<String>,
    /// Never products with one of these terms in their title, category or tags.
    pub exclude_terms: Vec<String>,
}

/// A product with its stored embedding.
#[derive(Debug, Clone, PartialEq)]
pub struct WithVector {
    /// The product.
    pub product: Product,
    /// Its embedding under the model asked for.
    pub vector: Vec<f32>,
}

#[derive(FromRow)]
struct VectorRow {
    #[sqlx(flatten)]
    product: Product,
    embedding: pgvector::Vector,
}

impl From<VectorRow> for WithVector {
    fn from(r: VectorRow) -> Self {
        Self {
            product: r.product,
            vector: r.embedding.to_vec(),
        }
    }
}

const FILTERS: &str = " AND (cardinality($2::text[]) = 0 OR p.category = ANY($2))
      AND p.category <> ALL($3::text[])
      AND ($4::float8 IS NULL OR p.price >= $4::numeric)
      AND ($5::float8 IS NULL OR p.price <= $5::numeric)
      AND ($6::bool IS NULL OR p.in_stock = $6)
      AND p.id <> ALL($7::text[])
      AND (cardinality($9::text[]) = 0 OR NOT giftvec_names_any(p.search_tsv, $9)) ";

/// The `k` products nearest to `query` (cosine) that pass `filters`, with their vectors;
/// filtered inside the HNSW scan (iterative scan), nearest first.
#[tracing::instrument(skip(pool, query, filters), fields(model = %model.name))]
pub async fn candidates(
    pool: impl Into<DbRef<'_>>,
    model: &EmbeddingModel,
    query: &Embedding,
    filters: &CandidateFilters,
    k: u32,
    ef_search: u32,
) -> Result<Vec<WithVector>> {
    let pool: DbRef<'_> = pool.into();
    let d = model.dimensions;
    let op = model.distance.operator();
    let name = sql_literal(&model.name);
    let columns = product_columns!();
    let sql = format!(
        "WITH nearest AS MATERIALIZED (
            SELECT e.product_id, e.embedding,
                   (e.embedding::vector({d}) {op} $1::vector({d}))::float8 AS distance
            FROM product_embeddings e JOIN products p ON p.id = e.product_id
            WHERE e.model = {name} {FILTERS}
            ORDER BY e.embedding::vector({d}) {op} $1::vector({d})
            LIMIT $8)
        SELECT {columns}, n.embedding
        FROM nearest n JOIN products p ON p.id = n.product_id
        ORDER BY n.distance, p.id"
    );
    let mut args = PgArguments::default();
    (|| {
        args.add(query.to_pgvector())?;
        args.add(filters.categories.clone())?;
        args.add(filters.exclude_categories.clone())?;
        args.add(filters.min_price)?;
        args.add(filters.max_price)?;
        args.add(filters.in_stock)?;
        args.add(filters.exclude_ids.clone())?;
        args.add(i64::from(k))?;
        args.add(super::similarity::excluded_terms(&filters.exclude_terms))
    })()
    .map_err(Error::Internal)?;
    // Dynamic only in the model's dimension and name, which come from the registry.
    let query = sqlx::query_as_with(sqlx::AssertSqlSafe(sql), args);
    let rows: Vec<VectorRow> = super::hnsw::fetch_all(pool, ef_search.max(k), query).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// The products `ids` that have an embedding under `model`, with it (in no particular order).
#[tracing::instrument(skip(pool, ids), fields(model = %model.name, n = ids.len()))]
pub async fn with_vectors(
    pool: impl Into<DbRef<'_>>,
    model: &EmbeddingModel,
    ids: &[String],
) -> Result<Vec<WithVector>> {
    let pool: DbRef<'_> = pool.into();
    let columns = product_columns!();
    let sql = format!(
        "SELECT {columns}, e.embedding FROM products p
         JOIN product_embeddings e ON e.product_id = p.id AND e.model = $1
         WHERE p.id = ANY($2)"
    );
    let rows: Vec<VectorRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(&model.name)
        .bind(ids)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Per product of `ids`: the positive event weight on it over the last `days` days — each
/// user counted once, by their strongest event, so that one caller repeating events cannot
/// make a product popular — and the `ts_rank` of `words` against it (0 without words or a
/// match). One round trip.
#[tracing::instrument(skip(pool, words, ids), fields(n = ids.len()))]
pub async fn facts(
    pool: impl Into<DbRef<'_>>,
    words: Option<&str>,
    ids: &[String],
    days: u32,
) -> Result<HashMap<String, (f64, f64)>> {
    let pool: DbRef<'_> = pool.into();
    const POSITIVE: &str = "SELECT product_id, sum(w)::float8 AS s FROM (
            SELECT product_id, user_id, max(weight) AS w FROM events
            WHERE product_id = ANY($1) AND weight > 0
              AND occurred_at > now() - make_interval(days => $2)
            GROUP BY product_id, user_id) per_user
        GROUP BY product_id";
    let rows: Vec<(String, f64, f64)> = match words {
        Some(words) => {
            let sql = format!(
                "WITH pos AS ({POSITIVE}), q AS (SELECT q FROM giftvec_keyword_query($3) AS q(q))
                 SELECT p.id, coalesce(pos.s, 0),
                        CASE WHEN p.search_tsv @@ q.q THEN ts_rank(p.search_tsv, q.q)::float8
                             ELSE 0 END
                 FROM products p CROSS JOIN q LEFT JOIN pos ON pos.product_id = p.id
                 WHERE p.id = ANY($1)"
            );
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(ids)
                .bind(days as i32)
                .bind(words)
                .fetch_all(pool)
                .await?
        }
        None => {
            let sql = format!("SELECT product_id, s, 0::float8 FROM ({POSITIVE}) pos");
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(ids)
                .bind(days as i32)
                .fetch_all(pool)
                .await?
        }
    };
    Ok(rows.into_iter().map(|(id, p, r)| (id, (p, r))).collect())
}

/// What a user's events say about products: bought, waved away or disliked, and liked (any
/// positive event) — with each product's category.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserHistory {
    /// Products the user bought.
    pub purchased: Vec<String>,
    /// Products the user dismissed or disliked.
    pub rejected: Vec<String>,
    /// Categories of products with positive events, most weight first.
    pub liked_categories: Vec<String>,
}

/// The user's [`UserHistory`].
#[tracing::instrument(skip(pool))]
pub async fn user_history(pool: impl Into<DbRef<'_>>, user_id: &str) -> Result<UserHistory> {
    let pool: DbRef<'_> = pool.into();
    let rows: Vec<(String, String, String, f64)> = sqlx::query_as(
        "SELECT ev.product_id, p.category, ev.kind, ev.weight FROM events ev
         JOIN products p ON p.id = ev.product_id WHERE ev.user_id = $1",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?;
    let mut history = UserHistory::default();
    let mut categories: HashMap<String, f64> = HashMap::new();
    for (product, category, kind, weight) in rows {
        match kind.as_str() {
            "purchase" => history.purchased.push(product),
            "dismiss" | "dislike" => history.rejected.push(product),
            _ => {}
        }
        if weight > 0.0 {
            *categories.entry(category).or_default() += weight;
        }
    }
    let mut cats: Vec<(String, f64)> = categories.into_iter().collect();
    cats.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    history.liked_categories = cats.into_iter().map(|(c, _)| c).collect();
    Ok(history)
}

/// Products already shown in `conversation_id`.
#[tracing::instrument(skip(pool))]
pub async fn shown_in_conversation(
    pool: impl Into<DbRef<'_>>,
    conversation_id: &str,
) -> Result<Vec<String>> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT i.product_id FROM recommendation_requests r
         JOIN recommendation_items i ON i.request_id = r.id WHERE r.conversation_id = $1",
    )
    .bind(conversation_id)
    .fetch_all(pool)
    .await?)
}

/// Per category over the last `days` days: items shown in recommendations and, of those,
/// how many drew a positive event (click, add_to_cart, purchase or like).
#[tracing::instrument(skip(pool))]
pub async fn category_feedback(
    pool: impl Into<DbRef<'_>>,
    days: u32,
) -> Result<HashMap<String, (u64, u64)>> {
    let pool: DbRef<'_> = pool.into();
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT i.category, count(*),
                count(*) FILTER (WHERE EXISTS (
                    SELECT 1 FROM events ev WHERE ev.request_id = i.request_id
                      AND ev.product_id = i.product_id AND ev.weight > 0 AND ev.kind <> 'view'))
         FROM recommendation_items i JOIN recommendation_requests r ON r.id = i.request_id
         WHERE r.created_at > now() - make_interval(days => $1)
         GROUP BY i.category",
    )
    .bind(days as i32)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(c, n, pos)| (c, (n as u64, pos as u64)))
        .collect())
}

/// A served item to store.
#[derive(Debug, Clone, PartialEq)]
pub struct ServedItem {
    /// Product id.
    pub product_id: String,
    /// Its category.
    pub category: String,
    /// Position, from 1.
    pub rank: i32,
    /// The score that ranked it.
    pub score: f64,
    /// Component values.
    pub components: Value,
    /// Component contributions (sum to `score`).
    pub contributions: Value,
    /// An exploration pick.
    pub exploration: bool,
}

/// A served request to store.
#[derive(Debug, Clone, PartialEq)]
pub struct ServedRequest {
    /// Shopper.
    pub user_id: Option<String>,
    /// Recipient.
    pub recipient_id: Option<String>,
    /// Conversation.
    pub conversation_id: Option<String>,
    /// Experiment and arm.
    pub experiment: Option<(String, String)>,
    /// Model the vectors came from.
    pub model: String,
    /// The call's arguments.
    pub input: Value,
    /// What was shown.
    pub items: Vec<ServedItem>,
}

/// Stores a served request and its items in one statement; returns the new request id.
#[tracing::instrument(skip_all, fields(n = served.items.len()))]
pub async fn save(pool: impl Into<DbRef<'_>>, served: &ServedRequest) -> Result<String> {
    let pool: DbRef<'_> = pool.into();
    let items = &served.items;
    let col = |f: fn(&ServedItem) -> Value| items.iter().map(f).collect::<Vec<Value>>();
    let (experiment, arm) = served.experiment.clone().unzip();
    Ok(sqlx::query_scalar(
        "WITH r AS (
            INSERT INTO recommendation_requests
                (id, user_id, recipient_id, conversation_id, experiment, arm, model, input)
            VALUES ('rec_' || replace(gen_random_uuid()::text, '-', ''), $1, $2, $3, $4, $5, $6, $7)
            RETURNING id),
         i AS (
            INSERT INTO recommendation_items
                (request_id, product_id, category, rank, score, components, contributions, exploration)
            SELECT r.id, t.product_id, t.category, t.rank, t.score, t.components, t.contributions,
                   t.exploration
            FROM r, unnest($8::text[], $9::text[], $10::int[], $11::float8[], $12::jsonb[],
                           $13::jsonb[], $14::bool[])
                 AS t(product_id, category, rank, score, components, contributions, exploration))
         SELECT id FROM r",
    )
    .bind(&served.user_id)
    .bind(&served.recipient_id)
    .bind(&served.conversation_id)
    .bind(experiment)
    .bind(arm)
    .bind(&served.model)
    .bind(&served.input)
    .bind(items.iter().map(|i| i.product_id.clone()).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.category.clone()).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.rank).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.score).collect::<Vec<_>>())
    .bind(col(|i| i.components.clone()))
    .bind(col(|i| i.contributions.clone()))
    .bind(items.iter().map(|i| i.exploration).collect::<Vec<_>>())
    .fetch_one(pool)
    .await?)
}

/// A stored request: its arguments, experiment arm, and its item for one product if shown.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRequest {
    /// The call's arguments.
    pub input: Value,
    /// Experiment arm, when enrolled.
    pub arm: Option<String>,
    /// The item, when the product was among the results.
    pub item: Option<ServedItem>,
}

/// The request `id` and, when shown in it, `product_id`'s item.
#[tracing::instrument(skip(pool))]
pub async fn load(
    pool: impl Into<DbRef<'_>>,
    id: &str,
    product_id: &str,
) -> Result<Option<StoredRequest>> {
    let pool: DbRef<'_> = pool.into();
    type Row = (
        Value,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i32>,
        Option<f64>,
        Option<Value>,
        Option<Value>,
        Option<bool>,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT r.input, r.arm, i.product_id, i.category, i.rank, i.score, i.components,
                i.contributions, i.exploration
         FROM recommendation_requests r
         LEFT JOIN recommendation_items i ON i.request_id = r.id AND i.product_id = $2
         WHERE r.id = $1",
    )
    .bind(id)
    .bind(product_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(
        |(input, arm, pid, category, rank, score, comps, contribs, explore)| {
            let item = match (pid, category, rank, score, comps, contribs, explore) {
                (
                    Some(product_id),
                    Some(category),
                    Some(rank),
                    Some(score),
                    Some(components),
                    Some(contributions),
                    Some(exploration),
                ) => Some(ServedItem {
                    product_id,
                    category,
                    rank,
                    score,
                    components,
                    contributions,
                    exploration,
                }),
                _ => None,
            };
            StoredRequest { input, arm, item }
        },
    ))
}

/// Counts of one experiment arm.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmCounts {
    /// Arm.
    pub arm: String,
    /// Requests served.
    pub requests: u64,
    /// Items shown.
    pub impressions: u64,
    /// Shown items clicked (click, add_to_cart or purchase on them, counted once).
    pub clicks: u64,
    /// Shown items bought.
    pub conversions: u64,
}

/// Per arm of `experiment`: requests, impressions, clicked and bought items.
#[tracing::instrument(skip(pool))]
pub async fn arm_counts(pool: impl Into<DbRef<'_>>, experiment: &str) -> Result<Vec<ArmCounts>> {
    let pool: DbRef<'_> = pool.into();
    let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "WITH served AS (
            SELECT r.arm, i.request_id, i.product_id
            FROM recommendation_requests r JOIN recommendation_items i ON i.request_id = r.id
            WHERE r.experiment = $1),
         acted AS (
            SELECT ev.request_id, ev.product_id,
                   bool_or(ev.kind IN ('click', 'add_to_cart', 'purchase')) AS clicked,
                   bool_or(ev.kind = 'purchase') AS bought
            FROM events ev
            WHERE ev.request_id IN (SELECT id FROM recommendation_requests WHERE experiment = $1)
            GROUP BY ev.request_id, ev.product_id)
         SELECT s.arm, count(DISTINCT s.request_id), count(*),
                count(*) FILTER (WHERE a.clicked), count(*) FILTER (WHERE a.bought)
         FROM served s LEFT JOIN acted a USING (request_id, product_id)
         GROUP BY s.arm ORDER BY s.arm",
    )
    .bind(experiment)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(arm, requests, impressions, clicks, conversions)| ArmCounts {
                arm,
                requests: requests as u64,
                impressions: impressions as u64,
                clicks: clicks as u64,
                conversions: conversions as u64,
            },
        )
        .collect())
}

/// The products behind the user's positive events (most recent first, at most `limit`), with
/// their vectors under `model`.
#[tracing::instrument(skip(pool), fields(model = %model.name))]
pub async fn liked_by_user(
    pool: impl Into<DbRef<'_>>,
    model: &EmbeddingModel,
    user_id: &str,
    limit: i64,
) -> Result<Vec<WithVector>> {
    let pool: DbRef<'_> = pool.into();
    let columns = product_columns!();
    let sql = format!(
        "SELECT {columns}, e.embedding FROM (
            SELECT product_id, max(occurred_at) AS at FROM events
            WHERE user_id = $1 AND weight > 0 GROUP BY product_id
            ORDER BY at DESC LIMIT $3) h
         JOIN products p ON p.id = h.product_id
         JOIN product_embeddings e ON e.product_id = p.id AND e.model = $2
         ORDER BY h.at DESC"
    );
    let rows: Vec<VectorRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(&model.name)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}
