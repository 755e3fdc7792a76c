//! The catalog's common words: lexemes in more than a set share of products, which keyword
//! search does not let make a product a candidate on their own (`store::keyword`). Read from
//! the planner's statistics and kept for a few minutes, so a search costs no lookup.

use crate::store::DbRef;
use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use crate::store;

/// How long a read of the statistics is used (they change when ANALYZE runs).
const REFRESH: Duration = Duration::from_secs(300);

/// The common lexemes, cached.
#[derive(Clone)]
pub struct CommonTerms {
    cache: Cache<(), Arc<Vec<String>>>,
}

impl Default for CommonTerms {
    fn default() -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(1)
                .time_to_live(REFRESH)
                .build(),
        }
    }
}

impl CommonTerms {
    /// Lexemes in more than `share` of products (none when `share` is 0 or the statistics
    /// cannot be read: keyword search then considers every match, as it always could).
    pub async fn get(&self, pool: impl Into<DbRef<'_>>, share: f64) -> Arc<Vec<String>> {
        let pool: DbRef<'_> = pool.into();
        if share <= 0.0 {
            return Arc::default();
        }
        self.cache
            .get_with((), async {
                match store::keyword::common_lexemes(pool, share).await {
                    Ok(lexemes) => Arc::new(lexemes),
                    Err(err) => {
                        tracing::warn!(error = %err, "could not read the catalog's common words");
                        Arc::default()
                    }
                }
            })
            .await
    }
}
