//! The one HTTP listener: MCP streamable HTTP at `/mcp`, JSON-RPC over HTTP and WebSocket at
//! `/rpc`, REST under `/api`, `/openapi.json`, Prometheus metrics at `/metrics`, the status page
//! at `/status`, the widget script at `/widget/similar.js`, and the probes `/healthz` and
//! `/readyz`. Origins in `widget_origins` may call it from browsers (CORS).
//! Bearer auth (when a token is set) guards everything but the probes; bodies are capped.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::serve::ListenerExt;
use jsonrpsee::server::{Methods, ServerConfig, StopHandle, TowerServiceBuilder};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use secrecy::SecretString;
use serde_json::json;
use tokio::net::TcpListener;
use tower::Service;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;

use super::auth::{self, Granted, Tokens};
use super::mcp::McpServer;
use super::{openapi, rest, rpc};
use crate::app::App;
use crate::store::migrate;
use crate::tools::Toolsets;

/// Listener settings.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    /// Bearer token every transport requires (health probes exempt); `None` = no auth.
    pub auth_token: Option<SecretString>,
    /// A second bearer token that opens every tool, whatever `toolsets` says.
    pub ops_token: Option<SecretString>,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Largest JSON-RPC batch.
    pub max_batch: u32,
    /// Host names MCP accepts in the `Host` header (DNS-rebinding protection).
    pub mcp_allowed_hosts: Vec<String>,
    /// How long in-flight calls may take to finish after a shutdown signal.
    pub shutdown_grace: Duration,
    /// Origins (e.g. `https://shop.example`) whose pages may call the API from a browser
    /// (CORS), as the "You might also like" widget does; empty: none.
    pub widget_origins: Vec<String>,
    /// The tools MCP and JSON-RPC offer (REST routes are not affected).
    pub toolsets: Toolsets,
}

impl Default for ServeSettings {
    fn default() -> Self {
        Self {
            auth_token: None,
            ops_token: None,
            max_body_bytes: 1024 * 1024,
            max_batch: 50,
            mcp_allowed_hosts: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            shutdown_grace: Duration::from_secs(10),
            widget_origins: Vec::new(),
            toolsets: Toolsets::default(),
        }
    }
}

/// What the HTTP handlers share.
#[derive(Clone)]
pub struct HttpState {
    /// The application.
    pub app: App,
    rpc: Arc<RpcParts>,
}

struct RpcParts {
    /// The listener's toolsets, and every tool (for the ops token).
    methods: Methods,
    all_methods: Methods,
    builder: TowerServiceBuilder<tower::layer::util::Identity, tower::layer::util::Identity>,
    stop: StopHandle,
    _server: jsonrpsee::server::ServerHandle,
}

/// The router with every route and layer.
pub fn router(app: App, settings: &ServeSettings) -> axum::Router {
    // Installs the metrics recorder before the first call records anything.
    crate::observe::handle();
    let (stop, server) = jsonrpsee::server::stop_channel();
    let config = ServerConfig::builder()
        .max_request_body_size(settings.max_body_bytes as u32)
        .set_batch_request_config(jsonrpsee::server::BatchRequestConfig::Limit(
            settings.max_batch,
        ))
        .build();
    let builder = jsonrpsee::server::Server::builder()
        .set_config(config)
        .to_service_builder();
    let state = HttpState {
        rpc: Arc::new(RpcParts {
            methods: rpc::module(app.clone(), settings.toolsets).into(),
            all_methods: rpc::module(app.clone(), Toolsets::ALL).into(),
            builder,
            stop,
            _server: server,
        }),
        app: app.clone(),
    };
    let tokens = Arc::new(Tokens {
        agent: settings.auth_token.clone().map(Arc::new),
        ops: settings.ops_token.clone().map(Arc::new),
        toolsets: settings.toolsets,
    });
    let (mcp_app, toolsets) = (app.clone(), settings.toolsets);
    let mcp = StreamableHttpService::new(
        move || Ok(McpServer::new(mcp_app.clone(), toolsets)),
        Arc::new(LocalSessionManager::default()),
        // Stateless, with plain JSON answers: every tool call is one request and one
        // response, so no session store grows with the number of clients.
        StreamableHttpServerConfig::default()
            .with_legacy_session_mode(false)
            .with_json_response(true)
            .with_allowed_hosts(settings.mcp_allowed_hosts.clone()),
    );
    axum::Router::new()
        .route_service("/mcp", mcp)
        .route("/rpc", any(rpc_handler))
        .route("/openapi.json", get(|| async { Json(openapi::document()) }))
        .route("/metrics", get(metrics))
        .route("/status", get(status_page))
        .merge(rest::routes())
        .layer(middleware::from_fn_with_state(tokens, auth::require_token))
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(readyz))
        .route("/widget/similar.js", get(widget_script))
        .layer(RequestBodyLimitLayer::new(settings.max_body_bytes))
        // Outermost, so that browsers' preflight requests are answered before the token check.
        .layer(cors(&settings.widget_origins))
        .with_state(state)
}

/// The embeddable "You might also like" custom element (public: it holds no data).
async fn widget_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        include_str!("widget/similar.js"),
    )
        .into_response()
}

/// Cross-origin access for the configured origins only (GET and POST with JSON).
fn cors(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim().trim_end_matches('/')).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::ACCEPT, header::AUTHORIZATION])
        .max_age(Duration::from_secs(600))
}

/// The operators' status page (HTML, behind the token like the API).
async fn status_page(State(state): State<HttpState>) -> Response {
    match super::status_page::render(&state.app).await {
        Ok(html) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            html,
        )
            .into_response(),
        Err(err) => super::rest::error_response(&err),
    }
}

/// Prometheus text exposition of every metric (behind the token like the API).
async fn metrics(State(state): State<HttpState>) -> Response {
    let text = crate::observe::render(&state.app);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

async fn rpc_handler(State(state): State<HttpState>, request: Request) -> Response {
    let parts = &state.rpc;
    let methods = match request.extensions().get::<Granted>() {
        Some(Granted(toolsets)) if *toolsets == Toolsets::ALL => &parts.all_methods,
        _ => &parts.methods,
    };
    let mut service = parts
        .builder
        .clone()
        .build(methods.clone(), parts.stop.clone());
    match service.call(request).await {
        Ok(response) => response.map(Body::new),
        Err(err) => {
            tracing::error!(error = %err, "json-rpc transport error");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Ready when the database answers, the schema is current and the embedder can embed. With
/// a read replica, ready while the replica answers: the read-only tools keep serving through
/// a primary outage (reported as `degraded`; writes fail with a clear error meanwhile).
async fn readyz(State(state): State<HttpState>) -> Response {
    let app = &state.app;
    let ping = |pool: sqlx::PgPool| async move {
        match sqlx::query("SELECT 1").execute(&pool).await {
            Ok(_) => "ok".to_string(),
            Err(err) => format!("unreachable: {}", crate::Error::from(err)),
        }
    };
    let database = ping(app.db.clone()).await;
    let replica = if app.has_replica {
        Some(ping(app.read.clone()).await)
    } else {
        None
    };
    // The schema replicates: check it where reads are served.
    let migrations = match migrate::ensure_current(&app.read).await {
        Ok(()) => "ok".to_string(),
        Err(err) => err.to_string(),
    };
    let embedder = match app.embedder.circuit() {
        crate::embed::CircuitState::Closed => "ok".to_string(),
        state => format!("provider failing (circuit {state:?}); searches fall back where they can"),
    };
    let reads = replica.as_ref().unwrap_or(&database);
    let ready = [reads, &migrations, &embedder].iter().all(|s| *s == "ok");
    let degraded = ready && database != "ok";
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut checks = json!({"database": database, "migrations": migrations, "embedder": embedder});
    if let Some(replica) = replica {
        checks["replica"] = json!(replica);
    }
    let body = json!({"ready": ready, "degraded": degraded, "checks": checks});
    (status, Json(body)).into_response()
}

/// Serves on `listener` until `shutdown` resolves, then lets in-flight calls finish within
/// the grace period.
pub async fn serve(
    listener: TcpListener,
    app: App,
    settings: ServeSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let grace = settings.shutdown_grace;
    let router = router(app, &settings);
    let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
    // Small writes (WebSocket frames, MCP's event-stream chunks) must not wait for Nagle's
    // algorithm and the peer's delayed ACK: ~40 ms a call on loopback without it.
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(error = %err, "cannot set TCP_NODELAY");
        }
    });
    let server = axum::serve(listener, router).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = stopped_tx.send(());
    });
    let mut server = std::pin::pin!(server.into_future());
    tokio::select! {
        result = &mut server => result,
        _ = async { let _ = stopped_rx.await; tokio::time::sleep(grace).await } => {
            tracing::warn!("shutdown grace period over; dropping unfinished calls");
            Ok(())
        }
    }
}
