//! HNSW query settings. Every checkout of giftvec's pools starts with the search default of
//! `hnsw.ef_search` and with iterative scans on (startup options of a direct connection, the
//! role's settings or `SET LOCAL` behind a pooler: [`super::session`]), so a vector query at
//! the default runs as one statement; a query that needs another `ef_search` sets it for its
//! own transaction only.

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::QueryAs;
use sqlx::{FromRow, PgPool, Postgres};

use super::DbRef;
use crate::Result;

/// pgvector's HNSW candidate-list setting.
pub(crate) const EF_SEARCH: &str = "hnsw.ef_search";
/// pgvector's iterative-scan setting.
pub(crate) const ITERATIVE_SCAN: &str = "hnsw.iterative_scan";
/// Iterative scans that may return results slightly out of order (the queries re-sort).
pub(crate) const RELAXED_ORDER: &str = "relaxed_order";

/// The `hnsw.ef_search` the pool's connections start with, when they also start with
/// iterative scans on; `None` for a pool opened elsewhere (tests, tools) without them.
pub fn session_ef_search(pool: &PgPool) -> Option<u32> {
    let options = pool.connect_options();
    let text = options.get_options()?;
    let mut ef = None;
    let mut iterative = false;
    for option in text.split("-c ").map(str::trim) {
        match option.split_once('=') {
            Some((EF_SEARCH, value)) => ef = value.parse().ok(),
            Some((ITERATIVE_SCAN, RELAXED_ORDER)) => iterative = true,
            _ => {}
        }
    }
    ef.filter(|_| iterative)
}

/// All rows of `query`, a vector query, scanned with `ef_search` and iterative scans on: on
/// the pool directly when its checkouts start that way (one round trip), otherwise in a
/// transaction that sets both first (`BEGIN`, `set_config`, the query, `COMMIT`).
pub async fn fetch_all<'q, O>(
    pool: DbRef<'_>,
    ef_search: u32,
    query: QueryAs<'q, Postgres, O, PgArguments>,
) -> Result<Vec<O>>
where
    O: Send + Unpin + for<'r> FromRow<'r, PgRow>,
{
    let ef_search = ef_search.clamp(1, 1000);
    if pool.checkout_ef_search() == Some(ef_search) {
        return Ok(query.fetch_all(pool).await?);
    }
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT set_config($1, $2, true), set_config($3, $4, true)")
        .bind(EF_SEARCH)
        .bind(ef_search.to_string())
        .bind(ITERATIVE_SCAN)
        .bind(RELAXED_ORDER)
        .execute(&mut *tx)
        .await?;
    let rows = query.fetch_all(&mut *tx).await?;
    tx.commit().await?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

    fn pool(options: &[(&str, &str)]) -> PgPool {
        let connect = PgConnectOptions::new().options(options.iter().copied());
        PgPoolOptions::new().connect_lazy_with(connect)
    }

    #[tokio::test]
    async fn reads_the_startup_settings_of_the_pool() {
        let both = pool(&[
            ("statement_timeout", "30000"),
            (EF_SEARCH, "150"),
            (ITERATIVE_SCAN, RELAXED_ORDER),
        ]);
        assert_eq!(session_ef_search(&both), Some(150));
        // Without iterative scans a filtered query could come back short: not the default.
        assert_eq!(session_ef_search(&pool(&[(EF_SEARCH, "150")])), None);
        assert_eq!(session_ef_search(&pool(&[])), None);
    }
}
