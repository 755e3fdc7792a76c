//! giftvec through tools nobody here wrote: the MCP Inspector CLI (the official TypeScript
//! client v2, what developers poke giftvec with) over streamable HTTP and stdio, and the MCP
//! conformance suite's server scenarios that apply to giftvec.

use std::process::Command;

use serde_json::Value;
use sqlx::PgPool;

use crate::common::url_of;
use crate::server::{TestServer, test_node_modules, test_node22};

/// Runs the Inspector CLI with `method_args` against `target` (a URL, or `--` and a command,
/// which comes last);
/// returns its exit status and what it printed (JSON when it succeeded).
fn inspector(target: &[&str], method_args: &[&str]) -> (bool, String) {
    let script = format!(
        "{}/@modelcontextprotocol/inspector/clients/launcher/build/index.js",
        test_node_modules()
    );
    let out = Command::new(test_node22())
        .arg(script)
        .arg("--cli")
        .args(method_args)
        .args(target)
        .output()
        .unwrap();
    let printed =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), printed)
}

fn json_of(printed: &str) -> Value {
    let start = printed
        .find('{')
        .unwrap_or_else(|| panic!("no JSON in {printed}"));
    let mut stream = serde_json::Deserializer::from_str(&printed[start..]).into_iter::<Value>();
    stream.next().unwrap().unwrap()
}

/// A successful call, an unknown id and a bad argument, as the Inspector shows them.
fn check_calls(target: &[&str]) {
    let (ok, printed) = inspector(target, &["--method", "tools/list"]);
    assert!(ok, "tools/list failed: {printed}");
    let tools = json_of(&printed);
    assert_eq!(tools["tools"].as_array().unwrap().len(), 15, "{tools}");

    let (ok, printed) = inspector(
        target,
        &[
            "--method",
            "tools/call",
            "--tool-name",
            "get_product",
            "--tool-arg",
            "product_id=coffee-tea-005",
        ],
    );
    assert!(ok, "a good call failed: {printed}");
    let result = json_of(&printed);
    assert_eq!(
        result["structuredContent"]["product"]["id"], "coffee-tea-005",
        "{result}"
    );

    for (tool, arg, code) in [
        ("get_product", "product_id=no-such-product", "not_found"),
        ("search_products", "query=tea", "invalid_input"),
    ] {
        let mut args = vec![
            "--method",
            "tools/call",
            "--tool-name",
            tool,
            "--tool-arg",
            arg,
        ];
        if tool == "search_products" {
            args.extend(["--tool-arg", "limit=0"]);
        }
        // The Inspector exits non-zero on an isError result, after printing it.
        let (_, printed) = inspector(target, &args);
        let result = json_of(&printed);
        assert_eq!(result["isError"], true, "{result}");
        let text = result["content"][0]["text"].as_str().unwrap();
        let error: Value = serde_json::from_str(text).unwrap();
        assert_eq!(error["code"], code, "{error}");
        assert!(
            !printed.contains("does not match the tool's output schema"),
            "{printed}"
        );
    }
}

#[sqlx::test]
async fn the_inspector_cli_reads_results_and_errors_over_http_and_stdio(pool: PgPool) {
    let server = TestServer::start(pool.clone(), crate::server::all_tools()).await;
    let url = server.url("/mcp");
    tokio::task::spawn_blocking(move || {
        check_calls(&["--transport", "http", "--server-url", &url])
    })
    .await
    .unwrap();
    let database_url = format!("DATABASE_URL={}", url_of(&pool));
    tokio::task::spawn_blocking(move || {
        check_calls(&[
            "-e",
            &database_url,
            "-e",
            "GIFTVEC_LOG=warn",
            "-e",
            "GIFTVEC_TOOLSETS=all",
            "--transport",
            "stdio",
            "--",
            env!("CARGO_BIN_EXE_giftvec"),
            "mcp",
        ])
    })
    .await
    .unwrap();
}

/// The conformance suite's server scenarios that apply to a tools-and-resources server.
const SCENARIOS: [&str; 7] = [
    "server-initialize",
    "ping",
    "tools-list",
    "resources-list",
    "server-sse-polling",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
];

#[sqlx::test]
async fn the_mcp_conformance_suite_passes_its_server_scenarios(pool: PgPool) {
    let server = TestServer::start(pool, crate::server::all_tools()).await;
    let url = server.url("/mcp");
    let outcomes = tokio::task::spawn_blocking(move || {
        let suite = format!(
            "{}/@modelcontextprotocol/conformance/dist/index.js",
            test_node_modules()
        );
        SCENARIOS.map(|scenario| {
            let out = Command::new(test_node22())
                .args([&suite, "server", "--url", &url, "--scenario", scenario])
                .output()
                .unwrap();
            let printed = String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr);
            (scenario, out.status.success(), printed)
        })
    })
    .await
    .unwrap();
    for (scenario, passed, printed) in &outcomes {
        println!(
            "conformance {scenario}: {}",
            if *passed { "passed" } else { "FAILED" }
        );
        assert!(passed, "conformance scenario {scenario} failed:\n{printed}");
    }
}
