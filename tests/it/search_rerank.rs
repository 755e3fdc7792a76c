//! search_products beyond the three modes: fusion overrides, the personal re-rank, query
//! expansion from past searches and from a chat model's rewrites, and the checks on the new
//! arguments (unknown category, weights out of range).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use giftvec::app::App;
use giftvec::search::{ChatSettings, SearchSettings};
use giftvec::store::{self, Embedding};
use giftvec::tools::Tool;
use giftvec::tools::search_products::Output;
use serde_json::{Value, json};
use sqlx::PgPool;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::embed_local::local_settings;
use crate::server::seed;

async fn search(app: &App, args: Value) -> giftvec::Result<Output> {
    crate::common::call_tool(app, "search_products", args).await
}

fn ids(out: &Output) -> Vec<String> {
    out.results.iter().map(|h| h.product.id.clone()).collect()
}

async fn seeded(pool: PgPool) -> App {
    let app = App::from_pool(pool, &local_settings()).await.unwrap();
    seed(&app).await;
    app
}

#[sqlx::test]
async fn a_zero_keyword_weight_is_pure_semantic_order(pool: PgPool) {
    let app = seeded(pool).await;
    let query = "something cosy for a cold winter evening";
    let semantic = search(
        &app,
        json!({"query": query, "mode": "semantic", "limit": 15}),
    )
    .await
    .unwrap();
    let fused = search(
        &app,
        json!({"query": query, "limit": 15, "fusion": {"keyword_weight": 0.0, "category_vote": 0.0}}),
    )
    .await
    .unwrap();
    assert_eq!(ids(&fused), ids(&semantic));
    let heavy_keywords = search(
        &app,
        json!({"query": query, "limit": 15, "fusion": {"keyword_weight": 10.0, "semantic_weight": 0.0, "category_vote": 0.0, "keyword_evidence": 0.0}}),
    )
    .await
    .unwrap();
    let keyword = search(
        &app,
        json!({"query": query, "mode": "keyword", "limit": 15}),
    )
    .await
    .unwrap();
    assert_eq!(
        ids(&heavy_keywords)[..ids(&keyword).len()],
        ids(&keyword)[..],
        "keyword matches first, in keyword order"
    );
    // The category vote: the fused (here: semantic) order re-scored by each product's
    // category's share of the top 10's vote (each by exp((cos - best cos) / 0.05)), as
    // documented.
    let voted = search(
        &app,
        json!({"query": query, "limit": 15, "fusion": {"keyword_weight": 0.0, "category_vote": 3.0, "rrf_k": 10.0}}),
    )
    .await
    .unwrap();
    let pool = search(
        &app,
        json!({"query": query, "mode": "semantic", "limit": 75}),
    )
    .await
    .unwrap();
    let mut votes: std::collections::HashMap<&str, f64> = Default::default();
    let best = pool.results[0].score;
    for h in pool.results.iter().take(10) {
        *votes.entry(h.product.category.as_str()).or_default() += ((h.score - best) / 0.05).exp();
    }
    let total: f64 = votes.values().sum();
    let mut expected: Vec<(f64, String)> = pool
        .results
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let share = votes
                .get(h.product.category.as_str())
                .copied()
                .unwrap_or(0.0)
                / total;
            let rrf = 1.0 / (10.0 + i as f64 + 1.0);
            (rrf * (1.0 + 3.0 * share), h.product.id.clone())
        })
        .collect();
    expected.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let expected: Vec<String> = expected.into_iter().take(15).map(|e| e.1).collect();
    assert_eq!(ids(&voted), expected);
    assert_ne!(ids(&voted), ids(&semantic), "the vote moved something");
    for (args, message) in [
        (
            json!({"query": "x", "fusion": {"keyword_weight": 11}}),
            "fusion.keyword_weight: must be between 0 and 10, got 11",
        ),
        (
            json!({"query": "x", "fusion": {"rrf_k": -1}}),
            "fusion.rrf_k: must be between 0 and 1000, got -1",
        ),
        (
            json!({"query": "x", "personal_weight": 1.5, "user_id": "u"}),
            "personal_weight: must be between 0 and 1, got 1.5",
        ),
        (
            json!({"query": "x", "user_id": ""}),
            "user_id: must be 1 to 128 characters, got 0",
        ),
    ] {
        let err = search(&app, args).await.unwrap_err();
        assert_eq!(err.code(), "invalid_input");
        assert_eq!(err.to_string(), message);
    }
}

#[sqlx::test]
async fn an_unknown_category_is_named_with_the_ones_that_exist(pool: PgPool) {
    let app = seeded(pool).await;
    let err = search(
        &app,
        json!({"query": "gift", "filters": {"category": "coffee & tea"}}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "filters.category: no product has the category \"coffee & tea\"; did you mean \"Coffee & Tea\"? Names are exact"
    );
    let err = search(
        &app,
        json!({"query": "gift", "filters": {"exclude_category": "Spaceships"}}),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().starts_with("filters.exclude_category: no product has the category \"Spaceships\"; the categories are: ")
            && err.to_string().contains("Fishing"),
        "{err}"
    );
    let input = serde_json::from_value(
        json!({"text": "a mug", "filters": {"category": "Mugs'; DROP TABLE products; --"}}),
    )
    .unwrap();
    let err = giftvec::tools::similar_products::SimilarProducts::call(&app, input)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
    assert_eq!(store::products::count(&app.db).await.unwrap(), 78);
}

#[sqlx::test]
async fn the_personal_rerank_follows_the_users_taste(pool: PgPool) {
    let app = seeded(pool).await;
    // A shopper whose history is fishing gear.
    let fishing: Vec<String> =
        sqlx::query_scalar("SELECT id FROM products WHERE category = 'Fishing' ORDER BY id")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    let mut taste = vec![0f32; 384];
    for id in &fishing {
        let v = store::embeddings::get(&app.db, &app.model, id)
            .await
            .unwrap()
            .unwrap();
        for (t, x) in taste.iter_mut().zip(v.as_slice()) {
            *t += x;
        }
    }
    let taste = Embedding::new(taste, 384).unwrap();
    store::people::set_preference(&app.db, &app.model, "angler", &taste)
        .await
        .unwrap();

    let query = "a birthday present";
    let anonymous = search(&app, json!({"query": query, "limit": 10}))
        .await
        .unwrap();
    assert!(!anonymous.personalised);
    let stranger = search(
        &app,
        json!({"query": query, "limit": 10, "user_id": "nobody"}),
    )
    .await
    .unwrap();
    assert!(!stranger.personalised, "no preference vector: no re-rank");
    assert_eq!(ids(&stranger), ids(&anonymous));
    let weightless = search(
        &app,
        json!({"query": query, "limit": 10, "user_id": "angler", "personal_weight": 0.0}),
    )
    .await
    .unwrap();
    assert_eq!(
        ids(&weightless),
        ids(&anonymous),
        "weight 0 changes nothing"
    );

    let all_taste = search(
        &app,
        json!({"query": query, "limit": 10, "user_id": "angler", "personal_weight": 1.0}),
    )
    .await
    .unwrap();
    assert!(all_taste.personalised);
    // Weight 1: the order is that of the cosine to the taste vector, checked against a
    // brute-force cosine over the stored embeddings.
    let mut brute: HashMap<String, f64> = HashMap::new();
    for hit in &all_taste.results {
        let v = store::embeddings::get(&app.db, &app.model, &hit.product.id)
            .await
            .unwrap()
            .unwrap();
        brute.insert(
            hit.product.id.clone(),
            1.0 - crate::common::cosine_distance(taste.as_slice(), v.as_slice()),
        );
    }
    for pair in all_taste.results.windows(2) {
        assert!(pair[0].score >= pair[1].score);
        assert!(brute[&pair[0].product.id] >= brute[&pair[1].product.id] - 1e-6);
    }
    for hit in &all_taste.results {
        let reported = hit.personal_similarity.unwrap();
        assert!((reported - brute[&hit.product.id]).abs() < 1e-4, "{hit:?}");
    }
    let fishing_share = |out: &Output| {
        out.results
            .iter()
            .filter(|h| h.product.category == "Fishing")
            .count()
    };
    assert!(fishing_share(&all_taste) >= 3, "{:?}", ids(&all_taste));
    let balanced = search(
        &app,
        json!({"query": query, "limit": 10, "user_id": "angler", "personal_weight": 0.5}),
    )
    .await
    .unwrap();
    assert!(
        fishing_share(&balanced) > fishing_share(&anonymous),
        "{:?} vs {:?}",
        ids(&balanced),
        ids(&anonymous)
    );
}

#[sqlx::test]
async fn expansion_uses_similar_past_searches_and_chat_rewrites(pool: PgPool) {
    let mut app = seeded(pool.clone()).await;
    // Only a search that several users made, and one of them acted on, expands another
    // caller's: three users asked "gift for coffee lovers" and one clicked a result; one user
    // alone asked (and clicked) "espresso gear -grinder".
    let mut first_results = Vec::new();
    for (user, query) in [
        ("u1", "gift for coffee lovers"),
        ("u2", "espresso gear -grinder"),
        ("u3", "Gift for coffee lovers"),
    ] {
        let out = search(&app, json!({"query": query, "user_id": user}))
            .await
            .unwrap();
        first_results.push((user, out.results[0].product.id.clone()));
    }
    crate::search_analytics::logged(&pool, 3).await;
    for (user, product) in &first_results[..2] {
        let click = json!({"user_id": user, "product_id": product, "kind": "click"});
        crate::common::call_tool::<Value>(&app, "record_event", click)
            .await
            .unwrap();
    }
    let two_users = search(
        &app,
        json!({"query": "a gift for a coffee lover", "expand": true}),
    )
    .await
    .unwrap();
    assert!(
        two_users.expansions.is_empty(),
        "two users are not enough: {two_users:?}"
    );
    search(
        &app,
        json!({"query": "gift for coffee lovers", "user_id": "u4"}),
    )
    .await
    .unwrap();
    crate::search_analytics::logged(&pool, 5).await;

    let plain = search(&app, json!({"query": "a gift for a coffee lover"}))
        .await
        .unwrap();
    assert!(plain.expansions.is_empty(), "expansion is opt-in");
    let expanded = search(
        &app,
        json!({"query": "a gift for a coffee lover", "expand": true}),
    )
    .await
    .unwrap();
    let used: Vec<(&str, Value)> = expanded
        .expansions
        .iter()
        .map(|e| (e.query.as_str(), serde_json::to_value(e.source).unwrap()))
        .collect();
    assert_eq!(
        used,
        [("gift for coffee lovers", json!("past_query"))],
        "{expanded:?}"
    );
    assert!(expanded.expansions[0].similarity.unwrap() >= 0.75);
    let again = search(
        &app,
        json!({"query": "gift for coffee lovers", "expand": true}),
    )
    .await
    .unwrap();
    assert!(
        again
            .expansions
            .iter()
            .all(|e| e.query != "gift for coffee lovers"),
        "a query never expands with itself"
    );

    // A chat model that rewrites; the rewrites are searched too and reported.
    let chat = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "rewriter",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "1. fishing tackle box\n2. angler gifts"}}],
            "usage": {"prompt_tokens": 30, "completion_tokens": 8, "total_tokens": 38}
        })))
        .mount(&chat)
        .await;
    let mut settings = SearchSettings::default();
    settings.expansion.chat = Some(ChatSettings {
        base_url: format!("{}/v1", chat.uri()),
        api_key: Some("local".to_string().into()),
        model: "rewriter".into(),
        max_rewrites: 3,
        timeout: Duration::from_secs(5),
    });
    app.search = Arc::new(settings);
    let rewritten = search(
        &app,
        json!({"query": "dad who fishes", "expand": true, "limit": 5}),
    )
    .await
    .unwrap();
    let rewrites: Vec<&str> = rewritten
        .expansions
        .iter()
        .filter(|e| serde_json::to_value(e.source).unwrap() == "rewrite")
        .map(|e| e.query.as_str())
        .collect();
    assert_eq!(rewrites, ["fishing tackle box", "angler gifts"]);
    assert!(
        rewritten.results[..3]
            .iter()
            .all(|h| h.product.category == "Fishing"),
        "the three fishing products lead: {:?}",
        ids(&rewritten)
    );
    let request: Value =
        serde_json::from_slice(&chat.received_requests().await.unwrap()[0].body).unwrap();
    assert_eq!(request["model"], "rewriter");
    assert_eq!(request["messages"][1]["content"], "dad who fishes");

    // The chat model failing costs the rewrites, not the search.
    chat.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&chat)
        .await;
    let without = search(
        &app,
        json!({"query": "dad who fishes", "expand": true, "limit": 5}),
    )
    .await
    .unwrap();
    assert!(
        without
            .expansions
            .iter()
            .all(|e| serde_json::to_value(e.source).unwrap() != "rewrite")
    );
    assert_eq!(without.results.len(), 5);
}
