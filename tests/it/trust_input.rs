//! Hostile input reaches a named `invalid_input`, never `internal`, and never changes what is
//! stored: control characters in every text field of every tool (over JSON-RPC, MCP and
//! REST), oversized values echoed only in part, non-finite REST numbers, forged cursors, and
//! giftvec's JSON-RPC codes kept apart from jsonrpsee's own.

use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::{mcp_post, rpc_at};
use crate::server::{TestServer, all_tools};

/// Arguments every tool accepts with a value in each of its text fields (enums aside).
fn valid_arguments() -> Vec<(&'static str, Value)> {
    let recipient = json!({"relationship": "sister", "age_band": "30s", "description": "d",
                           "interests": ["tea"], "dislikes": ["mugs"]});
    let filters = json!({"category": "Books", "exclude_category": "Toys", "exclude_ids": ["x"]});
    vec![
        (
            "search_products",
            json!({"query": "tea", "cursor": "c", "user_id": "u", "filters": filters}),
        ),
        (
            "similar_products",
            json!({"product_id": "p", "text": "tea", "cursor": "c", "filters": filters}),
        ),
        ("get_product", json!({"product_id": "p"})),
        ("embed_text", json!({"texts": ["tea"]})),
        ("find_similar_queries", json!({"query": "tea"})),
        ("embedding_status", json!({"product_id": "p"})),
        (
            "record_event",
            json!({"user_id": "u", "product_id": "p", "kind": "view",
            "client_event_id": "e", "conversation_id": "c", "experiment_arm": "a",
            "recipient_id": "r", "request_id": "q"}),
        ),
        (
            "upsert_recipient",
            json!({"user_id": "u", "name": "n", "recipient_id": "r",
            "relationship": "sister", "age_band": "30s", "description": "d", "interests": ["tea"],
            "dislikes": ["mugs"], "liked_product_ids": ["p"], "disliked_product_ids": ["q"]}),
        ),
        (
            "get_recipient",
            json!({"user_id": "u", "recipient_id": "r"}),
        ),
        (
            "delete_recipient",
            json!({"user_id": "u", "recipient_id": "r"}),
        ),
        (
            "recommend_gifts",
            json!({"context": "tea", "user_id": "u", "recipient_id": "r",
            "recipient": recipient, "occasion": "birthday", "conversation_id": "c",
            "experiment": "e", "categories": ["Books"], "exclude_categories": ["Toys"],
            "exclude_ids": ["x"]}),
        ),
        (
            "explain_recommendation",
            json!({"product_id": "p", "request_id": "q", "context": "tea",
            "occasion": "birthday", "user_id": "u", "recipient_id": "r", "recipient": recipient}),
        ),
        (
            "diversify",
            json!({"product_ids": ["a", "b"], "query": "tea", "filters": filters}),
        ),
        (
            "experiment_report",
            json!({"experiment": "e", "baseline": "b"}),
        ),
    ]
}

/// Every string leaf of `value`: its path as errors spell it (`filters.exclude_ids[0]`).
fn string_leaves(value: &Value, path: String, out: &mut Vec<String>) {
    match value {
        Value::String(_) => out.push(path),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                string_leaves(item, format!("{path}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let sub = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                string_leaves(v, sub, out);
            }
        }
        _ => {}
    }
}

/// Every non-enum string field the schema declares, with `[0]` for array items.
fn schema_text_fields(schema: &Value, path: String, out: &mut Vec<String>) {
    if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
        return options
            .iter()
            .for_each(|o| schema_text_fields(o, path.clone(), out));
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            let sub = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            schema_text_fields(v, sub, out);
        }
    } else if let Some(items) = schema.get("items") {
        schema_text_fields(items, format!("{path}[0]"), out);
    } else if schema["type"] == "string" && schema.get("enum").is_none() {
        out.push(path);
    }
}

fn with_leaf(value: &Value, path: &str, text: &str) -> Value {
    let mut changed = value.clone();
    let pointer: String = path
        .replace('[', ".")
        .replace(']', "")
        .split('.')
        .map(|p| format!("/{p}"))
        .collect();
    *changed.pointer_mut(&pointer).unwrap() = json!(text);
    changed
}

/// Row counts of the tables a call could write.
async fn stored(pool: &PgPool) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "products",
        "recipients",
        "events",
        "search_queries",
        "recommendation_requests",
        "user_preferences",
        "embedding_jobs",
    ] {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(pool)
                .await
                .unwrap();
        counts.push(n);
    }
    counts
}

#[sqlx::test]
async fn a_control_character_in_any_text_field_is_named_on_every_transport(pool: PgPool) {
    let server = TestServer::start(pool.clone(), all_tools()).await;
    let listed = rpc_at(&server.url("/rpc"), "tools.list", json!({})).await;
    let before = stored(&pool).await;
    let mut probes = 0;
    for (tool, arguments) in valid_arguments() {
        let mut leaves = Vec::new();
        string_leaves(&arguments, String::new(), &mut leaves);
        let schema = listed["result"]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == tool)
            .unwrap_or_else(|| panic!("{tool} is listed"));
        let mut declared = Vec::new();
        schema_text_fields(&schema["inputSchema"], String::new(), &mut declared);
        for field in &declared {
            assert!(
                leaves.contains(field),
                "{tool}: the probe table misses {field}"
            );
        }
        for (i, field) in leaves.iter().enumerate() {
            let bad = ["ab\u{0}c", "x\u{1b}[31m", "\u{7f}"][i % 3];
            let answer = rpc_at(&server.url("/rpc"), tool, with_leaf(&arguments, field, bad)).await;
            let error = &answer["error"];
            assert_eq!(error["code"], -32602, "{tool}.{field}: {answer}");
            assert_eq!(error["data"]["code"], "invalid_input", "{tool}.{field}");
            assert_eq!(error["data"]["field"], json!(field), "{tool}: {answer}");
            probes += 1;
        }
    }
    assert!(probes >= 60, "{probes} probes");

    // MCP: the same refusal as a tool error result the model reads.
    let mcp = mcp_post(
        &server.url("/mcp"),
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "search_products", "arguments": {"query": "tea\u{0}"}}}),
    )
    .await;
    let body: Value = mcp.json().await.unwrap();
    assert_eq!(body["result"]["isError"], true, "{body}");
    let text = body["result"]["content"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("invalid_input") && text.contains("query"),
        "{text}"
    );

    // REST: a NUL in the path is a 400 naming the product id.
    let rest = reqwest::get(server.url("/api/products/a%00b"))
        .await
        .unwrap();
    assert_eq!(rest.status(), 400);
    let body: Value = rest.json().await.unwrap();
    assert_eq!(body["error"]["field"], "product_id", "{body}");
    assert_eq!(
        stored(&pool).await,
        before,
        "no refused call changed a table"
    );
}

#[sqlx::test]
async fn oversized_input_is_echoed_only_in_part(pool: PgPool) {
    let server = TestServer::start(pool, all_tools()).await;
    let huge = "z".repeat(400_000);
    let mut name = serde_json::Map::new();
    name.insert(huge.clone(), json!(1));
    name.insert("query".into(), json!("tea"));
    for (tool, arguments) in [
        ("get_product", json!({"product_id": huge})),
        ("search_products", Value::Object(name)),
        (
            "record_event",
            json!({"user_id": "u", "product_id": huge, "kind": "view"}),
        ),
        (
            "get_recipient",
            json!({"user_id": huge, "recipient_id": huge}),
        ),
    ] {
        let response = reqwest::Client::new()
            .post(server.url("/rpc"))
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": tool, "params": arguments}))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            response.len() < 2_000,
            "{tool}: a {} byte answer",
            response.len()
        );
        let answer: Value = serde_json::from_str(&response).unwrap();
        assert_ne!(
            answer["error"]["data"]["code"], "internal",
            "{tool}: {answer}"
        );
    }
}

#[sqlx::test]
async fn non_finite_rest_numbers_and_forged_cursors_are_named(pool: PgPool) {
    let server = TestServer::start(pool, all_tools()).await;
    let product: String = sqlx::query_scalar("SELECT id FROM products ORDER BY id LIMIT 1")
        .fetch_one(server.app.db.pool())
        .await
        .unwrap();
    for (query, field) in [
        ("max_price=-inf", "max_price"),
        ("min_price=NaN", "min_price"),
        ("min_similarity=inf", "min_similarity"),
        ("price_tolerance_pct=nan", "price_tolerance_pct"),
    ] {
        let url = server.url(&format!("/api/products/{product}/similar?{query}"));
        let response = reqwest::get(url).await.unwrap();
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["field"], field, "{query}: {body}");
    }
    // A cursor whose offset is near 2^32, with the request's own fingerprint (which anyone can
    // compute): refused by the depth limit, not wrapped around it.
    let first = rpc_at(
        &server.url("/rpc"),
        "search_products",
        json!({"query": "tea", "limit": 2}),
    )
    .await;
    let cursor = first["result"]["next_cursor"].as_str().unwrap().to_string();
    let print = cursor.rsplit('.').next().unwrap();
    for forged in [
        format!("c1.4294967290.{print}"),
        format!("c1.-1.{print}"),
        "c1..".into(),
    ] {
        let answer = rpc_at(
            &server.url("/rpc"),
            "search_products",
            json!({"query": "tea", "limit": 2, "cursor": forged}),
        )
        .await;
        assert_eq!(
            answer["error"]["data"]["field"], "cursor",
            "{forged}: {answer}"
        );
    }
}

#[sqlx::test]
async fn mcp_requests_rmcp_would_misreport_are_named(pool: PgPool) {
    let server = TestServer::start(pool, all_tools()).await;
    // Arguments that are not an object: invalid params naming them (rmcp says "method not found").
    for arguments in [json!([1, 2]), json!("gift"), json!(42), json!(true)] {
        let call = json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
                          "params": {"name": "get_product", "arguments": arguments}});
        let answer: Value = mcp_post(&server.url("/mcp"), call)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(answer["id"], 5, "{answer}");
        assert_eq!(answer["error"]["code"], -32602, "{answer}");
        assert_eq!(answer["error"]["data"]["field"], "arguments", "{answer}");
    }
    // A body that is not JSON (NaN): a JSON-RPC parse error, not a plain-text 415.
    let response = reqwest::Client::new()
        .post(server.url("/mcp"))
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_products","arguments":{"query":"tea","limit":NaN}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["error"]["code"], -32700, "{answer}");
    assert!(
        answer["error"]["message"].as_str().unwrap().contains("NaN"),
        "{answer}"
    );
    // Well-formed calls are untouched.
    let call = json!({"jsonrpc": "2.0", "id": 6, "method": "tools/call",
                      "params": {"name": "search_products", "arguments": {"query": "tea", "limit": 2}}});
    let answer: Value = mcp_post(&server.url("/mcp"), call)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["result"]["isError"], false, "{answer}");
}
