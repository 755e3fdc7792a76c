//! A call nobody waits for stops its database work: timed out, cancelled by MCP
//! `notifications/cancelled`, or dropped by a client that went away. The products table is
//! locked by the test, so the call's statement waits in PostgreSQL; the test sees that
//! backend wait, gives up on the call, and sees the backend end while the lock is still held
//! (without the cancellation it would wait for as long as the lock).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use giftvec::app::App;
use giftvec::store::{self, DbSettings};
use giftvec::tools::dispatch::CallGate;
use giftvec::transport::http::ServeSettings;
use serde_json::{Value, json};
use sqlx::{PgPool, Postgres, Transaction};

use crate::common::{mcp_post, rpc_at, url_of};
use crate::embed_local::local_settings;
use crate::server::{TestServer, seed};

/// How long the tests wait for a condition before failing (PostgreSQL checks the client
/// every 200 ms here).
const PATIENCE: Duration = Duration::from_secs(20);

/// An app on pools opened the way `giftvec serve` opens them, over the test database.
async fn app_over(pool: &PgPool, call_timeout: Duration) -> App {
    let settings = DbSettings {
        url: url_of(pool).into(),
        max_connections: 4,
        heavy_connections: 0,
        acquire_timeout: Duration::from_secs(5),
        statement_timeout: Duration::from_secs(120),
        client_check_interval: Duration::from_millis(200),
        hnsw_ef_search: 100,
        read_url: None,
        pooler: Default::default(),
        direct_url: None,
    };
    let db = store::connect(&settings).await.unwrap();
    let mut app = App::from_pool(db, &local_settings()).await.unwrap();
    seed(&app).await;
    app.gate = Arc::new(CallGate::new(8, call_timeout, Duration::from_millis(250)));
    app
}

/// Holds an exclusive lock on `products` until dropped (rolled back).
async fn lock_products(pool: &PgPool) -> Transaction<'static, Postgres> {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE products IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx
}

/// giftvec's backends waiting for a lock in this test's database.
async fn waiting(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND application_name = 'giftvec' AND wait_event_type = 'Lock'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Waits until `waiting` satisfies `done`; false when PATIENCE ran out.
async fn until(pool: &PgPool, done: impl Fn(i64) -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < PATIENCE {
        if done(waiting(pool).await) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[sqlx::test]
async fn a_timed_out_call_stops_its_statement(pool: PgPool) {
    let app = app_over(&pool, Duration::from_millis(1_500)).await;
    let server = TestServer::start_app(app, ServeSettings::default()).await;
    let url = server.url("/rpc");
    let lock = lock_products(&pool).await;
    let call = {
        let url = url.clone();
        tokio::spawn(async move {
            rpc_at(&url, "get_product", json!({"product_id": "coffee-tea-005"})).await
        })
    };
    assert!(
        until(&pool, |n| n >= 1).await,
        "the call never reached the lock"
    );
    let answer = call.await.unwrap();
    assert_eq!(answer["error"]["data"]["code"], "timeout", "{answer}");
    assert!(
        until(&pool, |n| n == 0).await,
        "the timed-out call's statement still waits for the lock"
    );
    lock.rollback().await.unwrap();
    let answer = rpc_at(&url, "get_product", json!({"product_id": "coffee-tea-005"})).await;
    assert_eq!(
        answer["result"]["product"]["id"], "coffee-tea-005",
        "{answer}"
    );
}

#[sqlx::test]
async fn a_client_that_goes_away_stops_its_statement(pool: PgPool) {
    let app = app_over(&pool, Duration::from_secs(120)).await;
    let server = TestServer::start_app(app, ServeSettings::default()).await;
    let lock = lock_products(&pool).await;
    let get = json!({"product_id": "coffee-tea-005"});
    let requests = [
        (
            server.url("/rpc"),
            json!({"jsonrpc": "2.0", "id": 1, "method": "get_product", "params": get}),
        ),
        (
            server.url("/mcp"),
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                   "params": {"name": "get_product", "arguments": get}}),
        ),
    ];
    for (url, body) in requests {
        let call = tokio::spawn(async move { mcp_post(&url, body).await });
        assert!(
            until(&pool, |n| n >= 1).await,
            "the call never reached the lock"
        );
        call.abort();
        assert!(
            until(&pool, |n| n == 0).await,
            "the abandoned call's statement still waits for the lock"
        );
    }
    lock.rollback().await.unwrap();
}

/// `giftvec mcp` over stdio, as a host starts it.
struct StdioServer {
    child: std::process::Child,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
}

impl StdioServer {
    fn start(database_url: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_giftvec"))
            .arg("mcp")
            .env("DATABASE_URL", database_url)
            .env("GIFTVEC_DB_CLIENT_CHECK_MS", "200")
            // Far past PATIENCE: only the cancellation can end the call in time.
            .env("GIFTVEC_CALL_TIMEOUT_MS", "120000")
            .env("GIFTVEC_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Self { child, lines }
    }

    fn send(&mut self, message: Value) {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{message}").unwrap();
        stdin.flush().unwrap();
    }

    fn answer(&mut self) -> Value {
        serde_json::from_str(&self.lines.next().unwrap().unwrap()).unwrap()
    }
}

impl Drop for StdioServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[sqlx::test]
async fn an_mcp_cancellation_stops_its_statement(pool: PgPool) {
    // Seeds the database; the stdio server opens its own pools on it.
    let _app = app_over(&pool, Duration::from_secs(120)).await;
    let mut mcp = StdioServer::start(&url_of(&pool));
    mcp.send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "cancel-test", "version": "1"}}}),
    );
    assert_eq!(mcp.answer()["id"], 1);
    mcp.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    let lock = lock_products(&pool).await;
    mcp.send(
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "get_product", "arguments": {"product_id": "coffee-tea-005"}}}),
    );
    assert!(
        until(&pool, |n| n >= 1).await,
        "the call never reached the lock"
    );
    mcp.send(
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": {"requestId": 2, "reason": "the user moved on"}}),
    );
    assert!(
        until(&pool, |n| n == 0).await,
        "the cancelled call's statement still waits for the lock"
    );
    lock.rollback().await.unwrap();
    mcp.send(
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
        "name": "get_product", "arguments": {"product_id": "coffee-tea-005"}}}),
    );
    // The cancelled request may still be answered (the spec lets a late answer through);
    // the next one must be.
    let answer = loop {
        let answer = mcp.answer();
        if answer["id"] == 3 {
            break answer;
        }
    };
    assert_eq!(
        answer["result"]["structuredContent"]["product"]["id"], "coffee-tea-005",
        "{answer}"
    );
}

#[sqlx::test]
async fn a_client_that_goes_away_stops_its_embedding_retries(pool: PgPool) {
    let fake = crate::fake_openai::Fake::start(8).await;
    fake.fail_next(100, wiremock::ResponseTemplate::new(503))
        .await;
    let mut settings = fake.settings(8);
    // Retries far enough apart that the call is given up on between two of them.
    settings.resilience.max_retries = 6;
    settings.resilience.backoff_min = Duration::from_millis(800);
    settings.resilience.backoff_max = Duration::from_secs(3);
    let embedder = giftvec::embed::Embedder::new(&settings, None).unwrap();
    let app = App::with_embedder(pool, embedder).await.unwrap();
    let server = TestServer::start_app(app, crate::server::all_tools()).await;
    let url = server.url("/rpc");
    let call = tokio::spawn(async move {
        rpc_at(
            &url,
            "embed_text",
            json!({"texts": ["a gift for a tea lover"]}),
        )
        .await
    });
    let start = Instant::now();
    while fake.calls() == 0 && start.elapsed() < PATIENCE {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(fake.calls() >= 1, "the call never reached the provider");
    call.abort();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let at_cancel = fake.calls();
    // Six more attempts would come within about 10 s; none may come after the client left.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        fake.calls(),
        at_cancel,
        "the provider was called after the cancellation"
    );
}
