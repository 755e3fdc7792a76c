//! The embedding job queue (`embedding_jobs`): claim under a lease with `FOR UPDATE SKIP
//! LOCKED`, complete together with the embeddings in one transaction, retry with backoff,
//! dead-letter after the last attempt.

use super::DbRef;
use std::time::Duration;

use serde::Serialize;

use super::EmbeddingModel;
use super::embeddings::NewEmbedding;
use crate::Result;

/// A job a worker now holds.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClaimedJob {
    /// Job id.
    pub id: i64,
    /// The product to embed.
    pub product_id: String,
    /// Attempts so far, this one included.
    pub attempts: i32,
}

/// The current text of a claimed job's product, and whether the model already has it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JobText {
    /// Product id.
    pub product_id: String,
    /// Text to embed (`giftvec_product_text`).
    pub text: String,
    /// Its sha256.
    pub content_hash: Vec<u8>,
    /// The model already has an embedding of exactly this text.
    pub up_to_date: bool,
}

const CLAIM: &str = "\
WITH claimable AS (
    SELECT id FROM embedding_jobs
    WHERE model = $1
      AND ((state = 'pending' AND run_after <= now()) OR (state = 'running' AND locked_until < now()))
    ORDER BY id
    LIMIT $2
    FOR UPDATE SKIP LOCKED)
UPDATE embedding_jobs j
SET state = 'running', locked_by = $3, locked_until = now() + make_interval(secs => $4),
    attempts = j.attempts + 1
FROM claimable c
WHERE j.id = c.id
RETURNING j.id, j.product_id, j.attempts";

const TEXTS: &str = "\
SELECT p.id AS product_id, t.text, giftvec_content_hash(t.text) AS content_hash,
       EXISTS (SELECT 1 FROM product_embeddings e
               WHERE e.product_id = p.id AND e.model = $2
                 AND e.content_hash = giftvec_content_hash(t.text)) AS up_to_date
FROM products p,
     LATERAL (SELECT giftvec_product_text(p)) AS t(text)
WHERE p.id = ANY($1)";

// Stores the vectors (a version already stored is left alone) and closes the jobs, in one
// transaction: a job is done exactly when its product's embedding is.
const STORE: &str = "\
INSERT INTO product_embeddings (product_id, model, embedding, content_hash)
SELECT u.product_id, $1, u.embedding, u.content_hash
FROM unnest($2::text[], $3::vector[], $4::bytea[]) AS u(product_id, embedding, content_hash)
WHERE EXISTS (SELECT 1 FROM products p WHERE p.id = u.product_id)
ON CONFLICT (product_id, model) DO UPDATE SET
    embedding = EXCLUDED.embedding, content_hash = EXCLUDED.content_hash, embedded_at = now()
WHERE product_embeddings.content_hash IS DISTINCT FROM EXCLUDED.content_hash";

const DONE: &str = "\
UPDATE embedding_jobs SET state = 'done', finished_at = now(), locked_by = NULL,
       locked_until = NULL, last_error = NULL
WHERE id = ANY($1) AND state = 'running'";

const FAIL: &str = "\
UPDATE embedding_jobs
SET state = CASE WHEN attempts >= $3 THEN 'dead' ELSE 'pending' END,
    last_error = $2, locked_by = NULL, locked_until = NULL,
    run_after = now() + make_interval(secs => $4),
    finished_at = CASE WHEN attempts >= $3 THEN now() END
WHERE id = $1 AND state = 'running'";

const RELEASE: &str = "\
UPDATE embedding_jobs SET state = 'pending', attempts = greatest(attempts - 1, 0),
       locked_by = NULL, locked_until = NULL
WHERE id = ANY($1) AND state = 'running'";

/// Claims up to `limit` due jobs of `model` (and jobs whose lease expired) for `worker`.
#[tracing::instrument(skip(pool, model), fields(model = %model.name))]
pub async fn claim(
    pool: impl Into<DbRef<'_>>,
    model: &EmbeddingModel,
    worker: &str,
    limit: i64,
    lease: Duration,
) -> Result<Vec<ClaimedJob>> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_as(CLAIM)
        .bind(&model.name)
        .bind(limit)
        .bind(worker)
        .bind(lease.as_secs_f64())
        .fetch_all(pool)
        .await?)
}

/// The current text of each product, and whether `model` already has it embedded.
#[tracing::instrument(skip(pool, model, product_ids), fields(model = %model.name))]
pub async fn texts(
    pool: impl Into<DbRef<'_>>,
    model: &EmbeddingModel,
    product_ids: &[String],
) -> Result<Vec<JobText>> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_as(TEXTS)
        .bind(product_ids)
        .bind(&model.name)
        .fetch_all(pool)
        .await?)
}

/// Stores `rows` for `model` and marks `jobs` done, atomically.
#[tracing::instrument(skip_all, fields(model = %model.name, jobs = jobs.len()))]
pub async fn complete(
    pool: impl Into<DbRef<'_>>,
    model: &EmbeddingModel,
    jobs: &[i64],
    rows: &[NewEmbedding],
) -> Result<()> {
    let pool: DbRef<'_> = pool.into();
    let mut tx = pool.begin().await?;
    if !rows.is_empty() {
        let ids: Vec<&str> = rows.iter().map(|r| r.product_id.as_str()).collect();
        let vectors: Vec<pgvector::Vector> =
            rows.iter().map(|r| r.embedding.to_pgvector()).collect();
        let hashes: Vec<&[u8]> = rows.iter().map(|r| r.content_hash.as_slice()).collect();
        sqlx::query(STORE)
            .bind(&model.name)
            .bind(ids)
            .bind(vectors)
            .bind(hashes)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(DONE).bind(jobs).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Records a failed attempt: back to pending after `retry_in`, or dead after `max_attempts`.
#[tracing::instrument(skip(pool))]
pub async fn fail(
    pool: impl Into<DbRef<'_>>,
    job: i64,
    error: &str,
    max_attempts: i32,
    retry_in: Duration,
) -> Result<()> {
    let pool: DbRef<'_> = pool.into();
    sqlx::query(FAIL)
        .bind(job)
        .bind(error)
        .bind(max_attempts)
        .bind(retry_in.as_secs_f64())
        .execute(pool)
        .await?;
    Ok(())
}

/// Hands jobs back untouched (shutdown): pending again, the attempt not counted.
#[tracing::instrument(skip(pool))]
pub async fn release(pool: impl Into<DbRef<'_>>, jobs: &[i64]) -> Result<()> {
    let pool: DbRef<'_> = pool.into();
    sqlx::query(RELEASE).bind(jobs).execute(pool).await?;
    Ok(())
}

/// Jobs of one model by state, with the age of the oldest pending one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, sqlx::FromRow)]
pub struct QueueCounts {
    /// Waiting (including retries waiting for their backoff).
    pub pending: i64,
    /// Held by a worker.
    pub running: i64,
    /// Pending again after at least one failed attempt.
    pub failed: i64,
    /// Gave up after the last attempt.
    pub dead: i64,
    /// Finished.
    pub done: i64,
    /// Seconds since the oldest pending job was queued.
    pub oldest_pending_secs: Option<f64>,
    /// Failed attempts / attempts over the last hour (0 to 1).
    pub failure_rate_1h: f64,
}

/// Queue figures for `model`.
#[tracing::instrument(skip(pool))]
pub async fn counts(pool: impl Into<DbRef<'_>>, model: &str) -> Result<QueueCounts> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_as(
        "SELECT count(*) FILTER (WHERE state = 'pending') AS pending,
                count(*) FILTER (WHERE state = 'running') AS running,
                count(*) FILTER (WHERE state = 'pending' AND attempts > 0) AS failed,
                count(*) FILTER (WHERE state = 'dead') AS dead,
                count(*) FILTER (WHERE state = 'done') AS done,
                extract(epoch FROM now() - min(created_at) FILTER (WHERE state = 'pending'))::float8
                    AS oldest_pending_secs,
                coalesce(sum(a.failed) FILTER (WHERE a.recent)::float8
                         / nullif(sum(a.finished) FILTER (WHERE a.recent), 0), 0) AS failure_rate_1h
         FROM embedding_jobs,
              -- finished attempts, the failed ones among them, and whether the job was active
              -- in the last hour
              LATERAL (SELECT CASE WHEN state = 'running' THEN attempts - 1 ELSE attempts END,
                              CASE WHEN state IN ('done', 'running') THEN attempts - 1 ELSE attempts END,
                              state IN ('pending', 'running')
                                  OR coalesce(finished_at, run_after) > now() - interval '1 hour')
                  AS a(finished, failed, recent)
         WHERE model = $1",
    )
    .bind(model)
    .fetch_one(pool)
    .await?)
}

/// The most recent dead jobs of `model` with their last error.
#[tracing::instrument(skip(pool))]
pub async fn dead(
    pool: impl Into<DbRef<'_>>,
    model: &str,
    limit: i64,
) -> Result<Vec<(String, String)>> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_as(
        "SELECT product_id, coalesce(last_error, '') FROM embedding_jobs
         WHERE model = $1 AND state = 'dead' ORDER BY finished_at DESC LIMIT $2",
    )
    .bind(model)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Puts dead-lettered jobs of `model` back in the queue (after the cause was fixed): the
/// latest dead job of each product becomes pending with its attempts reset, unless the product
/// already has a job waiting or running; older dead jobs of replayed products are removed.
/// Returns how many were requeued.
#[tracing::instrument(skip(pool))]
pub async fn replay_dead(pool: impl Into<DbRef<'_>>, model: &str) -> Result<u64> {
    let pool: DbRef<'_> = pool.into();
    let mut tx = pool.begin().await?;
    let requeued = sqlx::query(
        "WITH latest AS (
            SELECT DISTINCT ON (d.product_id) d.id FROM embedding_jobs d
            WHERE d.state = 'dead' AND d.model = $1
              AND NOT EXISTS (SELECT 1 FROM embedding_jobs w
                              WHERE w.product_id = d.product_id AND w.model = $1
                                AND w.state IN ('pending', 'running'))
            ORDER BY d.product_id, d.finished_at DESC NULLS LAST, d.id DESC)
         UPDATE embedding_jobs j SET state = 'pending', attempts = 0, last_error = NULL,
             run_after = now(), locked_by = NULL, locked_until = NULL, finished_at = NULL
         FROM latest WHERE j.id = latest.id",
    )
    .bind(model)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query(
        "DELETE FROM embedding_jobs d WHERE d.state = 'dead' AND d.model = $1
           AND EXISTS (SELECT 1 FROM embedding_jobs w WHERE w.product_id = d.product_id
                         AND w.model = $1 AND w.state IN ('pending', 'running'))",
    )
    .bind(model)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(requeued)
}
