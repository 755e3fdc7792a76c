//! rmcp's own client (what Rust agents embed) over stdio and streamable HTTP: a result reaches
//! it as structured content, and a tool failure as an `isError` result whose text carries the
//! code, the message and the field, never as a protocol error.

use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::{ConfigureCommandExt, StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ServiceExt, service::ServiceError};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::url_of;
use crate::server::TestServer;

async fn call(
    client: &RunningService<RoleClient, ()>,
    tool: &'static str,
    arguments: Value,
) -> Result<CallToolResult, ServiceError> {
    let Value::Object(arguments) = arguments else {
        panic!("arguments are an object")
    };
    client
        .call_tool(CallToolRequestParams::new(tool).with_arguments(arguments))
        .await
}

/// The error object a failed call's text holds.
fn error_of(result: &CallToolResult) -> Value {
    assert_eq!(result.is_error, Some(true), "{result:?}");
    assert!(result.structured_content.is_none(), "{result:?}");
    let text = result.content[0]
        .as_text()
        .expect("a text block")
        .text
        .clone();
    serde_json::from_str(&text).unwrap()
}

async fn exercise(client: RunningService<RoleClient, ()>) {
    let tools = client.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "recommend_gifts"));

    let found = call(
        &client,
        "get_product",
        json!({"product_id": "coffee-tea-005"}),
    )
    .await
    .unwrap();
    assert_ne!(found.is_error, Some(true));
    let product = &found.structured_content.as_ref().unwrap()["product"];
    assert_eq!(product["id"], "coffee-tea-005");

    let missing = call(
        &client,
        "get_product",
        json!({"product_id": "no-such-product"}),
    )
    .await
    .unwrap();
    let error = error_of(&missing);
    assert_eq!(error["code"], "not_found", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("no-such-product"),
        "{error}"
    );

    let refused = call(
        &client,
        "recommend_gifts",
        json!({"context": "my dad", "budget": {"max": -5}}),
    )
    .await
    .unwrap();
    let error = error_of(&refused);
    assert_eq!(
        (error["code"].as_str(), error["field"].as_str()),
        (Some("invalid_input"), Some("budget.max")),
        "{error}"
    );
    client.cancel().await.unwrap();
}

#[sqlx::test]
async fn rmcp_clients_read_results_and_errors_over_both_transports(pool: PgPool) {
    let server = TestServer::start(pool.clone(), Default::default()).await;
    let http = ().serve(StreamableHttpClientTransport::from_uri(server.url("/mcp"))).await.unwrap();
    exercise(http).await;

    let url = url_of(&pool);
    let child = TokioChildProcess::new(
        tokio::process::Command::new(env!("CARGO_BIN_EXE_giftvec")).configure(|cmd| {
            cmd.arg("mcp")
                .env("DATABASE_URL", &url)
                .env("GIFTVEC_LOG", "warn");
        }),
    )
    .unwrap();
    let stdio = ().serve(child).await.unwrap();
    exercise(stdio).await;
}
