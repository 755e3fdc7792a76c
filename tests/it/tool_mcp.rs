//! The tool server as MCP clients see it, driven by the official MCP Python SDK over stdio
//! (`giftvec mcp` as a child process) and streamable HTTP (`/mcp`).

use std::process::Command;

use giftvec::transport::http::ServeSettings;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::HttpClientBuilder;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::url_of;
use crate::server::{TestServer, test_python};

const CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/mcp_client.py");

fn calls() -> Value {
    json!([
        {"tool": "search_products", "arguments": {"query": "gift for a coffee lover", "limit": 3}},
        {"tool": "similar_products", "arguments": {"product_id": "coffee-tea-005", "limit": 2}},
        {"tool": "get_product", "arguments": {"product_id": "coffee-tea-005"}},
        {"tool": "embed_text", "arguments": {"texts": ["hello"]}},
        {"tool": "get_product", "arguments": {"product_id": "no-such-product"}},
        {"tool": "search_products", "arguments": {"query": "tea", "limit": 0}},
        {"tool": "embedding_status", "arguments": {}},
        {"tool": "record_event", "arguments": {"user_id": "mcp-shopper", "product_id": "coffee-tea-005", "kind": "like"}},
        {"tool": "upsert_recipient", "arguments": {"user_id": "mcp-shopper", "name": "my sister", "interests": ["espresso"]}},
        {"tool": "get_recipient", "arguments": {"user_id": "mcp-shopper", "recipient_id": "no-such-recipient"}},
        {"tool": "recommend_gifts", "arguments": {"context": "my sister loves espresso", "budget": {"max": 60}, "limit": 4}},
        {"tool": "explain_recommendation", "arguments": {"product_id": "coffee-tea-005", "context": "my sister loves espresso"}},
        {"tool": "diversify", "arguments": {"query": "coffee", "lambda": 0.3, "limit": 5}},
        {"tool": "experiment_report", "arguments": {}},
    ])
}

fn drive(args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let calls_path = dir.path().join("calls.json");
    std::fs::write(&calls_path, calls().to_string()).unwrap();
    let mut full = vec![CLIENT, args[0], calls_path.to_str().unwrap()];
    full.extend_from_slice(&args[1..]);
    let out = Command::new(test_python()).args(&full).output().unwrap();
    assert!(
        out.status.success(),
        "MCP client failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn check(result: &Value) {
    assert_eq!(result["server"]["name"], "giftvec");
    let tools = result["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
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
            "experiment_report"
        ]
    );
    for tool in tools {
        let writes = [
            "record_event",
            "upsert_recipient",
            "delete_recipient",
            "recommend_gifts",
        ];
        assert_eq!(
            tool["readOnlyHint"],
            !writes.contains(&tool["name"].as_str().unwrap()),
            "{tool}"
        );
        assert_eq!(
            (
                tool["has_input_schema"].as_bool(),
                tool["has_output_schema"].as_bool()
            ),
            (Some(true), Some(true))
        );
        assert!(
            tool["description"].as_str().unwrap().len() > 80,
            "descriptions are written for a model"
        );
    }
    let calls = result["calls"].as_array().unwrap();
    for call in &calls[..4] {
        assert_eq!(call["is_error"], false, "{call}");
        assert!(call["structured"].is_object(), "{call}");
        assert!(
            call["text"].as_str().unwrap().starts_with('{'),
            "a readable text block too"
        );
    }
    assert_eq!(
        calls[0]["structured"]["results"].as_array().unwrap().len(),
        3
    );
    assert_eq!(
        calls[0]["structured"]["results"][0]["category"],
        "Coffee & Tea"
    );
    assert_eq!(calls[2]["structured"]["product"]["id"], "coffee-tea-005");
    assert_eq!(calls[3]["structured"]["dimensions"], 384);
    assert_eq!(calls[4]["is_error"], true);
    assert_eq!(calls[4]["structured"]["code"], "not_found");
    assert_eq!(calls[5]["is_error"], true);
    assert_eq!(calls[5]["structured"]["code"], "invalid_input");
    assert!(
        calls[5]["structured"]["message"]
            .as_str()
            .unwrap()
            .starts_with("limit: must be between 1 and 100")
    );
    assert_eq!(calls[7]["is_error"], false, "{}", calls[7]);
    assert_eq!(calls[7]["structured"]["recorded"], true);
    assert_eq!(
        calls[7]["structured"]["preference_models"],
        json!(["all-MiniLM-L6-v2"])
    );
    assert_eq!(calls[8]["is_error"], false, "{}", calls[8]);
    assert_eq!(calls[8]["structured"]["has_profile_vector"], true);
    assert_eq!(calls[9]["structured"]["code"], "not_found");
    let gifts = &calls[10]["structured"];
    assert_eq!(calls[10]["is_error"], false, "{}", calls[10]);
    assert!(gifts["request_id"].as_str().unwrap().starts_with("rec_"));
    let gifts = gifts["recommendations"].as_array().unwrap();
    assert_eq!(gifts.len(), 4);
    assert!(gifts.iter().all(|g| g["price"].as_f64().unwrap() <= 60.0));
    let why = &calls[11]["structured"];
    assert_eq!(calls[11]["is_error"], false, "{}", calls[11]);
    let sum: f64 = why["contributions"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_f64().unwrap())
        .sum();
    assert!((sum - why["score"].as_f64().unwrap()).abs() < 1e-9);
    assert_eq!(calls[12]["is_error"], false, "{}", calls[12]);
    assert_eq!(
        calls[12]["structured"]["results"].as_array().unwrap().len(),
        5
    );
    assert!(calls[12]["structured"]["diversity_after"].as_f64().unwrap() > 0.0);
    assert_eq!(calls[13]["structured"]["code"], "invalid_input");
    assert_eq!(calls[6]["is_error"], false);
    assert_eq!(
        calls[6]["structured"]["models"][0]["model"],
        "all-MiniLM-L6-v2"
    );
    let resources = &result["resources"];
    assert_eq!(resources["giftvec://catalog/stats"]["products"], 78);
    let coverage = &resources["giftvec://catalog/stats"]["embeddings"][0];
    assert_eq!(
        (coverage["embedded"].as_i64(), coverage["coverage"].as_f64()),
        (Some(78), Some(1.0))
    );
    assert_eq!(
        resources["giftvec://catalog/categories"]["categories"]
            .as_array()
            .unwrap()
            .len(),
        25
    );
}

#[sqlx::test]
async fn mcp_over_streamable_http_and_stdio_with_the_python_sdk(pool: PgPool) {
    let server = TestServer::start(pool.clone(), ServeSettings::default()).await;
    let over_http = tokio::task::spawn_blocking({
        let url = server.url("/mcp");
        move || drive(&["http", &url])
    })
    .await
    .unwrap();
    check(&over_http);

    let database_url = url_of(&pool);
    let over_stdio = tokio::task::spawn_blocking(move || {
        // SAFETY-free: the child gets its environment through `env` in the SDK's parameters,
        // which inherit ours; set what `giftvec mcp` needs via a wrapper shell.
        drive(&[
            "stdio",
            "--",
            "env",
            &format!("DATABASE_URL={database_url}"),
            "GIFTVEC_LOG=warn",
            env!("CARGO_BIN_EXE_giftvec"),
            "mcp",
        ])
    })
    .await
    .unwrap();
    check(&over_stdio);
    assert_eq!(
        over_stdio["calls"][0]["structured"],
        over_http["calls"][0]["structured"]
    );

    // The same input through JSON-RPC gives the same result.
    let rpc = HttpClientBuilder::default()
        .build(server.url("/rpc"))
        .unwrap();
    let mut params = jsonrpsee::core::params::ObjectParams::new();
    params.insert("query", "gift for a coffee lover").unwrap();
    params.insert("limit", 3).unwrap();
    let via_rpc: Value = rpc.request("search_products", params).await.unwrap();
    assert_eq!(via_rpc, over_http["calls"][0]["structured"]);
}
