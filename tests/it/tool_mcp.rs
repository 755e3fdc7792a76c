//! The tool server as MCP clients see it, driven by the official MCP clients over stdio
//! (`giftvec mcp` as a child process) and streamable HTTP (`/mcp`): the TypeScript SDK (what
//! Claude Code, VS Code and the Inspector run) and the Python SDK. Every tool is called once
//! successfully and once with an error, and what the model would see is checked.

use std::process::Command;

use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::HttpClientBuilder;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::url_of;
use crate::server::{TestServer, test_node_modules, test_python};

const PYTHON_CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/mcp_client.py");
const NODE_CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/mcp_client.cjs");

/// The experiment both the in-process and the stdio server are configured with.
const EXPERIMENTS: &str = r#"[{"name": "mcp-exp", "arms": [
    {"name": "baseline", "share": 1, "strategy": "similarity"},
    {"name": "personalised", "share": 1, "strategy": "personalised"}]}]"#;

/// Each tool once with a good call, then once with a bad one: (tool, arguments, expected
/// error code or None).
fn calls() -> Vec<(&'static str, Value, Option<&'static str>)> {
    vec![
        (
            "search_products",
            json!({"query": "gift for a coffee lover under $60, not a mug", "limit": 3}),
            None,
        ),
        (
            "search_products",
            json!({"query": "tea", "limit": 0}),
            Some("invalid_input"),
        ),
        (
            "similar_products",
            json!({"product_id": "coffee-tea-005", "limit": 2}),
            None,
        ),
        (
            "similar_products",
            json!({"product_id": "no-such-product"}),
            Some("not_found"),
        ),
        ("get_product", json!({"product_id": "coffee-tea-005"}), None),
        (
            "get_product",
            json!({"product_id": "no-such-product"}),
            Some("not_found"),
        ),
        ("embed_text", json!({"texts": ["hello"]}), None),
        ("embed_text", json!({"texts": []}), Some("invalid_input")),
        (
            "find_similar_queries",
            json!({"query": "coffee gift", "limit": 3}),
            None,
        ),
        (
            "find_similar_queries",
            json!({"query": "coffee", "limit": 5000}),
            Some("invalid_input"),
        ),
        ("search_stats", json!({"window_hours": 24}), None),
        (
            "search_stats",
            json!({"window_hours": 0}),
            Some("invalid_input"),
        ),
        ("embedding_status", json!({}), None),
        (
            "embedding_status",
            json!({"product_id": "no-such-product"}),
            Some("not_found"),
        ),
        (
            "record_event",
            json!({"user_id": "mcp-shopper", "product_id": "coffee-tea-005", "kind": "like"}),
            None,
        ),
        (
            "record_event",
            json!({"user_id": "mcp-shopper", "product_id": "coffee-tea-005", "kind": "teleport"}),
            Some("invalid_input"),
        ),
        (
            "upsert_recipient",
            json!({"user_id": "mcp-shopper", "recipient_id": "mcp-sister", "name": "my sister", "interests": ["espresso"]}),
            None,
        ),
        (
            "upsert_recipient",
            json!({"user_id": "mcp-shopper", "name": ""}),
            Some("invalid_input"),
        ),
        (
            "get_recipient",
            json!({"user_id": "mcp-shopper", "recipient_id": "mcp-sister"}),
            None,
        ),
        (
            "get_recipient",
            json!({"user_id": "mcp-shopper", "recipient_id": "no-such-recipient"}),
            Some("not_found"),
        ),
        (
            "recommend_gifts",
            json!({"context": "my sister loves espresso", "budget": {"max": 60}, "limit": 4}),
            None,
        ),
        (
            "recommend_gifts",
            json!({"context": "my sister", "budget": {"min": 60, "max": 10}}),
            Some("invalid_input"),
        ),
        (
            "explain_recommendation",
            json!({"product_id": "coffee-tea-005", "context": "my sister loves espresso"}),
            None,
        ),
        (
            "explain_recommendation",
            json!({"product_id": "no-such-product", "context": "espresso"}),
            Some("not_found"),
        ),
        (
            "diversify",
            json!({"query": "coffee", "lambda": 0.3, "limit": 5}),
            None,
        ),
        (
            "diversify",
            json!({"query": "coffee", "lambda": 2}),
            Some("invalid_input"),
        ),
        ("experiment_report", json!({"experiment": "mcp-exp"}), None),
        (
            "experiment_report",
            json!({"experiment": "no-such-experiment"}),
            Some("not_found"),
        ),
        (
            "delete_recipient",
            json!({"user_id": "mcp-shopper", "recipient_id": "mcp-sister"}),
            None,
        ),
        (
            "delete_recipient",
            json!({"user_id": "mcp-shopper", "recipient_id": "mcp-sister"}),
            Some("not_found"),
        ),
        (
            "upsert_recipient",
            json!({"user_id": "mcp-shopper", "recipient_id": "mcp-friend", "name": "my friend"}),
            None,
        ),
    ]
}

/// Resources read through the templates (after the calls): a product, the recipient the last
/// call saves, then an unknown product and that recipient under another user (private).
const READS: [&str; 4] = [
    "giftvec://product/coffee-tea-005",
    "giftvec://recipient/mcp-shopper/mcp-friend",
    "giftvec://product/no-such-product",
    "giftvec://recipient/someone-else/mcp-friend",
];

/// Every tool's annotations: (name, title, readOnly, destructive, idempotent).
const ANNOTATIONS: [(&str, &str, bool, bool, bool); 15] = [
    ("search_products", "Search products", true, false, true),
    ("similar_products", "Similar products", true, false, true),
    ("get_product", "Get a product", true, false, true),
    ("embed_text", "Embed text", true, false, true),
    (
        "find_similar_queries",
        "Find similar past searches",
        true,
        false,
        true,
    ),
    ("search_stats", "Search statistics", true, false, true),
    ("embedding_status", "Embedding status", true, false, true),
    (
        "record_event",
        "Record a shopper event",
        false,
        false,
        false,
    ),
    (
        "upsert_recipient",
        "Save a gift recipient",
        false,
        true,
        false,
    ),
    ("get_recipient", "Get a gift recipient", true, false, true),
    (
        "delete_recipient",
        "Delete a gift recipient",
        false,
        true,
        true,
    ),
    ("recommend_gifts", "Recommend gifts", false, false, false),
    (
        "explain_recommendation",
        "Explain a recommendation",
        true,
        false,
        true,
    ),
    ("diversify", "Diversify a list", true, false, true),
    ("experiment_report", "Experiment report", true, false, true),
];

#[derive(Clone, Copy, Debug)]
enum Client {
    Python,
    TypeScript,
}

fn drive(client: Client, args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let calls_path = dir.path().join("calls.json");
    let list: Vec<Value> = calls()
        .into_iter()
        .map(|(tool, arguments, _)| json!({"tool": tool, "arguments": arguments}))
        .collect();
    let spec = json!({"calls": list, "reads": READS});
    std::fs::write(&calls_path, spec.to_string()).unwrap();
    let (program, script) = match client {
        Client::Python => (test_python(), PYTHON_CLIENT),
        Client::TypeScript => ("node".to_string(), NODE_CLIENT),
    };
    let mut full = vec![script, args[0], calls_path.to_str().unwrap()];
    full.extend_from_slice(&args[1..]);
    let out = Command::new(program)
        .args(&full)
        .env("GIFTVEC_TEST_NODE_MODULES", test_node_modules())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{client:?} MCP client failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Equal JSON, numbers compared by value (JavaScript prints 39.0 as 39).
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// The error a failed call showed the model: its text block, parsed.
fn error_of(call: &Value) -> Value {
    assert_eq!(call["is_error"], true, "{call}");
    assert!(
        call["structured"].is_null(),
        "an error carries no structured content that would break the output schema: {call}"
    );
    serde_json::from_str(call["text"].as_str().expect("an error has a text block")).unwrap()
}

fn check(client: Client, result: &Value) {
    assert_eq!(result["server"]["name"], "giftvec");
    let tools = result["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    let expected: Vec<&str> = ANNOTATIONS.iter().map(|a| a.0).collect();
    assert_eq!(names, expected);
    for (tool, (_, title, read_only, destructive, idempotent)) in tools.iter().zip(ANNOTATIONS) {
        assert_eq!(tool["readOnlyHint"], read_only, "{tool}");
        if let Client::TypeScript = client {
            assert_eq!(tool["title"], title, "{tool}");
            let hints = &tool["annotations"];
            assert_eq!(
                (
                    &hints["readOnlyHint"],
                    &hints["destructiveHint"],
                    &hints["idempotentHint"],
                    &hints["openWorldHint"],
                ),
                (
                    &json!(read_only),
                    &json!(destructive),
                    &json!(idempotent),
                    &json!(false)
                ),
                "{tool}"
            );
        }
        assert_eq!(
            (
                tool["has_input_schema"].as_bool(),
                tool["has_output_schema"].as_bool()
            ),
            (Some(true), Some(true))
        );
    }
    let outcomes = result["calls"].as_array().unwrap();
    assert_eq!(outcomes.len(), calls().len());
    for (call, (tool, arguments, expected)) in outcomes.iter().zip(calls()) {
        assert!(
            call.get("thrown").is_none(),
            "{client:?}: the client refused the result of {tool} {arguments}: {call}"
        );
        match expected {
            None => {
                assert_eq!(call["is_error"], false, "{tool} {arguments}: {call}");
                assert!(call["structured"].is_object(), "{call}");
                let text: Value = serde_json::from_str(call["text"].as_str().unwrap()).unwrap();
                assert!(
                    same_json(&text, &call["structured"]),
                    "the text block holds the same result: {text} / {}",
                    call["structured"]
                );
            }
            Some(code) => {
                let error = error_of(call);
                assert_eq!(error["code"], code, "{tool} {arguments}: {error}");
                assert!(error["message"].as_str().unwrap().len() > 10, "{error}");
                assert!(error["next_step"].as_str().unwrap().len() > 10, "{error}");
                assert_eq!(error["retryable"], false, "{error}");
                if code == "invalid_input" {
                    let field = error["field"].as_str().unwrap();
                    assert!(
                        error["message"].as_str().unwrap().starts_with(field),
                        "the message names the field: {error}"
                    );
                }
            }
        }
    }
    let by_tool = |i: usize| &outcomes[i]["structured"];
    assert_eq!(by_tool(0)["results"].as_array().unwrap().len(), 3);
    assert_eq!(by_tool(0)["results"][0]["category"], "Coffee & Tea");
    // What the request said, read and applied, as the client hands it over.
    assert_eq!(by_tool(0)["interpreted"]["max_price"], 60.0);
    assert_eq!(by_tool(0)["interpreted"]["excluded_terms"], json!(["mug"]));
    for hit in by_tool(0)["results"].as_array().unwrap() {
        assert!(hit["price"].as_f64().unwrap() <= 60.0, "{hit}");
        assert!(
            !hit["title"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("mug"),
            "{hit}"
        );
    }
    let bad_limit = error_of(&outcomes[1]);
    assert_eq!(bad_limit["field"], "limit");
    assert!(
        bad_limit["message"]
            .as_str()
            .unwrap()
            .starts_with("limit: must be between 1 and 100"),
        "{bad_limit}"
    );
    assert_eq!(by_tool(4)["product"]["id"], "coffee-tea-005");
    assert_eq!(by_tool(6)["dimensions"], 384);
    assert_eq!(by_tool(12)["models"][0]["model"], "all-MiniLM-L6-v2");
    assert_eq!(by_tool(14)["recorded"], true);
    assert_eq!(
        by_tool(14)["preference_models"],
        json!(["all-MiniLM-L6-v2"])
    );
    assert_eq!(by_tool(16)["has_profile_vector"], true);
    assert_eq!(by_tool(18)["recipient"]["name"], "my sister");
    let gifts = &by_tool(20);
    assert!(gifts["request_id"].as_str().unwrap().starts_with("rec_"));
    let gifts = gifts["recommendations"].as_array().unwrap();
    assert_eq!(gifts.len(), 4);
    assert!(gifts.iter().all(|g| g["price"].as_f64().unwrap() <= 60.0));
    let why = by_tool(22);
    let sum: f64 = why["contributions"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_f64().unwrap())
        .sum();
    assert!((sum - why["score"].as_f64().unwrap()).abs() < 1e-9);
    assert_eq!(by_tool(24)["results"].as_array().unwrap().len(), 5);
    assert!(by_tool(24)["diversity_after"].as_f64().unwrap() > 0.0);
    assert_eq!(by_tool(26)["experiment"], "mcp-exp");
    assert_eq!(
        result["templates"],
        json!([
            "giftvec://product/{id}",
            "giftvec://recipient/{user_id}/{recipient_id}"
        ])
    );
    let reads = &result["reads"];
    assert_eq!(
        reads[READS[0]]["product"]["id"], "coffee-tea-005",
        "{reads}"
    );
    assert_eq!(reads[READS[1]]["recipient"]["name"], "my friend", "{reads}");
    for missing in &READS[2..] {
        let error = reads[*missing]["error"].as_str().unwrap_or_default();
        assert!(error.contains("was not found"), "{missing}: {error}");
    }
    let links = outcomes[0]["links"].as_array().unwrap();
    let ids: Vec<String> = by_tool(0)["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("giftvec://product/{}", r["id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        links,
        &ids.iter().map(|s| json!(s)).collect::<Vec<_>>(),
        "a resource link per result"
    );
    let resources = &result["resources"];
    assert_eq!(resources["giftvec://catalog/stats"]["products"], 78);
    let view = &resources["ui://giftvec/products"];
    assert_eq!(view["mimeType"], "text/html;profile=mcp-app", "{view}");
    assert!(view["html"].as_str().unwrap().contains("ui/initialize"));
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

async fn server_with_experiment(pool: PgPool) -> TestServer {
    let mut app = giftvec::app::App::from_pool(pool, &crate::embed_local::local_settings())
        .await
        .unwrap();
    crate::server::seed(&app).await;
    let mut settings = (*app.recommend).clone();
    settings.experiments = giftvec::recommend::experiments::parse(EXPERIMENTS).unwrap();
    app.recommend = std::sync::Arc::new(settings);
    TestServer::start_app(app, crate::server::all_tools()).await
}

fn stdio_command(database_url: &str) -> Vec<String> {
    [
        "stdio",
        "--",
        "env",
        &format!("DATABASE_URL={database_url}"),
        "GIFTVEC_LOG=warn",
        "GIFTVEC_TOOLSETS=all",
        &format!("GIFTVEC_EXPERIMENTS={EXPERIMENTS}"),
        env!("CARGO_BIN_EXE_giftvec"),
        "mcp",
    ]
    .map(String::from)
    .to_vec()
}

async fn drive_both(client: Client, pool: &PgPool, server: &TestServer) -> (Value, Value) {
    let url = server.url("/mcp");
    let over_http = tokio::task::spawn_blocking(move || drive(client, &["http", &url]))
        .await
        .unwrap();
    // Each run records a like and creates then deletes the recipient; the stdio run repeats
    // that on the same database.
    let command = stdio_command(&url_of(pool));
    let over_stdio = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        drive(client, &args)
    })
    .await
    .unwrap();
    (over_http, over_stdio)
}

#[sqlx::test]
async fn mcp_over_streamable_http_and_stdio_with_the_typescript_sdk(pool: PgPool) {
    let server = server_with_experiment(pool.clone()).await;
    let (over_http, over_stdio) = drive_both(Client::TypeScript, &pool, &server).await;
    check(Client::TypeScript, &over_http);
    check(Client::TypeScript, &over_stdio);
}

#[sqlx::test]
async fn mcp_over_streamable_http_and_stdio_with_the_python_sdk(pool: PgPool) {
    let server = server_with_experiment(pool.clone()).await;
    let (over_http, over_stdio) = drive_both(Client::Python, &pool, &server).await;
    check(Client::Python, &over_http);
    check(Client::Python, &over_stdio);
    assert_eq!(
        over_stdio["calls"][0]["structured"],
        over_http["calls"][0]["structured"]
    );

    // The same input through JSON-RPC gives the same result.
    let rpc = HttpClientBuilder::default()
        .build(server.url("/rpc"))
        .unwrap();
    let mut params = jsonrpsee::core::params::ObjectParams::new();
    params
        .insert("query", "gift for a coffee lover under $60, not a mug")
        .unwrap();
    params.insert("limit", 3).unwrap();
    let via_rpc: Value = rpc.request("search_products", params).await.unwrap();
    assert_eq!(via_rpc, over_http["calls"][0]["structured"]);
}
