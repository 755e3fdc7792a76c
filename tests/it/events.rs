//! record_event: append-only events that move the user's preference vector in their own
//! transaction; a replay counts once; an unknown product stores nothing; the incremental
//! vector equals a rebuild from history and a brute-force sum; the next search reflects it.

use std::sync::Arc;
use std::time::Duration;

use giftvec::app::App;
use giftvec::recommend::{self, PreferenceSettings};
use giftvec::tools::Tool;
use giftvec::tools::record_event::Output;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::embed_local::local_settings;
use crate::server::seed;

async fn record(app: &App, args: Value) -> giftvec::Result<Output> {
    crate::common::call_tool(app, "record_event", args).await
}

async fn count(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// A seeded app whose preferences halve every 200 ms, so decay shows within a test.
async fn app(pool: &PgPool) -> App {
    let mut app = App::from_pool(pool.clone(), &local_settings())
        .await
        .unwrap();
    seed(&app).await;
    app.preferences = Arc::new(PreferenceSettings {
        half_life: Duration::from_millis(200),
        ..PreferenceSettings::default()
    });
    app
}

#[sqlx::test]
async fn events_build_the_preference_vector_incrementally(pool: PgPool) {
    let app = app(&pool).await;
    let events = [
        ("fishing-002", "purchase"),
        ("fishing-009", "like"),
        ("coffee-tea-005", "dislike"),
        ("fishing-016", "click"),
    ];
    for (product, kind) in events {
        let out = record(
            &app,
            json!({"user_id": "u1", "product_id": product, "kind": kind}),
        )
        .await
        .unwrap();
        assert!(out.recorded);
        assert_eq!(out.preference_models, std::slice::from_ref(&app.model.name));
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    let stored: (pgvector::Vector, i64) =
        sqlx::query_as("SELECT vector, event_count FROM user_preferences WHERE user_id = 'u1'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stored.1, 4);
    let incremental = stored.0.to_vec();

    // Brute force: Σ w · e · 2^(−(t_last − t)/h) straight from the tables.
    let rows: Vec<(f64, f64, pgvector::Vector)> = sqlx::query_as(
        "SELECT ev.weight, extract(epoch FROM max(ev.occurred_at) OVER () - ev.occurred_at)::float8,
                e.embedding
         FROM events ev JOIN product_embeddings e ON e.product_id = ev.product_id
         WHERE ev.user_id = 'u1'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut expected = vec![0f64; 384];
    for (weight, age, vector) in &rows {
        let factor = weight * 0.5f64.powf(age / 0.2);
        for (x, v) in expected.iter_mut().zip(vector.as_slice()) {
            *x += factor * f64::from(*v);
        }
    }
    let weights: Vec<f64> = rows.iter().map(|r| r.0).collect();
    assert!(
        weights.contains(&-1.5),
        "dislike weighs negative: {weights:?}"
    );
    for (got, want) in incremental.iter().zip(&expected) {
        assert!((f64::from(*got) - want).abs() < 1e-4, "{got} vs {want}");
    }

    let rebuilt = recommend::events::rebuild(&app, "u1", &app.model.name)
        .await
        .unwrap()
        .unwrap();
    for (a, b) in rebuilt.vector.iter().zip(&incremental) {
        assert!((a - b).abs() < 1e-5);
    }
    assert_eq!(rebuilt.event_count, 4);
}

#[sqlx::test]
async fn a_replay_counts_once_and_an_unknown_product_stores_nothing(pool: PgPool) {
    let app = app(&pool).await;
    sqlx::query(
        "INSERT INTO recommendation_requests (id, user_id, model, input) VALUES ('r-9', 'u2', 'm', '{}')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let args = json!({"user_id": "u2", "product_id": "fishing-002", "kind": "like",
                      "client_event_id": "ev-1", "request_id": "r-9", "experiment_arm": "a"});
    let first = record(&app, args.clone()).await.unwrap();
    let before: pgvector::Vector =
        sqlx::query_scalar("SELECT vector FROM user_preferences WHERE user_id = 'u2'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let again = record(&app, args).await.unwrap();
    assert_eq!((again.event_id, again.recorded), (first.event_id, false));
    assert!(again.preference_models.is_empty());
    assert_eq!(count(&pool, "SELECT count(*) FROM events").await, 1);
    let after: pgvector::Vector =
        sqlx::query_scalar("SELECT vector FROM user_preferences WHERE user_id = 'u2'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(after, before, "a replay leaves the taste alone");

    let err = record(
        &app,
        json!({"user_id": "u3", "product_id": "no-such-thing'; --", "kind": "purchase"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "not_found");
    assert_eq!(count(&pool, "SELECT count(*) FROM events").await, 1);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM user_preferences WHERE user_id = 'u3'"
        )
        .await,
        0
    );
    let err = record(
        &app,
        json!({"user_id": "", "product_id": "fishing-002", "kind": "view"}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "user_id: must be 1 to 128 characters, got 0"
    );
    let err = sqlx::query("UPDATE events SET weight = 9")
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
}

#[sqlx::test]
async fn an_event_changes_the_next_search(pool: PgPool) {
    let app = app(&pool).await;
    let search = |user: Option<&str>| {
        let mut args = json!({"query": "a birthday present", "limit": 10, "personal_weight": 0.5});
        if let Some(user) = user {
            args["user_id"] = json!(user);
        }
        let app = app.clone();
        async move {
            let input = serde_json::from_value(args).unwrap();
            giftvec::tools::search_products::SearchProducts::call(&app, input)
                .await
                .unwrap()
        }
    };
    let before = search(Some("angler")).await;
    assert!(!before.personalised, "no events yet, no taste");
    for product in ["fishing-002", "fishing-009", "fishing-016"] {
        record(
            &app,
            json!({"user_id": "angler", "product_id": product, "kind": "purchase"}),
        )
        .await
        .unwrap();
    }
    let after = search(Some("angler")).await;
    assert!(after.personalised);
    let fishing = |out: &giftvec::tools::search_products::Output| {
        out.results
            .iter()
            .filter(|h| h.product.category == "Fishing")
            .count()
    };
    assert!(fishing(&after) > fishing(&before), "{:?}", after.results);
}

#[sqlx::test]
async fn the_rebuild_command_recomputes_what_events_built(pool: PgPool) {
    let mut app = App::from_pool(pool.clone(), &local_settings())
        .await
        .unwrap();
    seed(&app).await;
    app.preferences = Arc::new(PreferenceSettings::default());
    for (product, kind) in [("fishing-002", "purchase"), ("coffee-tea-005", "dismiss")] {
        record(
            &app,
            json!({"user_id": "u4", "product_id": product, "kind": kind}),
        )
        .await
        .unwrap();
    }
    let read = || async {
        let v: pgvector::Vector =
            sqlx::query_scalar("SELECT vector FROM user_preferences WHERE user_id = 'u4'")
                .fetch_one(&pool)
                .await
                .unwrap();
        v.to_vec()
    };
    let incremental = read().await;
    sqlx::query("UPDATE user_preferences SET vector = array_fill(0, ARRAY[384])::vector")
        .execute(&pool)
        .await
        .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_giftvec"))
        .args(["rebuild-preferences"])
        .env("DATABASE_URL", crate::common::url_of(&pool))
        .env("GIFTVEC_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("rebuilt 1 users' preference vectors"),
        "{stdout}"
    );
    for (a, b) in read().await.iter().zip(&incremental) {
        assert!((a - b).abs() < 1e-5);
    }
}
