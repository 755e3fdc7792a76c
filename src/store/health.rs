//! What `giftvec doctor` reads about a server: versions, the pgvector extension, a model's
//! index, a session setting and replication. Catalog queries only, so they work on a database
//! giftvec has never migrated (except [`model_index`], which needs giftvec's functions).

use super::DbRef;

use crate::Result;

/// The server's version string and number (`server_version`, `server_version_num`).
#[tracing::instrument(skip(pool))]
pub async fn server_version(pool: impl Into<DbRef<'_>>) -> Result<(String, i32)> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_as(
        "SELECT current_setting('server_version'), current_setting('server_version_num')::int",
    )
    .fetch_one(pool)
    .await?)
}

/// pgvector's version created in this database, and the version the server offers.
#[tracing::instrument(skip(pool))]
pub async fn pgvector_versions(
    pool: impl Into<DbRef<'_>>,
) -> Result<(Option<String>, Option<String>)> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_as(
        "SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector'),
                (SELECT default_version FROM pg_available_extensions WHERE name = 'vector')",
    )
    .fetch_one(pool)
    .await?)
}

/// A model's HNSW index as the catalog sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexHealth {
    /// Index name.
    pub name: String,
    /// False after an interrupted `CREATE INDEX CONCURRENTLY`: the planner skips it.
    pub valid: bool,
    /// Size on disk.
    pub bytes: i64,
}

/// The HNSW index of `model`, if it exists.
#[tracing::instrument(skip(pool))]
pub async fn model_index(pool: impl Into<DbRef<'_>>, model: &str) -> Result<Option<IndexHealth>> {
    let pool: DbRef<'_> = pool.into();
    let row: Option<(String, bool, i64)> = sqlx::query_as(
        "SELECT c.relname::text, i.indisvalid, pg_relation_size(c.oid)
         FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
         WHERE c.relname = giftvec_model_index_name($1)",
    )
    .bind(model)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(name, valid, bytes)| IndexHealth { name, valid, bytes }))
}

/// The value of setting `name` on one of the pool's connections (`None` when unset).
#[tracing::instrument(skip(pool))]
pub async fn setting(pool: impl Into<DbRef<'_>>, name: &str) -> Result<Option<String>> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_scalar("SELECT current_setting($1, true)")
        .bind(name)
        .fetch_one(pool)
        .await?)
}

/// Whether the server is a standby, and how long ago it replayed the last change (seconds).
#[tracing::instrument(skip(pool))]
pub async fn replication(pool: impl Into<DbRef<'_>>) -> Result<(bool, Option<f64>)> {
    let pool: DbRef<'_> = pool.into();
    Ok(sqlx::query_as(
        "SELECT pg_is_in_recovery(),
                extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8",
    )
    .fetch_one(pool)
    .await?)
}
