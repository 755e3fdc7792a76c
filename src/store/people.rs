//! Users' preference vectors (`user_preferences`). The recommendation engine fills them from
//! events; search reads them to personalise.

use sqlx::PgPool;

use super::{Embedding, EmbeddingModel};
use crate::Result;

/// The user's preference vector under `model`, if they have one.
#[tracing::instrument(skip(pool), fields(model = %model.name))]
pub async fn preference(
    pool: &PgPool,
    model: &EmbeddingModel,
    user_id: &str,
) -> Result<Option<Embedding>> {
    let row: Option<(pgvector::Vector,)> =
        sqlx::query_as("SELECT vector FROM user_preferences WHERE user_id = $1 AND model = $2")
            .bind(user_id)
            .bind(&model.name)
            .fetch_optional(pool)
            .await?;
    row.map(|(v,)| Embedding::new(v.to_vec(), model.dimensions as usize))
        .transpose()
        .map_err(|err| crate::Error::Internal(Box::new(err)))
}

/// Sets the user's preference vector under `model` outright (imports, tests, evals).
#[tracing::instrument(skip(pool, vector), fields(model = %model.name))]
pub async fn set_preference(
    pool: &PgPool,
    model: &EmbeddingModel,
    user_id: &str,
    vector: &Embedding,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO user_preferences (user_id, model, vector, weight_sum, event_count)
         VALUES ($1, $2, $3, 1, 0)
         ON CONFLICT (user_id, model) DO UPDATE SET vector = excluded.vector, updated_at = now()",
    )
    .bind(user_id)
    .bind(&model.name)
    .bind(vector.to_pgvector())
    .execute(pool)
    .await?;
    Ok(())
}

/// Cosine similarity of `vector` to each product's embedding under `model`, for the given
/// ids (products without an embedding are left out).
#[tracing::instrument(skip(pool, vector, ids), fields(model = %model.name, n = ids.len()))]
pub async fn similarities(
    pool: &PgPool,
    model: &EmbeddingModel,
    vector: &Embedding,
    ids: &[String],
) -> Result<Vec<(String, f64)>> {
    let d = model.dimensions;
    let sql = format!(
        "SELECT product_id, (1 - (embedding::vector({d}) <=> $1::vector({d})))::float8
         FROM product_embeddings WHERE model = $2 AND product_id = ANY($3)"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(vector.to_pgvector())
        .bind(&model.name)
        .bind(ids)
        .fetch_all(pool)
        .await?)
}
