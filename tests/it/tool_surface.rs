//! What an agent pays for the tool surface: the default listener offers the `agent` toolset
//! only (kept in tests/data/tool_list_agent.json, its size printed), the ops tools are not
//! callable there, and `detail: "brief"` products are a fraction of the full ones.

use giftvec::tools::Toolsets;
use giftvec::tools::views::Detail;
use giftvec::transport::http::ServeSettings;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::HttpClientBuilder;
use jsonrpsee::rpc_params;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::mcp_post;
use crate::server::TestServer;

const AGENT_TOOLS: [&str; 10] = [
    "search_products",
    "similar_products",
    "get_product",
    "record_event",
    "upsert_recipient",
    "get_recipient",
    "delete_recipient",
    "recommend_gifts",
    "explain_recommendation",
    "diversify",
];

/// The tool names of a tools/list answer.
fn names(listed: &Value) -> Vec<&str> {
    listed["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect()
}

fn compact_len(value: &Value) -> usize {
    serde_json::to_string(value).unwrap().len()
}

#[test]
fn the_agent_toolset_is_small_and_matches_its_snapshot() {
    let agent = giftvec::transport::mcp::tool_list(Toolsets::AGENT);
    let all = giftvec::transport::mcp::tool_list(Toolsets::ALL);
    assert_eq!(names(&agent), AGENT_TOOLS);
    let (agent_bytes, all_bytes) = (compact_len(&agent), compact_len(&all));
    println!("tools/list bytes: agent toolset {agent_bytes}, all tools {all_bytes}");
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/tool_list_agent.json"
    );
    let current = serde_json::to_string_pretty(&agent).unwrap() + "\n";
    if std::env::var_os("GIFTVEC_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, &current).unwrap();
    }
    assert!(
        std::fs::read_to_string(path).unwrap_or_default() == current,
        "the agent tool list changed; review it and run with GIFTVEC_UPDATE_SNAPSHOTS=1"
    );
    assert!(agent_bytes < all_bytes);
    // What every agent turn pays for the tool list (issue: at most 16 KB).
    assert!(agent_bytes <= 16_000, "{agent_bytes} bytes");
}

#[sqlx::test]
async fn a_default_listener_offers_the_agent_tools_only(pool: PgPool) {
    let server = TestServer::start(pool, ServeSettings::default()).await;
    let rpc = HttpClientBuilder::default()
        .build(server.url("/rpc"))
        .unwrap();
    let listed: Value = rpc.request("tools.list", rpc_params![]).await.unwrap();
    assert_eq!(names(&listed), AGENT_TOOLS);
    let refused = rpc
        .request::<Value, _>("embedding_status", rpc_params![])
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("Method not found"),
        "{refused}"
    );
}

#[sqlx::test]
async fn brief_products_are_small_and_the_same_products(pool: PgPool) {
    let server = TestServer::start(pool, ServeSettings::default()).await;
    let rpc = HttpClientBuilder::default()
        .build(server.url("/rpc"))
        .unwrap();
    let call = |tool: &'static str, args: Value| {
        let rpc = rpc.clone();
        async move {
            let mut params = jsonrpsee::core::params::ObjectParams::new();
            for (k, v) in args.as_object().unwrap() {
                params.insert(k, v.clone()).unwrap();
            }
            rpc.request::<Value, _>(tool, params).await.unwrap()
        }
    };
    for (tool, list, args) in [
        (
            "search_products",
            "results",
            json!({"query": "gift for a tea lover", "limit": 10}),
        ),
        (
            "recommend_gifts",
            "recommendations",
            json!({"context": "my sister loves tea", "limit": 10}),
        ),
        (
            "similar_products",
            "results",
            json!({"product_id": "coffee-tea-005", "limit": 10}),
        ),
    ] {
        let full = call(tool, args.clone()).await;
        let mut brief_args = args.clone();
        brief_args["detail"] = json!("brief");
        let brief = call(tool, brief_args).await;
        let ids = |v: &Value| -> Vec<String> {
            v[list]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            ids(&brief),
            ids(&full),
            "{tool}: the same products in the same order"
        );
        assert_eq!(ids(&full).len(), 10);
        for item in brief[list].as_array().unwrap() {
            assert!(
                item.as_object()
                    .unwrap()
                    .keys()
                    .all(|k| Detail::BRIEF_FIELDS.contains(&k.as_str())),
                "{item}"
            );
            assert!(
                item["title"].is_string() && item["price"].is_number() && item["score"].is_number()
            );
        }
        let (b, f) = (compact_len(&brief[list]), compact_len(&full[list]));
        println!(
            "{tool}: 10 products brief {b} bytes, full {f} bytes ({:.0}%)",
            100.0 * b as f64 / f as f64
        );
        assert!(
            b * 10 <= f * 4,
            "{tool}: brief {b} bytes is over 40% of full {f}"
        );
    }
}

#[sqlx::test]
async fn mcp_over_http_answers_in_json_without_sessions_and_with_cache_hints(pool: PgPool) {
    let server = TestServer::start(pool, ServeSettings::default()).await;
    let url = server.url("/mcp");
    let init = mcp_post(
        &url,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "plain-http", "version": "1"}}}),
    )
    .await;
    assert_eq!(init.status(), 200);
    assert!(
        init.headers().get("mcp-session-id").is_none(),
        "no server-side session"
    );
    assert!(
        init.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    for (method, ttl) in [("tools/list", 300_000), ("resources/list", 300_000)] {
        let answer = mcp_post(&url, json!({"jsonrpc": "2.0", "id": 2, "method": method})).await;
        assert!(
            answer.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["result"]["ttlMs"], ttl, "{method}: {body}");
        assert_eq!(body["result"]["cacheScope"], "public", "{method}");
    }
    let read = mcp_post(
        &url,
        json!({"jsonrpc": "2.0", "id": 3, "method": "resources/read",
               "params": {"uri": "giftvec://catalog/categories"}}),
    )
    .await;
    let body: Value = read.json().await.unwrap();
    assert_eq!(body["result"]["ttlMs"], 60_000, "{body}");
}

#[sqlx::test]
async fn the_ops_token_opens_every_tool_on_an_agent_listener(pool: PgPool) {
    let settings = ServeSettings {
        auth_token: Some("agent-secret".to_string().into()),
        ops_token: Some("ops-secret".to_string().into()),
        ..ServeSettings::default()
    };
    let server = TestServer::start(pool, settings).await;
    let listed = |token: &'static str| {
        let (rpc, mcp) = (server.url("/rpc"), server.url("/mcp"));
        async move {
            let client = reqwest::Client::new();
            let over_rpc: Value = client
                .post(rpc)
                .bearer_auth(token)
                .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools.list"}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let over_mcp: Value = client
                .post(mcp)
                .bearer_auth(token)
                .header("accept", "application/json, text/event-stream")
                .header("mcp-protocol-version", "2025-11-25")
                .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let count = |v: &Value| v["result"]["tools"].as_array().map_or(0, Vec::len);
            (count(&over_rpc), count(&over_mcp))
        }
    };
    assert_eq!(listed("agent-secret").await, (10, 10));
    assert_eq!(listed("ops-secret").await, (15, 15));
    let status = |token: &'static str| {
        let rpc = server.url("/rpc");
        async move {
            let answer: Value = reqwest::Client::new()
                .post(rpc)
                .bearer_auth(token)
                .json(
                    &json!({"jsonrpc": "2.0", "id": 1, "method": "embedding_status", "params": {}}),
                )
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            answer
        }
    };
    assert_eq!(
        status("agent-secret").await["error"]["code"],
        -32601,
        "not offered to agents"
    );
    assert!(status("ops-secret").await["result"]["models"].is_array());
    let refused = reqwest::Client::new()
        .post(server.url("/rpc"))
        .bearer_auth("wrong")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools.list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
}

#[sqlx::test]
async fn a_wrong_enum_value_is_told_the_allowed_ones(pool: PgPool) {
    let app = giftvec::app::App::from_pool(pool, &crate::embed_local::local_settings())
        .await
        .unwrap();
    let err = crate::common::call_tool::<Value>(
        &app,
        "search_products",
        json!({"query": "tea", "mode": "fuzzy"}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"mode: must be one of ["keyword","semantic","hybrid"], got "fuzzy""#
    );
}

/// The input properties of one tool in a tools/list answer.
fn properties<'a>(listed: &'a Value, tool: &str) -> &'a serde_json::Map<String, Value> {
    listed["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == tool)
        .unwrap()["inputSchema"]["properties"]
        .as_object()
        .unwrap()
}

#[sqlx::test]
async fn advanced_fields_are_listed_with_the_ops_tools_and_accepted_everywhere(pool: PgPool) {
    let agent = giftvec::transport::mcp::tool_list(Toolsets::AGENT);
    let all = giftvec::transport::mcp::tool_list(Toolsets::ALL);
    for (tool, field) in [
        ("search_products", "fusion"),
        ("similar_products", "metric"),
        ("recommend_gifts", "experiment"),
        ("diversify", "filters"),
    ] {
        assert!(
            !properties(&agent, tool).contains_key(field),
            "{tool}.{field}"
        );
        assert!(properties(&all, tool).contains_key(field), "{tool}.{field}");
    }
    let text = serde_json::to_string(&all).unwrap();
    assert!(!text.contains("x-advanced"), "the marker is never listed");

    let server = TestServer::start(pool, ServeSettings::default()).await;
    let rpc = HttpClientBuilder::default()
        .build(server.url("/rpc"))
        .unwrap();
    let search = |args: Value| {
        let rpc = rpc.clone();
        async move {
            let mut params = jsonrpsee::core::params::ObjectParams::new();
            for (k, v) in args.as_object().unwrap() {
                params.insert(k, v.clone()).unwrap();
            }
            rpc.request::<Value, _>("search_products", params).await
        }
    };
    let ids = |v: &Value| -> Vec<String> {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect()
    };
    // An advanced field is still honoured on the agent listener: keyword weight 0 is the
    // semantic ranking.
    let no_keywords = search(json!({"query": "pour-over coffee kit", "mode": "hybrid",
        "fusion": {"keyword_weight": 0, "category_vote": 0}}))
    .await
    .unwrap();
    let semantic = search(json!({"query": "pour-over coffee kit", "mode": "semantic"}))
        .await
        .unwrap();
    assert_eq!(ids(&no_keywords), ids(&semantic));
    // null is an absent argument, at every depth; a wrong value is still refused.
    let with_nulls = search(json!({"query": "pour-over coffee kit", "cursor": null,
        "user_id": null, "filters": {"category": null, "max_price": null}}))
    .await
    .unwrap();
    let plain = search(json!({"query": "pour-over coffee kit"}))
        .await
        .unwrap();
    assert_eq!(ids(&with_nulls), ids(&plain));
    let refused = search(json!({"query": "pour-over coffee kit", "fusion": {"rrf_k": -1}}))
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("fusion.rrf_k"), "{refused}");
    let refused = search(json!({"query": "tea", "qurey": null}))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("qurey"),
        "an unknown argument is named, null or not: {refused}"
    );
    let refused = search(json!({"query": null}))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("query") && refused.contains("required"),
        "{refused}"
    );
}
