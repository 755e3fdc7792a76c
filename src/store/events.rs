//! Shopper events (`events`, append-only) and the preference rows they move.

use super::DbRef;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::Result;
use crate::recommend::Preference;

/// An event to record.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Who.
    pub user_id: String,
    /// Which product.
    pub product_id: String,
    /// `view`, `click`, `add_to_cart`, `purchase`, `like`, `dislike` or `dismiss`.
    pub kind: String,
    /// Signed weight given to it.
    pub weight: f64,
    /// The gift recipient it was for.
    pub recipient_id: Option<String>,
    /// The conversation it happened in.
    pub conversation_id: Option<String>,
    /// The recommendation request it answers.
    pub request_id: Option<String>,
    /// The experiment arm that request was served by.
    pub experiment_arm: Option<String>,
    /// The client's id for it (a replay with the same id counts once).
    pub client_event_id: Option<String>,
}

/// Whether a product with this id exists.
pub async fn product_exists(conn: &mut PgConnection, id: &str) -> Result<bool> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM products WHERE id = $1)")
            .bind(id)
            .fetch_one(conn)
            .await?,
    )
}

/// Of an event's references, those that are not `user_id`'s: `(recipient_id, request_id)`,
/// each true when given and not theirs. A request made without a user (anonymous) is anyone's
/// who holds its id.
pub async fn foreign_references(
    conn: &mut PgConnection,
    user_id: &str,
    recipient_id: Option<&str>,
    request_id: Option<&str>,
) -> Result<(bool, bool)> {
    // Most events name neither: no round trip for them.
    if recipient_id.is_none() && request_id.is_none() {
        return Ok((false, false));
    }
    Ok(sqlx::query_as(
        "SELECT $2::text IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM recipients WHERE user_id = $1 AND id = $2),
                $3::text IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM recommendation_requests
                    WHERE id = $3 AND (user_id IS NULL OR user_id = $1))",
    )
    .bind(user_id)
    .bind(recipient_id)
    .bind(request_id)
    .fetch_one(conn)
    .await?)
}

/// Takes the per-user lock that serialises preference updates of `user_id` until the
/// transaction ends.
pub async fn lock_user(conn: &mut PgConnection, user_id: &str) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('giftvec-user:' || $1, 0))")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Inserts `event`: its id and time, or `None` when the client already sent it.
#[tracing::instrument(skip_all, fields(kind = %event.kind))]
pub async fn insert(
    conn: &mut PgConnection,
    event: &NewEvent,
) -> Result<Option<(i64, DateTime<Utc>)>> {
    Ok(sqlx::query_as(
        "INSERT INTO events (user_id, product_id, kind, weight, recipient_id, conversation_id,
                             request_id, experiment_arm, client_event_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (user_id, client_event_id) WHERE client_event_id IS NOT NULL DO NOTHING
         RETURNING id, occurred_at",
    )
    .bind(&event.user_id)
    .bind(&event.product_id)
    .bind(&event.kind)
    .bind(event.weight)
    .bind(&event.recipient_id)
    .bind(&event.conversation_id)
    .bind(&event.request_id)
    .bind(&event.experiment_arm)
    .bind(&event.client_event_id)
    .fetch_optional(conn)
    .await?)
}

/// The id of the event a client already sent as `client_event_id`.
pub async fn by_client_id(conn: &mut PgConnection, user_id: &str, client_id: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT id FROM events WHERE user_id = $1 AND client_event_id = $2")
            .bind(user_id)
            .bind(client_id)
            .fetch_one(conn)
            .await?,
    )
}

/// Every model's embedding of `product_id`.
pub async fn product_vectors(
    conn: &mut PgConnection,
    product_id: &str,
) -> Result<Vec<(String, Vec<f32>)>> {
    let rows: Vec<(String, pgvector::Vector)> =
        sqlx::query_as("SELECT model, embedding FROM product_embeddings WHERE product_id = $1")
            .bind(product_id)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(m, v)| (m, v.to_vec())).collect())
}

/// The user's preference row under `model`.
pub async fn preference(
    conn: &mut PgConnection,
    user_id: &str,
    model: &str,
) -> Result<Option<Preference>> {
    let row: Option<(pgvector::Vector, f64, i64, DateTime<Utc>)> = sqlx::query_as(
        "SELECT vector, weight_sum, event_count, decay_anchor FROM user_preferences
         WHERE user_id = $1 AND model = $2",
    )
    .bind(user_id)
    .bind(model)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(v, weight_sum, event_count, anchor)| Preference {
        vector: v.to_vec(),
        weight_sum,
        event_count,
        anchor,
    }))
}

/// Writes the user's preference row under `model`.
pub async fn save_preference(
    conn: &mut PgConnection,
    user_id: &str,
    model: &str,
    p: &Preference,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO user_preferences (user_id, model, vector, weight_sum, event_count, decay_anchor)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id, model) DO UPDATE SET vector = excluded.vector,
             weight_sum = excluded.weight_sum, event_count = excluded.event_count,
             decay_anchor = excluded.decay_anchor, updated_at = now()",
    )
    .bind(user_id)
    .bind(model)
    .bind(pgvector::Vector::from(p.vector.clone()))
    .bind(p.weight_sum)
    .bind(p.event_count)
    .bind(p.anchor)
    .execute(conn)
    .await?;
    Ok(())
}

/// A user's events under `model` that have an embedding, oldest first: weight, time, vector.
pub async fn history(
    pool: impl Into<DbRef<'_>>,
    user_id: &str,
    model: &str,
) -> Result<Vec<(f64, DateTime<Utc>, Vec<f32>)>> {
    let pool: DbRef<'_> = pool.into();
    let rows: Vec<(f64, DateTime<Utc>, pgvector::Vector)> = sqlx::query_as(
        "SELECT ev.weight, ev.occurred_at, e.embedding
         FROM events ev JOIN product_embeddings e ON e.product_id = ev.product_id AND e.model = $2
         WHERE ev.user_id = $1 ORDER BY ev.occurred_at, ev.id",
    )
    .bind(user_id)
    .bind(model)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(w, t, v)| (w, t, v.to_vec()))
        .collect())
}

/// Users with events.
pub async fn users(pool: impl Into<DbRef<'_>>) -> Result<Vec<String>> {
    let pool: DbRef<'_> = pool.into();
    Ok(
        sqlx::query_scalar("SELECT DISTINCT user_id FROM events ORDER BY user_id")
            .fetch_all(pool)
            .await?,
    )
}
