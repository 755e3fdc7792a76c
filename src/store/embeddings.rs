//! Product embeddings, one row per (product, model), with the hash of the text they were made
//! from. The text itself is built by the SQL function `giftvec_product_text`, the one place
//! that decides what a product "says" to the embedding model.

use super::DbRef;

use super::{Embedding, EmbeddingModel};
use crate::{Error, Result};

/// The text a product is embedded from, and its sha256.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProductText {
    /// Product id.
    pub product_id: String,
    /// Output of `giftvec_product_text` for the product's current fields.
    pub text: String,
    /// sha256 of `text`.
    pub content_hash: Vec<u8>,
}

/// An embedding to store.
#[derive(Debug, Clone)]
pub struct NewEmbedding {
    /// Product id.
    pub product_id: String,
    /// The vector.
    pub embedding: Embedding,
    /// sha256 of the text it was made from (from [`ProductText`]).
    pub content_hash: Vec<u8>,
}

const PRODUCT_TEXTS: &str = "\
SELECT p.id AS product_id, t.text, giftvec_content_hash(t.text) AS content_hash
FROM products p,
     LATERAL (SELECT giftvec_product_text(p)) AS t(text)
WHERE p.id = ANY($1)
ORDER BY p.id";

// Products whose embedding for the model is missing or was made from other text, in id order
// after `$2` (keyset pagination: a run that stops resumes where it was).
const STALE: &str = "\
SELECT p.id AS product_id, giftvec_product_text(p) AS text, p.content_hash
FROM products p
WHERE p.id > $2
  AND NOT EXISTS (SELECT 1 FROM product_embeddings e
                  WHERE e.product_id = p.id AND e.model = $1
                    AND e.content_hash = p.content_hash)
ORDER BY p.id
LIMIT $3";

const STALE_COUNT: &str = "\
SELECT count(*) FROM products p
WHERE NOT EXISTS (SELECT 1 FROM product_embeddings e
                  WHERE e.product_id = p.id AND e.model = $1
                    AND e.content_hash = p.content_hash)";

const UPSERT: &str = "\
INSERT INTO product_embeddings (product_id, model, embedding, content_hash)
SELECT u.product_id, $1, u.embedding, u.content_hash
FROM unnest($2::text[], $3::vector[], $4::bytea[]) AS u(product_id, embedding, content_hash)
ON CONFLICT (product_id, model) DO UPDATE SET
    embedding = EXCLUDED.embedding, content_hash = EXCLUDED.content_hash, embedded_at = now()";

/// The current embedding text of each product in `ids` that exists.
#[tracing::instrument(skip_all, fields(ids = ids.len()))]
pub async fn product_texts(pool: impl Into<DbRef<'_>>, ids: &[String]) -> Result<Vec<ProductText>> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_as(PRODUCT_TEXTS)
        .bind(ids)
        .fetch_all(pool)
        .await?)
}

/// Up to `limit` products after id `after` (in id order) that have no embedding of `model`
/// for their current text.
#[tracing::instrument(skip(pool, model), fields(model = %model.name))]
pub async fn stale(
    pool: impl Into<DbRef<'_>>,
    model: &EmbeddingModel,
    after: &str,
    limit: i64,
) -> Result<Vec<ProductText>> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_as(STALE)
        .bind(&model.name)
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await?)
}

/// How many products have no embedding of `model` for their current text.
#[tracing::instrument(skip(pool, model), fields(model = %model.name))]
pub async fn stale_count(pool: impl Into<DbRef<'_>>, model: &EmbeddingModel) -> Result<i64> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_scalar(STALE_COUNT)
        .bind(&model.name)
        .fetch_one(pool)
        .await?)
}

/// How many products have an embedding of `model` for their current text.
#[tracing::instrument(skip(pool))]
pub async fn current_count(pool: impl Into<DbRef<'_>>, model: &str) -> Result<i64> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM products p JOIN product_embeddings e
             ON e.product_id = p.id AND e.model = $1
            AND e.content_hash = p.content_hash",
    )
    .bind(model)
    .fetch_one(pool)
    .await?)
}

/// Stored vectors of `model` that are unusable: wrong dimension or zero length.
#[tracing::instrument(skip(pool, model), fields(model = %model.name))]
pub async fn invalid_count(pool: impl Into<DbRef<'_>>, model: &EmbeddingModel) -> Result<i64> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM product_embeddings
         WHERE model = $1 AND (vector_dims(embedding) <> $2 OR vector_norm(embedding) = 0)",
    )
    .bind(&model.name)
    .bind(model.dimensions)
    .fetch_one(pool)
    .await?)
}

/// Stores `rows` for `model` (replacing older vectors of the same products), all or nothing.
#[tracing::instrument(skip_all, fields(model = %model.name, rows = rows.len()))]
pub async fn upsert(
    pool: impl Into<DbRef<'_>>,
    model: &EmbeddingModel,
    rows: &[NewEmbedding],
) -> Result<()> {
    let pool: DbRef<'_> = pool.into();
    if let Some(bad) = rows
        .iter()
        .find(|r| r.embedding.dimensions() != model.dimensions as usize)
    {
        return Err(Error::invalid(
            "embedding",
            format!(
                "product {:?}: {} dimensions, model {:?} has {}",
                bad.product_id,
                bad.embedding.dimensions(),
                model.name,
                model.dimensions
            ),
        ));
    }
    let ids: Vec<&str> = rows.iter().map(|r| r.product_id.as_str()).collect();
    let vectors: Vec<pgvector::Vector> = rows.iter().map(|r| r.embedding.to_pgvector()).collect();
    let hashes: Vec<&[u8]> = rows.iter().map(|r| r.content_hash.as_slice()).collect();
    sqlx::query(UPSERT)
        .bind(&model.name)
        .bind(ids)
        .bind(vectors)
        .bind(hashes)
        .execute(pool)
        .await?;
    Ok(())
}

/// The stored embedding of `product_id` for `model`, if any.
#[tracing::instrument(skip(pool, model), fields(model = %model.name))]
pub async fn get(
    pool: impl Into<DbRef<'_>>,
    model: &EmbeddingModel,
    product_id: &str,
) -> Result<Option<Embedding>> {
    let pool: DbRef<'_> = pool.into();
    let row: Option<pgvector::Vector> = sqlx::query_scalar(
        "SELECT embedding FROM product_embeddings WHERE product_id = $1 AND model = $2",
    )
    .bind(product_id)
    .bind(&model.name)
    .fetch_optional(pool)
    .await?;
    row.map(|v| Embedding::new(v.to_vec(), model.dimensions as usize).map_err(Error::from))
        .transpose()
}

/// A product's price, category and stored embedding for `model` (if any) in one round trip;
/// `None` when there is no such product.
#[tracing::instrument(skip(pool, model), fields(model = %model.name))]
pub async fn with_product(
    pool: impl Into<DbRef<'_>>,
    model: &EmbeddingModel,
    product_id: &str,
) -> Result<Option<(f64, String, Option<Embedding>)>> {
    let pool: DbRef<'_> = pool.into();
    let row: Option<(f64, String, Option<pgvector::Vector>)> = sqlx::query_as(
        "SELECT p.price::float8, p.category, e.embedding FROM products p
         LEFT JOIN product_embeddings e ON e.product_id = p.id AND e.model = $2
         WHERE p.id = $1",
    )
    .bind(product_id)
    .bind(&model.name)
    .fetch_optional(pool)
    .await?;
    row.map(|(price, category, vector)| {
        let vector = vector
            .map(|v| Embedding::new(v.to_vec(), model.dimensions as usize))
            .transpose()?;
        Ok((price, category, vector))
    })
    .transpose()
}

/// Adds attributes (key, label) to the embedded text; returns the keys that were new or
/// relabelled. Any change re-queues every product (the table's trigger), so nothing is
/// written when nothing changes.
#[tracing::instrument(skip(pool))]
pub async fn add_text_attributes(
    pool: impl Into<DbRef<'_>>,
    wanted: &[(String, Option<String>)],
) -> Result<Vec<String>> {
    let pool: DbRef<'_> = pool.into();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let current: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT key, label FROM embedding_text_attributes")
            .fetch_all(pool)
            .await?;
    let changes: Vec<&(String, Option<String>)> =
        wanted.iter().filter(|w| !current.contains(w)).collect();
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<String> = changes.iter().map(|c| c.0.clone()).collect();
    let labels: Vec<Option<String>> = changes.iter().map(|c| c.1.clone()).collect();
    sqlx::query(
        "INSERT INTO embedding_text_attributes (key, label) \
         SELECT * FROM unnest($1::text[], $2::text[]) \
         ON CONFLICT (key) DO UPDATE SET label = EXCLUDED.label",
    )
    .bind(&keys)
    .bind(&labels)
    .execute(pool)
    .await?;
    Ok(keys)
}
