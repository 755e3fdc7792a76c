//! Users' preference vectors (`user_preferences`). The recommendation engine fills them from
//! events; search reads them to personalise.

use super::DbRef;

use super::{Embedding, EmbeddingModel};
use crate::Result;

/// Sets the user's preference vector under `model` outright (imports, tests, evals).
#[tracing::instrument(skip(pool, vector), fields(model = %model.name))]
pub async fn set_preference(
    pool: impl Into<DbRef<'_>>,
    model: &EmbeddingModel,
    user_id: &str,
    vector: &Embedding,
) -> Result<()> {
    let pool: DbRef<'_> = pool.into();
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

/// Cosine similarity of the user's preference vector under `model` to each of `ids`
/// embeddings, in one round trip: `None` when the user has no preference vector (products
/// without an embedding are left out).
#[tracing::instrument(skip(pool, ids), fields(model = %model.name, n = ids.len()))]
pub async fn taste(
    pool: impl Into<DbRef<'_>>,
    model: &EmbeddingModel,
    user_id: &str,
    ids: &[String],
) -> Result<Option<Vec<(String, f64)>>> {
    let pool: DbRef<'_> = pool.into();
    let d = model.dimensions;
    let sql = format!(
        "SELECT e.product_id, (1 - (e.embedding::vector({d}) <=> u.vector::vector({d})))::float8
         FROM user_preferences u
         LEFT JOIN product_embeddings e ON e.model = u.model AND e.product_id = ANY($3)
         WHERE u.user_id = $1 AND u.model = $2"
    );
    let rows: Vec<(Option<String>, Option<f64>)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(&model.name)
        .bind(ids)
        .fetch_all(pool)
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        rows.into_iter()
            .filter_map(|(id, similarity)| Some((id?, similarity?)))
            .collect(),
    ))
}

/// The user's preference vector under `model`, when they have one.
#[tracing::instrument(skip(pool), fields(model = %model.name))]
pub async fn preference_vector(
    pool: impl Into<DbRef<'_>>,
    model: &EmbeddingModel,
    user_id: &str,
) -> Result<Option<Embedding>> {
    let pool: DbRef<'_> = pool.into();
    let v: Option<pgvector::Vector> =
        sqlx::query_scalar("SELECT vector FROM user_preferences WHERE user_id = $1 AND model = $2")
            .bind(user_id)
            .bind(&model.name)
            .fetch_optional(pool)
            .await?;
    Ok(v.and_then(|v| Embedding::new(v.to_vec(), model.dimensions as usize).ok()))
}
