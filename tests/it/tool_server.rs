//! The tool server over JSON-RPC (HTTP, WebSocket, batches) and REST, with a real jsonrpsee
//! client and reqwest: every tool, errors, auth, limits, the OpenAPI document, the catalog
//! snapshot.

use std::time::Duration;

use giftvec::transport::http::ServeSettings;
use jsonrpsee::core::client::{BatchResponse, ClientT};
use jsonrpsee::core::params::{BatchRequestBuilder, ObjectParams};
use jsonrpsee::http_client::HttpClientBuilder;
use jsonrpsee::ws_client::WsClientBuilder;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::server::{TestServer, test_python};

fn params(value: Value) -> ObjectParams {
    let mut params = ObjectParams::new();
    for (k, v) in value.as_object().unwrap() {
        params.insert(k, v).unwrap();
    }
    params
}

/// Calls `method` and returns the result or the error object as JSON.
async fn call(client: &impl ClientT, method: &str, args: Value) -> Result<Value, Value> {
    client
        .request::<Value, _>(method, params(args))
        .await
        .map_err(|e| match e {
            jsonrpsee::core::ClientError::Call(obj) => {
                json!({"code": obj.code(), "message": obj.message(), "data": obj.data().map(|d| serde_json::from_str::<Value>(d.get()).unwrap())})
            }
            other => panic!("transport error: {other}"),
        })
}

#[sqlx::test]
async fn every_tool_over_json_rpc_http_and_websocket(pool: PgPool) {
    let server = TestServer::start(pool, crate::server::all_tools()).await;
    let http = HttpClientBuilder::default()
        .build(server.url("/rpc"))
        .unwrap();
    let ws = WsClientBuilder::default()
        .build(server.ws_url("/rpc"))
        .await
        .unwrap();

    let listed: Value = http
        .request("tools.list", jsonrpsee::rpc_params![])
        .await
        .unwrap();
    let names: Vec<&str> = listed["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "search_products",
            "similar_products",
            "get_product",
            "embed_text",
            "find_similar_queries",
            "search_stats",
            "embedding_status",
            "record_event",
            "upsert_recipient",
            "get_recipient",
            "delete_recipient",
            "recommend_gifts",
            "explain_recommendation",
            "diversify",
            "experiment_report",
        ]
    );

    let search = call(
        &http,
        "search_products",
        json!({"query": "present for my dad who loves fishing", "limit": 3}),
    )
    .await
    .unwrap();
    let results = search["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["category"], "Fishing", "{search}");
    assert!(results[0]["score"].as_f64().unwrap() > 0.0);
    assert!(results[0]["semantic_rank"].as_u64().is_some(), "{search}");

    let over_ws = call(
        &ws,
        "search_products",
        json!({"query": "present for my dad who loves fishing", "limit": 3}),
    )
    .await
    .unwrap();
    assert_eq!(
        over_ws, search,
        "same input, same result over HTTP and WebSocket"
    );

    let id = results[0]["id"].as_str().unwrap().to_string();
    let product = call(&ws, "get_product", json!({"product_id": id}))
        .await
        .unwrap();
    assert_eq!(product["product"]["id"], id.as_str());
    let similar = call(
        &http,
        "similar_products",
        json!({"product_id": id, "limit": 5, "filters": {"in_stock": true}}),
    )
    .await
    .unwrap();
    let similar = similar["results"].as_array().unwrap();
    assert_eq!(similar.len(), 5);
    assert!(
        similar
            .iter()
            .all(|h| h["id"] != id.as_str() && h["in_stock"] == true)
    );
    let status = call(&http, "embedding_status", json!({"product_id": id}))
        .await
        .unwrap();
    assert_eq!(status["models"][0]["coverage"], 1.0, "{status}");
    assert!(status["product"]["tokens"].as_u64().unwrap() > 5);
    let embedded = call(&ws, "embed_text", json!({"texts": ["cork yoga mat"]}))
        .await
        .unwrap();
    assert_eq!(embedded["dimensions"], 384);
    assert_eq!(embedded["embeddings"][0].as_array().unwrap().len(), 384);
    let event = call(
        &ws,
        "record_event",
        json!({"user_id": "rpc-shopper", "product_id": id, "kind": "purchase", "client_event_id": "e1"}),
    )
    .await
    .unwrap();
    assert_eq!(event["recorded"], true);
    let replay = call(
        &http,
        "record_event",
        json!({"user_id": "rpc-shopper", "product_id": id, "kind": "purchase", "client_event_id": "e1"}),
    )
    .await
    .unwrap();
    assert_eq!(
        (replay["recorded"].clone(), replay["event_id"].clone()),
        (json!(false), event["event_id"].clone())
    );
    let saved = call(
        &http,
        "upsert_recipient",
        json!({"user_id": "rpc-shopper", "name": "my dad", "liked_product_ids": [id]}),
    )
    .await
    .unwrap();
    let who = json!({"user_id": "rpc-shopper", "recipient_id": saved["recipient"]["id"]});
    let read = call(&ws, "get_recipient", who.clone()).await.unwrap();
    assert_eq!(read["recipient"], saved["recipient"]);
    let gone = call(&http, "delete_recipient", who.clone()).await.unwrap();
    assert_eq!(gone["deleted"], saved["recipient"]["id"]);
    let err = call(&http, "get_recipient", who).await.unwrap_err();
    assert_eq!(err["data"]["code"], "not_found");

    let gifts = call(
        &ws,
        "recommend_gifts",
        json!({"user_id": "rpc-shopper", "context": "yoga and calm mornings", "limit": 3}),
    )
    .await
    .unwrap();
    let first = &gifts["recommendations"][0];
    assert_eq!(gifts["recommendations"].as_array().unwrap().len(), 3);
    assert_eq!(gifts["personalised"], true, "{gifts}");
    // A user's answer is explained to that user only; to anyone else it does not exist.
    for other in [json!(null), json!("someone-else")] {
        let err = call(
            &http,
            "explain_recommendation",
            json!({"request_id": gifts["request_id"], "product_id": first["id"], "user_id": other}),
        )
        .await
        .unwrap_err();
        assert_eq!(err["data"]["code"], "not_found", "{other}: {err}");
    }
    let why = call(
        &http,
        "explain_recommendation",
        json!({"request_id": gifts["request_id"], "product_id": first["id"],
               "user_id": "rpc-shopper"}),
    )
    .await
    .unwrap();
    assert_eq!(
        (why["score"].clone(), why["from_request"].clone()),
        (first["score"].clone(), json!(true))
    );
    let ids: Vec<Value> = gifts["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].clone())
        .collect();
    let varied = call(
        &ws,
        "diversify",
        json!({"product_ids": ids, "lambda": 0.5, "limit": 2}),
    )
    .await
    .unwrap();
    assert_eq!(varied["results"].as_array().unwrap().len(), 2);
    let err = call(
        &http,
        "experiment_report",
        json!({"experiment": "none-such"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err["data"]["code"], "not_found");
}

#[sqlx::test]
async fn batches_and_errors_carry_stable_codes(pool: PgPool) {
    let server = TestServer::start(pool, crate::server::all_tools()).await;
    let http = HttpClientBuilder::default()
        .build(server.url("/rpc"))
        .unwrap();
    let mut batch = BatchRequestBuilder::new();
    batch
        .insert("get_product", params(json!({"product_id": "fishing-002"})))
        .unwrap();
    batch
        .insert("get_product", params(json!({"product_id": "nope"})))
        .unwrap();
    batch
        .insert(
            "search_products",
            params(json!({"query": "tea", "limit": 10000})),
        )
        .unwrap();
    let responses: BatchResponse<Value> = http.batch_request(batch).await.unwrap();
    let items: Vec<_> = responses.into_iter().collect();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0].as_ref().unwrap()["product"]["id"], "fishing-002");
    let not_found = items[1].as_ref().unwrap_err();
    assert_eq!(not_found.code(), -32040);
    assert!(not_found.data().unwrap().get().contains("not_found"));
    let too_many = items[2].as_ref().unwrap_err();
    assert_eq!(too_many.code(), -32602);
    assert_eq!(
        too_many.message(),
        "limit: must be between 1 and 100, got 10000"
    );

    for (args, field) in [
        (json!({"query": "tea", "limit": "ten"}), "limit"),
        (json!({"query": "tea", "colour": "red"}), "colour"),
        (json!({"query": ""}), "query"),
        (
            json!({"query": "tea", "filters": {"min_price": 50, "max_price": 10}}),
            "filters.min_price",
        ),
        (
            json!({"query": "tea", "filters": {"min_price": -1}}),
            "filters.min_price",
        ),
    ] {
        let err = call(&http, "search_products", args.clone())
            .await
            .unwrap_err();
        assert_eq!(err["code"], -32602, "{args}: {err}");
        assert_eq!(err["data"]["code"], "invalid_input");
        assert_eq!(err["data"]["field"], field, "{args}: {err}");
    }
    // SQL-looking strings are only data.
    let err = call(
        &http,
        "get_product",
        json!({"product_id": "x'; DROP TABLE products; --"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err["data"]["code"], "not_found");
    let err = call(
        &http,
        "search_products",
        json!({"query": "'; DROP TABLE products; --", "filters": {"category": "' OR 1=1 --"}}),
    )
    .await
    .unwrap_err();
    assert_eq!(err["data"]["field"], "filters.category");
    let ok = call(
        &http,
        "search_products",
        json!({"query": "'; DROP TABLE products; --", "filters": {"category": "Fishing"}}),
    )
    .await
    .unwrap();
    let results = ok["results"].as_array().unwrap();
    assert!(results.iter().all(|r| r["category"] == "Fishing"));
    // Positional params are refused with a reason; the server keeps serving.
    let raw = reqwest::Client::new()
        .post(server.url("/rpc"))
        .json(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "get_product", "params": ["fishing-002"]}),
        )
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(raw["error"]["code"], -32602);
    assert!(
        raw["error"]["message"]
            .as_str()
            .unwrap()
            .contains("object of named arguments")
    );
    assert!(
        call(&http, "get_product", json!({"product_id": "fishing-002"}))
            .await
            .is_ok()
    );
    let products: i64 = sqlx::query_scalar("SELECT count(*) FROM products")
        .fetch_one(server.app.db.pool())
        .await
        .unwrap();
    assert_eq!(products, 78);
}

#[sqlx::test]
async fn rest_routes_and_their_errors(pool: PgPool) {
    let server = TestServer::start(pool, crate::server::all_tools()).await;
    let client = reqwest::Client::new();
    let semantic: Value = client
        .post(server.url("/api/search/semantic"))
        .json(&json!({"query": "cozy gift for a bookworm", "limit": 4}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(semantic["results"].as_array().unwrap().len(), 4);
    assert_eq!(semantic["mode"], "semantic");
    let by_text: Value = client
        .post(server.url("/api/vectors/search"))
        .json(&json!({"text": "espresso", "limit": 2}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_text["results"].as_array().unwrap().len(), 2);
    let embed: Value = client
        .post(server.url("/api/vectors/embed"))
        .json(&json!({"texts": ["a", "b"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(embed["embeddings"].as_array().unwrap().len(), 2);
    let gifts: Value = client
        .post(server.url("/api/recommendations"))
        .json(&json!({"context": "dad who loves fishing", "budget": {"max": 40}, "limit": 3}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let gifts = gifts["recommendations"].as_array().unwrap();
    assert_eq!(gifts.len(), 3);
    assert!(gifts.iter().all(|g| g["price"].as_f64().unwrap() <= 40.0));
    let refused = client
        .post(server.url("/api/recommendations"))
        .json(&json!({"budget": {"min": 9, "max": 1}, "context": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["field"], "budget.min");
    let id = semantic["results"][0]["id"].as_str().unwrap();
    let similar = client
        .get(server.url(&format!(
            "/api/products/{id}/similar?limit=3&price_tolerance_pct=50"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(similar.status(), 200);
    let similar: Value = similar.json().await.unwrap();
    let price = semantic["results"][0]["price"].as_f64().unwrap();
    for hit in similar["results"].as_array().unwrap() {
        let p = hit["price"].as_f64().unwrap();
        assert!(
            p >= price * 0.5 - 1e-9 && p <= price * 1.5 + 1e-9,
            "{p} outside ±50% of {price}"
        );
    }

    let missing = client
        .get(server.url("/api/products/nope/similar"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    let bad = client
        .get(server.url(&format!("/api/products/{id}/similar?limit=0")))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(
        bad.json::<Value>().await.unwrap()["error"]["field"],
        "limit"
    );
    let not_json = client
        .post(server.url("/api/search/semantic"))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    let huge = client
        .post(server.url("/api/vectors/embed"))
        .header("content-type", "application/json")
        .body(format!("{{\"texts\": [\"{}\"]}}", "x".repeat(2 << 20)))
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413, "bodies over the limit are refused");
    let ok = client
        .get(server.url("/api/products/fishing-002"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200, "still serving");
}

#[sqlx::test]
async fn the_openapi_document_is_valid_openapi_3(pool: PgPool) {
    let server = TestServer::start(pool, crate::server::all_tools()).await;
    let doc: Value = reqwest::get(server.url("/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/products/{id}/similar"]["get"].is_object());
    assert!(doc["paths"]["/api/recommendations"]["post"].is_object());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openapi.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    let out = std::process::Command::new(test_python())
        .args(["-m", "openapi_spec_validator", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[sqlx::test]
async fn a_token_guards_every_transport_but_the_probes(pool: PgPool) {
    let settings = ServeSettings {
        auth_token: Some("s3cret-token".to_string().into()),
        ..crate::server::all_tools()
    };
    let server = TestServer::start(pool, settings).await;
    let client = reqwest::Client::new();
    let rpc = json!({"jsonrpc": "2.0", "id": 1, "method": "tools.list"});
    let mcp = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    for (path, body) in [
        ("/rpc", &rpc),
        ("/mcp", &mcp),
        ("/api/vectors/embed", &json!({"texts": ["a"]})),
    ] {
        for token in [None, Some("wrong"), Some("s3cret-token")] {
            let mut request = client
                .post(server.url(path))
                .json(body)
                .header("accept", "application/json, text/event-stream");
            if let Some(t) = token {
                request = request.bearer_auth(t);
            }
            let status = request.send().await.unwrap().status();
            match token {
                Some("s3cret-token") => {
                    assert!(status.is_success(), "{path} with the token: {status}")
                }
                _ => assert_eq!(status, 401, "{path} with {token:?}"),
            }
        }
    }
    // The operators' pages too: metrics and the status page.
    for (path, marker) in [
        ("/metrics", "giftvec_build_info"),
        ("/status", "<title>giftvec status</title>"),
    ] {
        let denied = client.get(server.url(path)).send().await.unwrap();
        assert_eq!(denied.status(), 401, "{path}");
        let page = client
            .get(server.url(path))
            .bearer_auth("s3cret-token")
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{path}");
        assert!(page.text().await.unwrap().contains(marker), "{path}");
    }
    for probe in ["/healthz", "/readyz"] {
        assert_eq!(
            client.get(server.url(probe)).send().await.unwrap().status(),
            200,
            "{probe}"
        );
    }
    let ws = WsClientBuilder::default()
        .build(server.ws_url("/rpc"))
        .await;
    assert!(ws.is_err(), "a WebSocket without the token is refused");
}

#[sqlx::test]
async fn a_full_server_answers_busy_and_slow_calls_time_out(pool: PgPool) {
    let mut app = giftvec::app::App::from_pool(pool, &crate::embed_local::local_settings())
        .await
        .unwrap();
    // The slow call only has to hold the one slot; generous limits keep it from timing out
    // on a loaded machine.
    app.gate = std::sync::Arc::new(giftvec::tools::dispatch::CallGate::new(
        1,
        Duration::from_secs(180),
        Duration::from_millis(10),
    ));
    let server = TestServer::start_app(app.clone(), crate::server::all_tools()).await;
    let http = HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(60))
        .build(server.url("/rpc"))
        .unwrap();
    let texts: Vec<String> = (0..256)
        .map(|i| format!("a long text number {i} ").repeat(20))
        .collect();
    let slow = {
        let http = HttpClientBuilder::default()
            .request_timeout(Duration::from_secs(200))
            .build(server.url("/rpc"))
            .unwrap();
        let texts = texts.clone();
        tokio::spawn(async move { call(&http, "embed_text", json!({"texts": texts})).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let busy = call(&http, "get_product", json!({"product_id": "x"}))
        .await
        .unwrap_err();
    assert_eq!(busy["data"]["code"], "busy", "{busy}");
    assert!(slow.await.unwrap().is_ok());

    let mut app = app;
    app.gate = std::sync::Arc::new(giftvec::tools::dispatch::CallGate::new(
        4,
        Duration::from_millis(1),
        Duration::from_millis(10),
    ));
    let server = TestServer::start_app(app, crate::server::all_tools()).await;
    let http = HttpClientBuilder::default()
        .build(server.url("/rpc"))
        .unwrap();
    let timeout = call(
        &http,
        "embed_text",
        json!({"texts": ["never embedded before, takes more than a millisecond"]}),
    )
    .await
    .unwrap_err();
    assert_eq!(timeout["data"]["code"], "timeout", "{timeout}");
}

#[test]
fn the_tool_catalog_matches_its_snapshot() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tool_catalog.json");
    let current = serde_json::to_string_pretty(&giftvec::transport::mcp::tool_list(
        giftvec::tools::Toolsets::ALL,
    ))
    .unwrap()
        + "\n";
    if std::env::var_os("GIFTVEC_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, &current).unwrap();
    }
    let stored = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        stored == current,
        "the tool catalog changed; review the difference and run with GIFTVEC_UPDATE_SNAPSHOTS=1 to accept it"
    );
}
