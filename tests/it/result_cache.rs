//! The result cache (hot identical calls answered from memory, dropped when the catalog
//! changes, via the database's notifications) and the heavy-query pool (analytics cannot
//! starve interactive tools).

use std::time::Duration;

use giftvec::app::App;
use giftvec::tools::Tool;
use giftvec::tools::result_cache::ResultCache;
use giftvec::tools::similar_products::{Input, Output, SimilarProducts};
use serde_json::json;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::embed_local::local_settings;
use crate::server::seed;

async fn similar(app: &App) -> Output {
    let input: Input =
        serde_json::from_value(json!({"text": "coffee brewing gear", "limit": 3})).unwrap();
    SimilarProducts::call(app, input).await.unwrap()
}

/// Waits until the cache listens for catalog changes (and so caches).
pub async fn listening(cache: &ResultCache) {
    for _ in 0..250 {
        if cache.is_active() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the result cache never started listening");
}

/// The price the cache would show next: polls until the call answers `expected`.
async fn eventually_priced(app: &App, id: &str, expected: f64) {
    for _ in 0..250 {
        let out = similar(app).await;
        if out
            .results
            .iter()
            .any(|h| h.product.id == id && h.product.price == expected)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{id} never showed price {expected}");
}

#[sqlx::test]
async fn hot_calls_are_cached_until_the_catalog_changes(pool: PgPool) {
    let mut app = App::from_pool(pool.clone(), &local_settings())
        .await
        .unwrap();
    seed(&app).await;
    app.results = ResultCache::start(
        giftvec::tools::result_cache::Invalidation::Listen(pool.clone()),
        100,
        Duration::from_secs(600),
    );
    listening(&app.results).await;

    let first = similar(&app).await;
    let top = first.results[0].product.clone();
    assert_eq!(app.results.entry_count().await, 1);

    // A change the cache is not told about (notifications switched off): the cached answer
    // keeps being served, which shows it is a cache hit.
    sqlx::query("ALTER TABLE products DISABLE TRIGGER products_notify_catalog")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE products SET price = price + 1000 WHERE id = $1")
        .bind(&top.id)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(similar(&app).await, first, "served from the cache");

    // A change it is told about: the next calls see the database again.
    sqlx::query("ALTER TABLE products ENABLE TRIGGER products_notify_catalog")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE products SET price = price + 1 WHERE id = $1")
        .bind(&top.id)
        .execute(&pool)
        .await
        .unwrap();
    eventually_priced(&app, &top.id, top.price + 1001.0).await;

    // Re-embedding counts as a change too.
    let before = similar(&app).await;
    sqlx::query("DELETE FROM product_embeddings WHERE product_id = $1")
        .bind(&top.id)
        .execute(&pool)
        .await
        .unwrap();
    for _ in 0..250 {
        let now = similar(&app).await;
        if now.results.iter().all(|h| h.product.id != top.id) {
            assert_ne!(now, before);
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("a product without an embedding was still served from the cache");
}

#[sqlx::test]
async fn a_busy_heavy_pool_does_not_slow_interactive_tools(pool: PgPool) {
    let mut app = App::from_pool(pool.clone(), &local_settings())
        .await
        .unwrap();
    seed(&app).await;
    app.heavy = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_millis(300))
        .connect_with(pool.connect_options().as_ref().clone())
        .await
        .unwrap()
        .into();
    // Someone holds the only heavy connection (a long analytics query, say).
    let held = app.heavy.pool().acquire().await.unwrap();

    let err = giftvec::tools::search_stats::SearchStatsTool::call(
        &app,
        serde_json::from_value(json!({})).unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "busy", "{err}");
    let found = similar(&app).await;
    assert_eq!(
        found.results.len(),
        3,
        "interactive tools keep their own pool"
    );
    let input = serde_json::from_value(json!({"query": "coffee", "limit": 3})).unwrap();
    let searched = giftvec::tools::search_products::SearchProducts::call(&app, input)
        .await
        .unwrap();
    assert_eq!(searched.results.len(), 3);
    drop(held);
    // The search's log line waited for the heavy pool: give it past the pool's acquire
    // timeout to be written (or given up) so the count below is settled.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let stats = giftvec::tools::search_stats::SearchStatsTool::call(
        &app,
        serde_json::from_value(json!({})).unwrap(),
    )
    .await
    .unwrap();
    let logged: i64 = sqlx::query_scalar("SELECT count(*) FROM search_queries")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        stats.searches, logged,
        "the heavy pool serves again once freed"
    );
}
