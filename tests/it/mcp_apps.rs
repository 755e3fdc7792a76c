//! The product cards as an MCP App, in a real headless Chromium: a minimal host page on its
//! own origin follows the `io.modelcontextprotocol/ui` host protocol (it loads the view's
//! HTML from resources/read into a sandboxed iframe, answers `ui/initialize`, sends the tool
//! result), and the cards it shows are the tool's products, in the tool's order.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use giftvec::transport::http::ServeSettings;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::browser::Browser;
use crate::common::mcp_post;
use crate::server::TestServer;

const VIEW: &str = "ui://giftvec/products";
const MIME: &str = "text/html;profile=mcp-app";

/// One stateless MCP request over HTTP; its `result`.
async fn mcp(url: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let answer: Value = mcp_post(url, body).await.json().await.unwrap();
    assert!(answer.get("error").is_none(), "{method}: {answer}");
    answer["result"].clone()
}

/// A host page: embeds an MCP App's HTML in a sandboxed iframe and plays the host's side of
/// the protocol with the tool result it is given. `window.hostLog` holds every message the
/// view sent, as sent.
const HOST_PAGE: &str = r#"<!doctype html><html><head><title>test host</title></head>
<body style="margin:16px;font-family:sans-serif;background:#f6f7f9">
<p>Tool result shown by the server's MCP App:</p>
<script>
window.hostLog = [];
window.messages = [];
window.showApp = (html, toolResult) => {
  const frame = document.createElement("iframe");
  frame.setAttribute("sandbox", "allow-scripts");
  frame.style.cssText = "width:1100px;height:120px;border:0";
  const reply = (message) => frame.contentWindow.postMessage({jsonrpc: "2.0", ...message}, "*");
  window.addEventListener("message", (event) => {
    if (event.source !== frame.contentWindow) return;
    const m = event.data;
    window.hostLog.push(m);
    if (m.method === "ui/initialize") {
      reply({id: m.id, result: {protocolVersion: m.params.protocolVersion,
        hostInfo: {name: "giftvec-test-host", version: "1"},
        hostCapabilities: {message: {text: {}}},
        hostContext: {theme: "light", displayMode: "inline", locale: "en-US"}}});
    } else if (m.method === "ui/notifications/initialized") {
      reply({method: "ui/notifications/tool-result", params: toolResult});
    } else if (m.method === "ui/notifications/size-changed") {
      frame.style.height = m.params.height + "px";
    } else if (m.method === "ui/message") {
      window.messages.push(m.params);
      reply({id: m.id, result: {}});
    }
  });
  frame.srcdoc = html;
  document.body.append(frame);
};
</script></body></html>"#;

async fn host_page() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(|| async { axum::response::Html(HOST_PAGE) }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// Opens the host page and has it show the view with `result`.
async fn show(browser: &Browser, host: &str, html: &str, result: &Value) {
    browser.client.goto(host).await.unwrap();
    browser
        .client
        .execute(
            "window.showApp(arguments[0], arguments[1])",
            vec![json!(html), result.clone()],
        )
        .await
        .unwrap();
}

/// The cards in the view (ids and the text of `part` of each), once there are `n`.
async fn cards(browser: &Browser, n: usize, part: &str) -> Vec<(String, String)> {
    let started = Instant::now();
    loop {
        browser.client.enter_parent_frame().await.unwrap();
        browser.client.enter_frame(0).await.unwrap();
        let found = browser
            .client
            .find_all(Locator::Css("article.card"))
            .await
            .unwrap();
        if found.len() == n {
            let mut shown = Vec::new();
            for card in found {
                let id = card.attr("data-product-id").await.unwrap().unwrap();
                let text = card
                    .find(Locator::Css(part))
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                shown.push((id, text));
            }
            browser.client.enter_parent_frame().await.unwrap();
            return shown;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the view shows {} cards, the result has {n}",
            found.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[sqlx::test]
async fn the_product_cards_show_the_tool_results_in_a_host(pool: PgPool) {
    let server = TestServer::start(pool, ServeSettings::default()).await;
    let url = server.url("/mcp");

    let init = mcp(
        &url,
        "initialize",
        json!({"protocolVersion": "2025-11-25", "clientInfo": {"name": "host", "version": "1"},
               "capabilities": {"extensions": {"io.modelcontextprotocol/ui": {"mimeTypes": [MIME]}}}}),
    )
    .await;
    assert_eq!(
        init["capabilities"]["extensions"]["io.modelcontextprotocol/ui"]["mimeTypes"],
        json!([MIME])
    );
    let listed = mcp(&url, "tools/list", json!({})).await;
    for tool in listed["tools"].as_array().unwrap() {
        let with_cards = ["search_products", "similar_products", "recommend_gifts"]
            .contains(&tool["name"].as_str().unwrap());
        let uri = &tool["_meta"]["ui"]["resourceUri"];
        assert_eq!(uri == VIEW, with_cards, "{}: {uri}", tool["name"]);
    }
    let resources = mcp(&url, "resources/list", json!({})).await;
    let view = resources["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["uri"] == VIEW)
        .expect("the view is listed");
    assert_eq!(view["mimeType"], MIME);
    let read = mcp(&url, "resources/read", json!({"uri": VIEW})).await;
    let contents = &read["contents"][0];
    assert_eq!(contents["mimeType"], MIME);
    let html = contents["text"].as_str().unwrap().to_string();

    let search = mcp(
        &url,
        "tools/call",
        json!({"name": "search_products", "arguments": {"query": "a gift for a tea lover", "limit": 6}}),
    )
    .await;
    let recommend = mcp(
        &url,
        "tools/call",
        json!({"name": "recommend_gifts",
               "arguments": {"context": "my sister loves gardening", "limit": 5, "detail": "brief"}}),
    )
    .await;

    let host = host_page().await;
    let browser = Browser::start().await;
    for (result, list, part, field) in [
        (&search, "results", ".title", "title"),
        (&recommend, "recommendations", ".reason", "reason"),
    ] {
        show(&browser, &host, &html, result).await;
        let expected: Vec<(String, String)> = result["structuredContent"][list]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let text = p[field].as_str().unwrap().to_string();
                (p["id"].as_str().unwrap().to_string(), text)
            })
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(cards(&browser, expected.len(), part).await, expected);
        let log = browser
            .client
            .execute("return window.hostLog", vec![])
            .await
            .unwrap();
        let sent: Vec<&str> = log
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["method"].as_str())
            .collect();
        for step in [
            "ui/initialize",
            "ui/notifications/initialized",
            "ui/notifications/size-changed",
        ] {
            assert!(sent.contains(&step), "{step}: {log}");
        }
    }

    // The search cards again, for the screenshot, and a card's button reaches the host.
    show(&browser, &host, &html, &search).await;
    let shown = cards(&browser, 6, ".title").await;
    let png = browser.client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    let path = if std::env::var_os("GIFTVEC_UPDATE_SNAPSHOTS").is_some() {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/product-cards.png")
    } else {
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("product-cards.png")
    };
    std::fs::write(&path, &png).unwrap();
    println!("product cards screenshot: {}", path.display());
    browser.client.enter_frame(0).await.unwrap();
    browser
        .client
        .find(Locator::Css("article.card button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.client.enter_parent_frame().await.unwrap();
    let started = Instant::now();
    let messages = loop {
        let messages = browser
            .client
            .execute("return window.messages", vec![])
            .await
            .unwrap();
        if !messages.as_array().unwrap().is_empty() || started.elapsed() > Duration::from_secs(10) {
            break messages;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let text = messages[0]["content"][0]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(
        text.contains(&shown[0].1) && text.contains(&shown[0].0),
        "{messages}"
    );
    // What the view sent and what the host passed it, against the extension's own schema
    // (the JSON Schema the ext-apps package publishes, not ours).
    let log = browser
        .client
        .execute("return window.hostLog", vec![])
        .await
        .unwrap();
    let schema = ProtocolSchema::load();
    for message in log.as_array().unwrap() {
        schema.check(message);
    }
    schema.check(&json!({"method": "ui/notifications/tool-result", "params": search}));
    schema.check(&json!({"method": "ui/notifications/tool-result", "params": recommend}));
    browser.client.clone().close().await.unwrap();
}

/// The MCP Apps protocol messages as `@modelcontextprotocol/ext-apps` defines them (its
/// `schema.json`, installed by tools/test).
struct ProtocolSchema {
    root: Value,
}

impl ProtocolSchema {
    fn load() -> Self {
        let path = format!(
            "{}/@modelcontextprotocol/ext-apps/dist/src/generated/schema.json",
            crate::server::test_node_modules()
        );
        let root = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        Self { root }
    }

    /// Checks one message (`method`, `params`) against the definition of its method.
    fn check(&self, message: &Value) {
        let method = message["method"]
            .as_str()
            .expect("the view sends no bare responses");
        let definition = match method {
            "ui/initialize" => "McpUiInitializeRequest",
            "ui/notifications/initialized" => "McpUiInitializedNotification",
            "ui/notifications/size-changed" => "McpUiSizeChangedNotification",
            "ui/notifications/tool-result" => "McpUiToolResultNotification",
            "ui/message" => "McpUiMessageRequest",
            other => panic!("the view sent {other}, which this test does not know"),
        };
        let schema = json!({"$defs": self.root["$defs"], "$ref": format!("#/$defs/{definition}")});
        let validator = jsonschema::draft202012::new(&schema).unwrap();
        let shape = json!({"method": method, "params": message["params"]});
        let errors: Vec<String> = validator
            .iter_errors(&shape)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{method} breaks the ext-apps schema: {errors:?}\n{shape}"
        );
    }
}
