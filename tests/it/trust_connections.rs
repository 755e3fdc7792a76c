//! Connections cannot lock one another out: idle WebSockets never take the capacity JSON-RPC
//! over HTTP needs and are closed once idle, and a client that sends its headers or body too
//! slowly is cut off (408), as one that sends too much is (413) — with JSON errors.

use std::time::Duration;

use giftvec::transport::http::ServeSettings;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::ws_client::WsClientBuilder;
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::rpc_at;
use crate::server::{TestServer, all_tools};

#[sqlx::test]
async fn idle_websockets_never_lock_out_http_calls(pool: PgPool) {
    let server = TestServer::start(pool, all_tools()).await;
    let mut sockets = Vec::new();
    let mut refused = 0;
    for _ in 0..150 {
        match WsClientBuilder::default()
            .build(server.ws_url("/rpc"))
            .await
        {
            Ok(client) => sockets.push(client),
            Err(_) => refused += 1,
        }
    }
    let cap = ServeSettings::default().max_ws_connections as usize;
    assert_eq!(sockets.len(), cap, "WebSockets have their own cap");
    assert_eq!(refused, 150 - cap);
    for i in 0..20 {
        let answer = rpc_at(
            &server.url("/rpc"),
            "get_product",
            json!({"product_id": "nope"}),
        )
        .await;
        assert_eq!(
            answer["error"]["data"]["code"], "not_found",
            "HTTP call {i}: {answer}"
        );
    }
    let listed: Value = sockets[0]
        .request("tools.list", jsonrpsee::rpc_params![])
        .await
        .unwrap();
    assert!(listed["tools"].is_array(), "the open sockets still serve");
}

#[sqlx::test]
async fn an_idle_websocket_is_closed_and_a_busy_one_is_not(pool: PgPool) {
    let settings = ServeSettings {
        ws_idle: Duration::from_millis(1500),
        ..all_tools()
    };
    let server = TestServer::start(pool, settings).await;
    let idle = WsClientBuilder::default()
        .build(server.ws_url("/rpc"))
        .await
        .unwrap();
    let busy = WsClientBuilder::default()
        .build(server.ws_url("/rpc"))
        .await
        .unwrap();
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        let listed: Result<Value, _> = busy.request("tools.list", jsonrpsee::rpc_params![]).await;
        assert!(listed.is_ok(), "a socket in use stays open");
    }
    let closed: Result<Value, _> = idle.request("tools.list", jsonrpsee::rpc_params![]).await;
    assert!(closed.is_err(), "a socket idle past the limit was closed");
    assert!(!idle.is_connected());
}

/// What the server sends back on a raw connection before it closes it (at most 10 s).
async fn answer_to(server: &TestServer, sent: &[u8]) -> String {
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(sent).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server kept a stalled request open");
    String::from_utf8_lossy(&answer).into_owned()
}

#[sqlx::test]
async fn slow_and_oversized_requests_are_cut_off(pool: PgPool) {
    let settings = ServeSettings {
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        max_body_bytes: 64 * 1024,
        ..all_tools()
    };
    let server = TestServer::start(pool, settings).await;
    // Headers that never end: the connection is closed.
    let answer = answer_to(
        &server,
        b"POST /rpc HTTP/1.1\r\nHost: localhost\r\nContent-Ty",
    )
    .await;
    assert!(!answer.contains("200 OK"), "{answer}");
    // A body that stops half way: 408 with a JSON error naming the setting.
    let partial = b"POST /rpc HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
                    Content-Length: 200\r\n\r\n{\"jsonrpc\": \"2.0\"";
    let answer = answer_to(&server, partial).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("GIFTVEC_REQUEST_READ_SECS"), "{answer}");
    // A body past the limit: 413, also JSON.
    let response = reqwest::Client::new()
        .post(server.url("/api/vectors/embed"))
        .header("content-type", "application/json")
        .body(format!("{{\"texts\": [\"{}\"]}}", "a".repeat(100_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["field"], "body", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("65536 bytes"),
        "{body}"
    );
    // On /rpc the same refusal is a JSON-RPC error object, as a JSON-RPC client reads errors.
    let response = reqwest::Client::new()
        .post(server.url("/rpc"))
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "embed_text",
                      "params": {"texts": ["a".repeat(100_000)]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (&body["jsonrpc"], &body["error"]["code"]),
        (&json!("2.0"), &json!(-32600)),
        "{body}"
    );
    assert_eq!(body["error"]["data"]["field"], "body", "{body}");
    // The server still answers.
    let answer = rpc_at(&server.url("/rpc"), "tools.list", json!({})).await;
    assert!(answer["result"]["tools"].is_array());
}
