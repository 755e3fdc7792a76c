//! Token scopes and per-caller rates: the agent token opens the agent tools and the REST API,
//! the ops token every tool plus `/metrics` and `/status`, the public widget key only similar
//! products and anonymous view and click events; every scope is rate-limited per caller
//! (scope and address), over JSON-RPC (each call of a batch), MCP and REST alike.

use std::net::{IpAddr, Ipv4Addr};

use giftvec::transport::http::ServeSettings;
use giftvec::transport::rate_limit::Rates;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::server::TestServer;

const AGENT: &str = "agent-secret";
const OPS: &str = "ops-secret";
const WIDGET: &str = "pk-widget-public";

fn scoped(rates: Rates) -> ServeSettings {
    ServeSettings {
        auth_token: Some(AGENT.to_string().into()),
        ops_token: Some(OPS.to_string().into()),
        widget_key: Some(WIDGET.to_string().into()),
        rates,
        ..ServeSettings::default()
    }
}

async fn a_product(pool: &PgPool) -> String {
    sqlx::query_scalar("SELECT id FROM products ORDER BY id LIMIT 1")
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn events_of(pool: &PgPool, user: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events WHERE user_id = $1")
        .bind(user)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[sqlx::test]
async fn each_token_reaches_only_its_scope(pool: PgPool) {
    let server = TestServer::start(pool.clone(), scoped(Rates::UNLIMITED)).await;
    let client = Client::new();
    let product = a_product(&pool).await;
    let similar = server.url(&format!("/api/products/{product}/similar?limit=3"));
    let rpc = json!({"jsonrpc": "2.0", "id": 1, "method": "tools.list"});

    // The agent token: tools and REST, not the operators' routes once an ops token is set.
    let (status, _) = send(
        client
            .post(server.url("/rpc"))
            .bearer_auth(AGENT)
            .json(&rpc),
    )
    .await;
    assert_eq!(status, 200);
    for path in ["/metrics", "/status"] {
        let (status, body) = send(client.get(server.url(path)).bearer_auth(AGENT)).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("GIFTVEC_OPS_TOKEN")
        );
        let (status, _) = send(client.get(server.url(path)).bearer_auth(OPS)).await;
        assert_eq!(status, 200, "{path} with the ops token");
    }

    // The widget key: similar products and anonymous clicks, nothing else.
    let (status, body) = send(client.get(&similar).bearer_auth(WIDGET)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"].as_array().unwrap().len(), 3);
    let click = json!({"user_id": "shopper-7", "product_id": product, "kind": "click"});
    let (status, body) = send(
        client
            .post(server.url("/api/events"))
            .bearer_auth(WIDGET)
            .json(&click),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(events_of(&pool, "anonymous:shopper-7").await, 1);
    assert_eq!(
        events_of(&pool, "shopper-7").await,
        0,
        "no real user's data moved"
    );

    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    for (extra, field) in [
        (json!({"kind": "purchase"}), "kind"),
        (json!({"kind": "like"}), "kind"),
        (json!({"recipient_id": "mum"}), "recipient_id"),
        (json!({"request_id": "rec_1"}), "request_id"),
        (json!({"experiment_arm": "b"}), "experiment_arm"),
    ] {
        let mut event = click.clone();
        event
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let (status, body) = send(
            client
                .post(server.url("/api/events"))
                .bearer_auth(WIDGET)
                .json(&event),
        )
        .await;
        assert_eq!(status, 400, "{event}: {body}");
        assert_eq!(body["error"]["field"], field, "{body}");
    }
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(before, after, "refused widget events stored nothing");

    for (method, path) in [
        ("POST", "/rpc"),
        ("POST", "/mcp"),
        ("POST", "/api/recommendations"),
        ("POST", "/api/vectors/embed"),
        ("GET", "/metrics"),
        ("GET", "/status"),
    ] {
        let url = server.url(path);
        let request = match method {
            "GET" => client.get(url),
            _ => client.post(url).json(&rpc),
        };
        let (status, body) = send(request.bearer_auth(WIDGET)).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("GIFTVEC_WIDGET_KEY")
        );
    }
    let (status, _) = send(
        client
            .get(server.url(&format!("/api/products/{product}")))
            .bearer_auth(WIDGET),
    )
    .await;
    assert_eq!(status, 403, "full product details are not the widget's");
    // The ops token reaches every tool, the agent token does not see the ops tools.
    let count = |body: &Value| body["result"]["tools"].as_array().map_or(0, Vec::len);
    let (_, agent) = send(
        client
            .post(server.url("/rpc"))
            .bearer_auth(AGENT)
            .json(&rpc),
    )
    .await;
    let (_, ops) = send(client.post(server.url("/rpc")).bearer_auth(OPS).json(&rpc)).await;
    assert!(
        count(&agent) < count(&ops),
        "{} vs {}",
        count(&agent),
        count(&ops)
    );
}

fn rpc_call(id: u64, product: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "get_product",
           "params": {"product_id": product, "detail": "brief"}})
}

#[sqlx::test]
async fn every_scope_is_rate_limited_per_caller(pool: PgPool) {
    let rates = Rates {
        agent: 5,
        ops: 0,
        widget: 2,
    };
    let server = TestServer::start(pool.clone(), scoped(rates)).await;
    let client = Client::new();
    let product = a_product(&pool).await;

    // JSON-RPC: a burst of twice the rate, then `rate_limited` with when to retry.
    let mut codes = Vec::new();
    for id in 0..30 {
        let (_, body) = send(
            client
                .post(server.url("/rpc"))
                .bearer_auth(AGENT)
                .json(&rpc_call(id, &product)),
        )
        .await;
        codes.push(
            body["error"]["data"]["code"]
                .as_str()
                .unwrap_or("ok")
                .to_string(),
        );
        if codes.last().unwrap() == "rate_limited" {
            assert_eq!(body["error"]["code"], -32046, "{body}");
            assert_eq!(body["error"]["data"]["retryable"], true);
            let message = body["error"]["message"].as_str().unwrap();
            assert!(
                message.contains("5 per second") && message.contains("retry in"),
                "{message}"
            );
        }
    }
    assert!(codes[..10].iter().all(|c| c == "ok"), "{codes:?}");
    assert!(codes.iter().any(|c| c == "rate_limited"), "{codes:?}");

    // MCP: the same caller's tool call is an isError result a model can read.
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": "get_product", "arguments": {"product_id": product}}});
    let (status, body) = send(
        client
            .post(server.url("/mcp"))
            .bearer_auth(AGENT)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-11-25")
            .json(&call),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["isError"], true, "{body}");
    let text: Value =
        serde_json::from_str(body["result"]["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text["code"], "rate_limited", "{text}");

    // A batch counts each call.
    let batch: Vec<Value> = (0..12).map(|id| rpc_call(id, &product)).collect();
    let (_, body) = send(
        client
            .post(server.url("/rpc"))
            .bearer_auth(OPS)
            .json(&batch),
    )
    .await;
    let ops_refused = body
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["error"].is_object());
    assert_eq!(ops_refused.count(), 0, "ops is unlimited here: {body}");

    // The widget key, per shopper address (127.0.0.2 is another loopback address).
    let similar = server.url(&format!("/api/products/{product}/similar?limit=2"));
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let response = client
            .get(&similar)
            .bearer_auth(WIDGET)
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            let wait: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=2).contains(&wait), "{wait}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], "rate_limited", "{body}");
            statuses.push(429);
        } else {
            statuses.push(response.status().as_u16());
        }
    }
    assert!(statuses[..4].iter().all(|s| *s == 200), "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
    let elsewhere = Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)))
        .build()
        .unwrap();
    let (status, _) = send(elsewhere.get(&similar).bearer_auth(WIDGET)).await;
    assert_eq!(status, 200, "another shopper has a budget of their own");

    // Limits refill: after a second the agent calls again.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (_, body) = send(
        client
            .post(server.url("/rpc"))
            .bearer_auth(AGENT)
            .json(&rpc_call(99, &product)),
    )
    .await;
    assert!(body["result"].is_object(), "{body}");
}

#[sqlx::test]
async fn a_widget_origin_page_gets_the_widget_scope_whatever_it_sends(pool: PgPool) {
    // An open listener (no tokens): a shop page's requests are still the widget's.
    let shop = "https://shop.example";
    let settings = ServeSettings {
        widget_origins: vec![shop.into()],
        ..ServeSettings::default()
    };
    let server = TestServer::start(pool.clone(), settings).await;
    let product = a_product(&pool).await;
    let client = Client::new();
    let event = |kind: &str| json!({"user_id": "u-1", "product_id": product, "kind": kind});
    let post = |body: Value| {
        client
            .post(server.url("/api/events"))
            .header("origin", shop)
            .json(&body)
    };
    let (status, body) = send(post(event("purchase"))).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (StatusCode::BAD_REQUEST, &json!("kind"))
    );
    let (status, body) = send(post(event("view")).bearer_auth(OPS)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(events_of(&pool, "anonymous:u-1").await, 1);
    assert_eq!(events_of(&pool, "u-1").await, 0);
    // The same event without a page's Origin (the shop's backend, an agent) is the user's.
    let (status, _) = send(
        client
            .post(server.url("/api/events"))
            .json(&event("purchase")),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(events_of(&pool, "u-1").await, 1);
}
