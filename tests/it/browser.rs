//! Pages in a real headless Chromium (Debian's chromium and chromium-driver, driven over
//! WebDriver with fantoccini): the status page shows the figures the API reports.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use giftvec::tools::Tool;
use giftvec::transport::http::ServeSettings;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::server::TestServer;

/// A chromedriver on a free loopback port and a headless Chromium session; both end on drop.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new("chromedriver")
            .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian package chromium-driver; tools/test installs it)");
        let profile = tempfile::tempdir().unwrap();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1200,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }),
        );
        let started = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(err) if started.elapsed() < Duration::from_secs(30) => {
                    let _ = err;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(err) => panic!("no WebDriver session: {err}"),
            }
        };
        Self {
            client,
            driver,
            _profile: profile,
        }
    }

    /// The text of the element at `css`.
    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .unwrap()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[sqlx::test]
async fn the_status_page_shows_what_the_api_reports(pool: PgPool) {
    let server = TestServer::start(pool.clone(), crate::server::all_tools()).await;
    let app = server.app.clone();
    // Some searches, and a product the provider refused for good.
    for query in ["coffee", "a gift for my dad who fishes", "zzqx"] {
        giftvec::tools::search_products::SearchProducts::call(
            &app,
            serde_json::from_value(json!({"query": query})).unwrap(),
        )
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO embedding_jobs (product_id, model, content_hash, state, attempts, last_error,
                                     finished_at)
         VALUES ('fishing-002', $1, '\\x00', 'dead', 5, 'the provider rejected the input <b>', now())",
    )
    .bind(&app.model.name)
    .execute(&pool)
    .await
    .unwrap();
    // The search log is written in the background: wait for it, as the API sees it.
    let started = Instant::now();
    let stats: Value = loop {
        let out = giftvec::tools::search_stats::SearchStatsTool::call(
            &app,
            serde_json::from_value(json!({})).unwrap(),
        )
        .await
        .unwrap();
        let out = serde_json::to_value(out).unwrap();
        if out["searches"] == 3 || started.elapsed() > Duration::from_secs(10) {
            break out;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let status = serde_json::to_value(
        giftvec::tools::embedding_status::EmbeddingStatusTool::call(
            &app,
            serde_json::from_value(json!({})).unwrap(),
        )
        .await
        .unwrap(),
    )
    .unwrap();

    let browser = Browser::start().await;
    browser.client.goto(&server.url("/status")).await.unwrap();
    assert_eq!(browser.client.title().await.unwrap(), "giftvec status");
    let model = app.model.name.as_str();
    let row = format!("tr[data-model=\"{model}\"]");
    let coverage = status["models"][0]["coverage"].as_f64().unwrap();
    assert_eq!(
        browser.text(&format!("{row} td.coverage")).await,
        format!("{:.1}%", 100.0 * coverage)
    );
    assert_eq!(
        browser.text(&format!("{row} td.dead")).await,
        status["models"][0]["dead"].to_string()
    );
    assert_eq!(status["models"][0]["dead"], 1);
    let letters = browser.text("#dead-letters").await;
    assert!(
        letters.contains("fishing-002") && letters.contains("the provider rejected the input <b>"),
        "escaped text shows as text: {letters}"
    );
    assert_eq!(
        browser.text("#search td.searches").await,
        stats["searches"].to_string()
    );
    let p95 = stats["p95_latency_ms"].as_f64().unwrap();
    assert_eq!(browser.text("#search td.p95").await, format!("{p95:.1} ms"));
    assert!(browser.text("#spend").await.starts_with("Today (UTC): $"));
    let refresh = browser
        .client
        .find(Locator::Css("meta[http-equiv=refresh]"))
        .await
        .unwrap()
        .attr("content")
        .await
        .unwrap();
    assert_eq!(refresh.as_deref(), Some("15"), "the page refreshes itself");

    let png = browser.client.screenshot().await.unwrap();
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("status-page.png");
    std::fs::write(&path, &png).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    println!("status page screenshot: {}", path.display());
    browser.client.clone().close().await.unwrap();
}

/// The public key the shop page's widget carries (the sidecar also has an agent token the
/// page never sees).
const WIDGET_KEY: &str = "pk-shop-widget";

/// A shop page on its own origin that embeds the widget below the fold, counting the page's
/// fetches; `/products/{id}` is where a card leads.
async fn shop_page(listener: tokio::net::TcpListener, giftvec: String) {
    use axum::routing::get;
    let html = format!(
        r#"<!doctype html><html><head><title>shop</title><script>
window.__fetches = [];
const realFetch = window.fetch;
window.fetch = (...args) => {{ window.__fetches.push(String(args[0])); return realFetch(...args); }};
</script><script src="{giftvec}/widget/similar.js"></script></head><body>
<div style="height: 4000px">a long product page</div>
<giftvec-similar id="w" product-id="fishing-002" limit="4" user-id="widget-shopper" widget-key="{WIDGET_KEY}"></giftvec-similar>
</body></html>"#
    );
    let app = axum::Router::new()
        .route("/", get(move || async move { axum::response::Html(html) }))
        .route("/products/{id}", get(|| async { "product page" }));
    axum::serve(listener, app).await.unwrap();
}

async fn eval(browser: &Browser, script: &str) -> Value {
    browser.client.execute(script, vec![]).await.unwrap()
}

async fn wait_for(browser: &Browser, script: &str, what: &str) -> Value {
    let started = Instant::now();
    loop {
        let v = eval(browser, script).await;
        if !(v.is_null() || v == json!(false)) {
            return v;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[sqlx::test]
async fn the_widget_loads_when_scrolled_into_view_and_records_clicks(pool: PgPool) {
    let shop = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let shop_origin = format!("http://{}", shop.local_addr().unwrap());
    let settings = ServeSettings {
        widget_origins: vec![shop_origin.clone()],
        auth_token: Some("agent-only-secret".to_string().into()),
        widget_key: Some(WIDGET_KEY.to_string().into()),
        ..crate::server::all_tools()
    };
    let server = TestServer::start(pool.clone(), settings).await;
    tokio::spawn(shop_page(shop, server.url("")));

    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("{shop_origin}/"))
        .await
        .unwrap();
    wait_for(
        &browser,
        "return !!customElements.get('giftvec-similar')",
        "the element",
    )
    .await;
    // Below the fold: nothing is fetched, however long we wait.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        eval(
            &browser,
            "return document.getElementById('w').dataset.state"
        )
        .await,
        "idle"
    );
    assert_eq!(eval(&browser, "return window.__fetches.length").await, 0);

    eval(&browser, "document.getElementById('w').scrollIntoView()").await;
    let state = wait_for(
        &browser,
        "const s = document.getElementById('w').dataset.state; return s === 'idle' || s === 'loading' ? null : s",
        "the widget to load",
    )
    .await;
    assert_eq!(state, "loaded");
    let fetched = eval(&browser, "return window.__fetches").await;
    assert_eq!(fetched.as_array().unwrap().len(), 1, "{fetched}");
    assert!(
        fetched[0]
            .as_str()
            .unwrap()
            .contains("/api/products/fishing-002/similar?limit=4")
    );
    let titles = eval(
        &browser,
        "return [...document.getElementById('w').shadowRoot.querySelectorAll('a.card .title')].map(e => e.textContent)",
    )
    .await;
    // The cards are what similar_products answers.
    let expected = giftvec::tools::similar_products::SimilarProducts::call(
        &server.app,
        serde_json::from_value(
            json!({"product_id": "fishing-002", "limit": 4, "filters": {"in_stock": true}}),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    let expected: Vec<&str> = expected
        .results
        .iter()
        .map(|h| h.product.title.as_str())
        .collect();
    assert_eq!(titles, json!(expected));

    let clicked = eval(
        &browser,
        "const a = document.getElementById('w').shadowRoot.querySelector('a.card'); a.click(); return a.dataset.productId",
    )
    .await;
    let clicked = clicked.as_str().unwrap().to_string();
    wait_for(
        &browser,
        &format!("return location.pathname === '/products/{clicked}'"),
        "the card's link",
    )
    .await;
    let started = Instant::now();
    loop {
        let n: i64 = sqlx::query_scalar(
            // Filed apart from the users agents serve: a browser cannot prove who it is.
            "SELECT count(*) FROM events WHERE user_id = 'anonymous:widget-shopper' AND kind = 'click' AND product_id = $1",
        )
        .bind(&clicked)
        .fetch_one(&pool)
        .await
        .unwrap();
        if n == 1 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the click was not recorded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    browser.client.clone().close().await.unwrap();

    // Other origins get no CORS permission.
    let preflight = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, server.url("/api/events"))
        .header("origin", "http://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let allowed = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, server.url("/api/events"))
        .header("origin", &shop_origin)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        shop_origin.as_str()
    );
}
