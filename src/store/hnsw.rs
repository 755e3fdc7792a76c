//! HNSW query settings. Every connection giftvec opens starts with the search default of
//! `hnsw.ef_search` and with iterative scans on (startup options, [`super::connect`]), so a
//! vector query at the default runs as one statement; a query that needs another `ef_search`
//! sets it for its own transaction only.

use sqlx::{PgPool, Postgres, Transaction};

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
        if let Some(value) = option.strip_prefix("hnsw.ef_search=") {
            ef = value.parse().ok();
        } else if option == "hnsw.iterative_scan=relaxed_order" {
            iterative = true;
        }
    }
    ef.filter(|_| iterative)
}

/// A transaction whose vector queries scan with `ef_search` and iterative scans on, or `None`
/// when the pool's connections already do (then query the pool directly: one round trip
/// instead of four).
pub async fn transaction_for(
    pool: &PgPool,
    ef_search: u32,
) -> Result<Option<Transaction<'static, Postgres>>> {
    let ef_search = ef_search.clamp(1, 1000);
    if session_ef_search(pool) == Some(ef_search) {
        return Ok(None);
    }
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT set_config($1, $2, true), set_config($3, $4, true)")
        .bind(EF_SEARCH)
        .bind(ef_search.to_string())
        .bind(ITERATIVE_SCAN)
        .bind(RELAXED_ORDER)
        .execute(&mut *tx)
        .await?;
    Ok(Some(tx))
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
