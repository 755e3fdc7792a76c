//! One user's data stays theirs: events cannot point at another user's recipient or
//! recommendation (and learn that it exists), and one caller repeating events cannot make a
//! product popular. (Per-user recipient ids: tests/it/recipients.rs; explanations only to the
//! request's user: tests/it/tool_server.rs.)

use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::call_tool;
use crate::server::{TestServer, all_tools};

async fn call(server: &TestServer, tool: &str, args: Value) -> giftvec::Result<Value> {
    call_tool(&server.app, tool, args).await
}

async fn events(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn events_refuse_another_users_recipient_and_request(pool: PgPool) {
    let server = TestServer::start(pool.clone(), all_tools()).await;
    let product: String = sqlx::query_scalar("SELECT id FROM products ORDER BY id LIMIT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    call(
        &server,
        "upsert_recipient",
        json!({"user_id": "alice", "recipient_id": "mum", "name": "Mum"}),
    )
    .await
    .unwrap();
    let gifts = call(
        &server,
        "recommend_gifts",
        json!({"user_id": "alice", "recipient_id": "mum", "context": "tea", "limit": 2}),
    )
    .await
    .unwrap();
    let request = gifts["request_id"].as_str().unwrap();

    for (args, field) in [
        (json!({"recipient_id": "mum"}), "recipient_id"),
        (json!({"request_id": request}), "request_id"),
        (json!({"recipient_id": "nobody-has-this"}), "recipient_id"),
        (json!({"request_id": "rec_nobody_has_this"}), "request_id"),
    ] {
        let mut event = json!({"user_id": "mallory", "product_id": product, "kind": "click"});
        event
            .as_object_mut()
            .unwrap()
            .extend(args.as_object().unwrap().clone());
        let err = call(&server, "record_event", event.clone())
            .await
            .unwrap_err();
        assert_eq!(
            (err.code(), err.field()),
            ("not_found", Some(field)),
            "{event}"
        );
    }
    // Another user's and a made-up id get the same words: neither reveals what exists.
    let message = |args: Value| {
        let server = &server;
        let product = product.clone();
        async move {
            let mut event = json!({"user_id": "mallory", "product_id": product, "kind": "click"});
            event
                .as_object_mut()
                .unwrap()
                .extend(args.as_object().unwrap().clone());
            call(server, "record_event", event)
                .await
                .unwrap_err()
                .to_string()
        }
    };
    assert_eq!(
        message(json!({"recipient_id": "mum"})).await,
        message(json!({"recipient_id": "nobody-has-this"})).await
    );
    assert_eq!(events(&pool).await, 0, "no refused event was stored");

    let own = json!({"user_id": "alice", "product_id": product, "kind": "click",
                     "recipient_id": "mum", "request_id": request});
    call(&server, "record_event", own).await.unwrap();
    assert_eq!(events(&pool).await, 1);
}

#[sqlx::test]
async fn popularity_counts_users_not_events(pool: PgPool) {
    let server = TestServer::start(pool.clone(), all_tools()).await;
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM products ORDER BY id LIMIT 2")
        .fetch_all(&pool)
        .await
        .unwrap();
    let (spammed, once) = (&ids[0], &ids[1]);
    for i in 0..10 {
        call(
            &server,
            "record_event",
            json!({"user_id": "spammer", "product_id": spammed,
            "kind": "purchase", "client_event_id": format!("e{i}")}),
        )
        .await
        .unwrap();
    }
    call(
        &server,
        "record_event",
        json!({"user_id": "shopper", "product_id": once, "kind": "purchase"}),
    )
    .await
    .unwrap();
    let popularity = |product: String| {
        let server = &server;
        async move {
            let why = call(
                server,
                "explain_recommendation",
                json!({"product_id": product, "context": "a present"}),
            )
            .await
            .unwrap();
            why["components"]["popularity"].as_f64().unwrap()
        }
    };
    let (a, b) = (
        popularity(spammed.clone()).await,
        popularity(once.clone()).await,
    );
    assert!(a > 0.0, "a purchase counts");
    assert!(
        (a - b).abs() < 1e-9,
        "ten purchases by one user count as one: {a} vs {b}"
    );
}
