//! Search analytics: every search is logged (in the background), past queries like a new one
//! are found, and search_stats reports volume, zero-result rate, modes, top queries, latency.

use std::time::Duration;

use giftvec::app::App;
use giftvec::tools::Tool;
use giftvec::tools::find_similar_queries::{self, FindSimilarQueries};
use giftvec::tools::search_products::{self, SearchProducts};
use giftvec::tools::search_stats::{self, SearchStatsTool};
use serde_json::json;
use sqlx::PgPool;

use crate::embed_local::local_settings;

/// Waits until `n` searches are in the log (it is written in the background).
pub async fn logged(pool: &PgPool, n: i64) {
    for _ in 0..100 {
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM search_queries")
            .fetch_one(pool)
            .await
            .unwrap();
        if rows >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("searches were not logged");
}

#[sqlx::test]
async fn searches_are_logged_found_again_and_counted(pool: PgPool) {
    let app = App::from_pool(pool.clone(), &local_settings())
        .await
        .unwrap();
    crate::server::seed(&app).await;
    for (query, mode) in [
        ("gift for a coffee lover", "hybrid"),
        ("Gift for a coffee lover", "semantic"),
        ("present for a fisherman", "hybrid"),
        ("zzqxv wobbleflux", "keyword"),
    ] {
        let input: search_products::Input =
            serde_json::from_value(json!({"query": query, "mode": mode, "limit": 5})).unwrap();
        SearchProducts::call(&app, input).await.unwrap();
    }
    logged(&pool, 4).await;
    let (mode, results, latency, has_embedding): (String, Vec<String>, f32, bool) = sqlx::query_as(
        "SELECT mode, result_ids, latency_ms, embedding IS NOT NULL FROM search_queries WHERE query = 'gift for a coffee lover'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (mode.as_str(), results.len(), has_embedding),
        ("hybrid", 5, true)
    );
    assert!(latency > 0.0);

    let input: find_similar_queries::Input = serde_json::from_value(
        json!({"query": "something for someone who loves coffee", "limit": 2}),
    )
    .unwrap();
    let similar = FindSimilarQueries::call(&app, input).await.unwrap();
    assert_eq!(
        similar.queries[0].query.to_lowercase(),
        "gift for a coffee lover",
        "{similar:?}"
    );
    assert_eq!(
        similar.queries[0].times, 2,
        "case variants count as one query"
    );
    assert!(similar.queries[0].similarity > similar.queries[1].similarity);

    let stats = SearchStatsTool::call(
        &app,
        serde_json::from_value::<search_stats::Input>(json!({})).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(stats.searches, 4);
    assert!((stats.zero_result_rate - 0.25).abs() < 1e-9, "{stats:?}");
    assert!(
        stats.p50_latency_ms.unwrap() > 0.0
            && stats.p95_latency_ms.unwrap() >= stats.p50_latency_ms.unwrap()
    );
    assert_eq!(stats.top_queries[0].query, "gift for a coffee lover");
    assert_eq!(stats.top_queries[0].searches, 2);
    let hybrid = stats.by_mode.iter().find(|m| m.mode == "hybrid").unwrap();
    assert_eq!(hybrid.searches, 2);

    let err = crate::common::call_tool::<serde_json::Value>(
        &app,
        "search_stats",
        json!({"window_hours": 0}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "window_hours: must be between 1 and 720, got 0"
    );
}
