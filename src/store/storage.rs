//! How much space giftvec's tables and indexes take (for metrics and the status page).

use super::DbRef;

use crate::Result;

/// A table's size with its TOAST data and indexes.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSize {
    /// Table name.
    pub name: String,
    /// Bytes.
    pub bytes: i64,
}

/// An index's size.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexSize {
    /// Index name.
    pub name: String,
    /// Its table.
    pub table: String,
    /// Bytes.
    pub bytes: i64,
}

/// Sizes of the schema's tables and indexes and of the database.
#[derive(Debug, Clone, PartialEq)]
pub struct Sizes {
    /// Tables, largest first.
    pub tables: Vec<TableSize>,
    /// Indexes, largest first.
    pub indexes: Vec<IndexSize>,
    /// The whole database.
    pub database_bytes: i64,
}

/// Sizes of the tables and indexes in the current schema.
#[tracing::instrument(skip(pool))]
pub async fn sizes(pool: impl Into<DbRef<'_>>) -> Result<Sizes> {
    let pool: DbRef<'_> = pool.into();
    let tables: Vec<(String, i64)> = sqlx::query_as(
        // A table dropped while this runs has no size (NULL): left out.
        "SELECT name, bytes FROM (
             SELECT c.relname::text AS name, pg_total_relation_size(c.oid) AS bytes
             FROM pg_class c WHERE c.relkind IN ('r', 'p')
               AND c.relnamespace = current_schema()::regnamespace
               AND c.relname NOT LIKE '\\_sqlx%') t
         WHERE bytes IS NOT NULL
         ORDER BY 2 DESC, 1",
    )
    .fetch_all(pool)
    .await?;
    let indexes: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT name, tab, bytes FROM (
             SELECT i.indexrelname::text AS name, i.relname::text AS tab,
                    pg_relation_size(i.indexrelid) AS bytes
             FROM pg_stat_user_indexes i WHERE i.schemaname = current_schema()) t
         WHERE bytes IS NOT NULL
         ORDER BY 3 DESC, 1",
    )
    .fetch_all(pool)
    .await?;
    let database_bytes: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
        .fetch_one(pool)
        .await?;
    Ok(Sizes {
        tables: tables
            .into_iter()
            .map(|(name, bytes)| TableSize { name, bytes })
            .collect(),
        indexes: indexes
            .into_iter()
            .map(|(name, table, bytes)| IndexSize { name, table, bytes })
            .collect(),
        database_bytes,
    })
}
