//! An in-process `giftvec serve` on a free loopback port, over a test database seeded with a
//! slice of the demo catalog (every 7th product: all categories, 78 products) embedded by the
//! real local model.

use std::net::SocketAddr;
use std::path::Path;

use giftvec::app::App;
use giftvec::catalog::{ImportOptions, import_file};
use giftvec::pipeline::backfill;
use giftvec::transport::http::{ServeSettings, serve};
use sqlx::PgPool;
use tokio::sync::oneshot;

use crate::embed_local::local_settings;

pub struct TestServer {
    pub addr: SocketAddr,
    pub app: App,
    stop: Option<oneshot::Sender<()>>,
}

/// Imports every 7th demo product and embeds them.
pub async fn seed(app: &App) {
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("evals/data/demo_catalog.jsonl");
    let lines: String = std::fs::read_to_string(catalog)
        .unwrap()
        .lines()
        .step_by(7)
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slice.jsonl");
    std::fs::write(&path, lines).unwrap();
    let report = import_file(&app.db, &path, &ImportOptions::default())
        .await
        .unwrap();
    assert!(report.errors.is_empty());
    backfill::run(app, 64, false).await.unwrap();
}

impl TestServer {
    pub async fn start(pool: PgPool, settings: ServeSettings) -> Self {
        let app = App::from_pool(pool, &local_settings()).await.unwrap();
        seed(&app).await;
        Self::start_app(app, settings).await
    }

    pub async fn start_app(app: App, settings: ServeSettings) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let served = app.clone();
        tokio::spawn(async move {
            serve(listener, served, settings, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Self {
            addr,
            app,
            stop: Some(stop),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Listener settings offering every tool (the tests exercise the ops tools too; the default
/// toolset has its own test).
pub fn all_tools() -> ServeSettings {
    ServeSettings {
        toolsets: giftvec::tools::Toolsets::ALL,
        ..ServeSettings::default()
    }
}

/// The node_modules folder with the MCP TypeScript SDK, Inspector and conformance suite
/// (tools/test installs them).
pub fn test_node_modules() -> String {
    std::env::var("GIFTVEC_TEST_NODE_MODULES")
        .expect("run the tests with tools/test, which installs the Node MCP clients")
}

/// A Node >= 22 binary (the Inspector and the conformance suite need it; tools/test installs it).
pub fn test_node22() -> String {
    std::env::var("GIFTVEC_TEST_NODE22")
        .expect("run the tests with tools/test, which installs Node 22")
}

/// The Python interpreter with the MCP SDK and openapi-spec-validator (tools/test sets it up).
pub fn test_python() -> String {
    std::env::var("GIFTVEC_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}
