//! Gift recipients (`recipients`) and their profile vectors (`recipient_vectors`).

use super::DbRef;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Embedding, EmbeddingModel};
use crate::Result;

/// A recipient as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct Recipient {
    /// Recipient id.
    pub id: String,
    /// The user it belongs to.
    pub user_id: String,
    /// How the user calls them ("my dad").
    pub name: String,
    /// Free text about them.
    pub description: String,
    /// Age band ("60+", "teen", ...).
    pub age_band: Option<String>,
    /// Relationship to the user ("father", "colleague", ...).
    pub relationship: Option<String>,
    /// What they are into.
    pub interests: Vec<String>,
    /// What to avoid.
    pub dislikes: Vec<String>,
    /// Products they liked or own.
    pub liked_product_ids: Vec<String>,
    /// Products they would not want.
    pub disliked_product_ids: Vec<String>,
}

/// Inserts or updates a recipient of its user (a new id is made when `id` is empty). Ids are
/// scoped per user: another user's recipient of the same id is a different one.
#[tracing::instrument(skip_all, fields(user = %r.user_id))]
pub async fn upsert(pool: impl Into<DbRef<'_>>, r: &Recipient) -> Result<Recipient> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_as(
        "INSERT INTO recipients (id, user_id, name, description, age_band, relationship,
                                 interests, dislikes, liked_product_ids, disliked_product_ids)
         VALUES (coalesce(nullif($1, ''), 'r_' || replace(gen_random_uuid()::text, '-', '')),
                 $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (user_id, id) DO UPDATE SET name = excluded.name,
             description = excluded.description,
             age_band = excluded.age_band, relationship = excluded.relationship,
             interests = excluded.interests, dislikes = excluded.dislikes,
             liked_product_ids = excluded.liked_product_ids,
             disliked_product_ids = excluded.disliked_product_ids, updated_at = now()
         RETURNING id, user_id, name, description, age_band, relationship, interests, dislikes,
                   liked_product_ids, disliked_product_ids",
    )
    .bind(&r.id)
    .bind(&r.user_id)
    .bind(&r.name)
    .bind(&r.description)
    .bind(&r.age_band)
    .bind(&r.relationship)
    .bind(&r.interests)
    .bind(&r.dislikes)
    .bind(&r.liked_product_ids)
    .bind(&r.disliked_product_ids)
    .fetch_one(pool)
    .await?)
}

/// The recipient `id` of `user_id`.
#[tracing::instrument(skip(pool))]
pub async fn get(pool: impl Into<DbRef<'_>>, user_id: &str, id: &str) -> Result<Option<Recipient>> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_as(
        "SELECT id, user_id, name, description, age_band, relationship, interests, dislikes,
                liked_product_ids, disliked_product_ids
         FROM recipients WHERE id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .fetch_optional(pool)
    .await?)
}

/// Deletes the recipient `id` of `user_id` (and its vectors); whether it existed.
#[tracing::instrument(skip(pool))]
pub async fn delete(pool: impl Into<DbRef<'_>>, user_id: &str, id: &str) -> Result<bool> {
    let pool: DbRef<'_> = pool.into();
    let done = sqlx::query("DELETE FROM recipients WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Stores the recipient's profile vector under `model` (or removes it with `None`).
#[tracing::instrument(skip(pool, vector), fields(model = %model.name))]
pub async fn set_vector(
    pool: impl Into<DbRef<'_>>,
    model: &EmbeddingModel,
    user_id: &str,
    id: &str,
    vector: Option<&Embedding>,
) -> Result<()> {
    let pool: DbRef<'_> = pool.into();
    match vector {
        Some(v) => sqlx::query(
            "INSERT INTO recipient_vectors (user_id, recipient_id, model, vector)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id, recipient_id, model) DO UPDATE SET vector = excluded.vector,
                 updated_at = now()",
        )
        .bind(user_id)
        .bind(id)
        .bind(&model.name)
        .bind(v.to_pgvector()),
        None => sqlx::query(
            "DELETE FROM recipient_vectors WHERE user_id = $1 AND recipient_id = $2 AND model = $3",
        )
        .bind(user_id)
        .bind(id)
        .bind(&model.name),
    }
    .execute(pool)
    .await?;
    Ok(())
}

/// Of `ids`, those that are not products.
#[tracing::instrument(skip_all, fields(n = ids.len()))]
pub async fn unknown_products(pool: impl Into<DbRef<'_>>, ids: &[String]) -> Result<Vec<String>> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_scalar(
        "SELECT i FROM unnest($1::text[]) AS i WHERE NOT EXISTS (SELECT 1 FROM products WHERE id = i)",
    )
    .bind(ids)
    .fetch_all(pool)
    .await?)
}

/// The mean of the stored embeddings of `ids` under `model` (`None` when none is embedded).
#[tracing::instrument(skip_all, fields(model = %model.name, n = ids.len()))]
pub async fn mean_embedding(
    pool: impl Into<DbRef<'_>>,
    model: &EmbeddingModel,
    ids: &[String],
) -> Result<Option<Vec<f32>>> {
    let pool: DbRef<'_> = pool.into();
    let d = model.dimensions;
    let sql = format!(
        "SELECT avg(embedding::vector({d})) FROM product_embeddings
         WHERE model = $1 AND product_id = ANY($2)"
    );
    let mean: Option<pgvector::Vector> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(&model.name)
        .bind(ids)
        .fetch_one(pool)
        .await?;
    Ok(mean.map(|v| v.to_vec()))
}

/// The recipient's stored profile vector under `model`.
#[tracing::instrument(skip(pool), fields(model = %model.name))]
pub async fn vector(
    pool: impl Into<DbRef<'_>>,
    model: &EmbeddingModel,
    user_id: &str,
    id: &str,
) -> Result<Option<Embedding>> {
    let pool: DbRef<'_> = pool.into();
    let v: Option<pgvector::Vector> = sqlx::query_scalar(
        "SELECT vector FROM recipient_vectors
         WHERE user_id = $1 AND recipient_id = $2 AND model = $3",
    )
    .bind(user_id)
    .bind(id)
    .bind(&model.name)
    .fetch_optional(pool)
    .await?;
    Ok(v.and_then(|v| Embedding::new(v.to_vec(), model.dimensions as usize).ok()))
}
