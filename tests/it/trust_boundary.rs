//! Who may reach the listener: foreign browser origins and rebinding `Host` names are refused
//! on every route (WebSocket upgrades included), widget origins reach only the widget's
//! routes, and a network listener without a token refuses to start.

use std::process::Command;

use giftvec::transport::http::ServeSettings;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::ws_client::WsClientBuilder;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::url_of;
use crate::server::TestServer;

const EVIL: &str = "http://evil.example";
const SHOP: &str = "https://shop.example";

async fn send(
    server: &TestServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut request = match method {
        "GET" => client.get(server.url(path)),
        _ => client
            .post(server.url(path))
            .json(&json!({"jsonrpc": "2.0", "id": 1,
            "method": "upsert_recipient", "params": {"user_id": "u", "name": "Mum"}})),
    };
    request = request
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[sqlx::test]
async fn foreign_origins_and_rebinding_hosts_are_refused_on_every_route(pool: PgPool) {
    let settings = ServeSettings {
        widget_origins: vec![SHOP.into()],
        ..crate::server::all_tools()
    };
    let server = TestServer::start(pool.clone(), settings).await;
    let product: String = sqlx::query_scalar("SELECT id FROM products ORDER BY id LIMIT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    let similar = format!("/api/products/{product}/similar");
    let routes = [
        ("POST", "/rpc"),
        ("POST", "/mcp"),
        ("GET", "/openapi.json"),
        ("GET", "/metrics"),
        ("GET", "/status"),
        ("GET", similar.as_str()),
        ("POST", "/api/events"),
    ];
    for (method, path) in routes {
        let (status, body) = send(&server, method, path, &[("origin", EVIL)]).await;
        assert_eq!(status, 403, "{method} {path} from {EVIL}: {body}");
        assert_eq!(body["error"]["code"], "forbidden");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("GIFTVEC_ALLOWED_ORIGINS"), "{message}");
        let (status, body) = send(
            &server,
            method,
            path,
            &[("host", "rebind.evil.example:7070")],
        )
        .await;
        assert_eq!(status, 403, "{method} {path} with a rebinding Host: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("GIFTVEC_ALLOWED_HOSTS")
        );
    }
    // No recipient was stored by the refused upserts; an agent (no Origin) still gets in.
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM recipients")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
    let (status, _) = send(&server, "POST", "/rpc", &[]).await;
    assert_eq!(status, 200);
    // The probes stay open whatever the Host (the kubelet probes the pod's IP).
    let (status, _) = send(&server, "GET", "/healthz", &[("host", "evil.example")]).await;
    assert_eq!(status, 200);

    // The widget's origin reaches the widget's routes, and nothing else.
    let (status, body) = send(&server, "GET", &similar, &[("origin", SHOP)]).await;
    assert_eq!(status, 200, "{body}");
    for (method, path) in [("POST", "/rpc"), ("POST", "/mcp"), ("GET", "/status")] {
        let (status, body) = send(&server, method, path, &[("origin", SHOP)]).await;
        assert_eq!(
            status, 403,
            "{method} {path} from the widget origin: {body}"
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("GIFTVEC_WIDGET_ORIGINS")
        );
    }

    // WebSocket: a foreign page's upgrade is refused before it is upgraded.
    let ws = |origin: &'static str| {
        let mut headers = HeaderMap::new();
        headers.insert("origin", HeaderValue::from_static(origin));
        WsClientBuilder::default()
            .set_headers(headers)
            .build(server.ws_url("/rpc"))
    };
    let Err(refused) = ws(EVIL).await else {
        panic!("a foreign page's WebSocket was accepted");
    };
    assert!(refused.to_string().contains("403"), "{refused}");
    let local = ws("http://localhost:5173")
        .await
        .expect("a loopback page may connect");
    let listed: Value = local
        .request("tools.list", jsonrpsee::rpc_params![])
        .await
        .unwrap();
    assert!(listed["tools"].as_array().unwrap().len() > 10);
}

#[sqlx::test]
async fn configured_hosts_and_origins_get_in(pool: PgPool) {
    let settings = ServeSettings {
        allowed_hosts: vec!["giftvec.shop.svc".into()],
        allowed_origins: vec!["https://ops.example".into()],
        ..crate::server::all_tools()
    };
    let server = TestServer::start(pool, settings).await;
    let (status, body) = send(
        &server,
        "POST",
        "/mcp",
        &[("host", "giftvec.shop.svc:7070")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = send(
        &server,
        "POST",
        "/rpc",
        &[("origin", "https://ops.example")],
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = send(
        &server,
        "POST",
        "/rpc",
        &[("origin", "https://ops.example.evil")],
    )
    .await;
    assert_eq!(status, 403);
}

#[sqlx::test]
async fn a_network_listener_without_a_token_refuses_to_start(pool: PgPool) {
    let out = Command::new(env!("CARGO_BIN_EXE_giftvec"))
        .args(["serve", "--listen", "0.0.0.0:0"])
        .env("DATABASE_URL", url_of(&pool))
        .env_remove("GIFTVEC_AUTH_TOKEN")
        .env("GIFTVEC_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("GIFTVEC_AUTH_TOKEN") && stderr.contains("--allow-unauthenticated"),
        "{stderr}"
    );
}
