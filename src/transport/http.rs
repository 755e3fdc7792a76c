//! The one HTTP listener: MCP streamable HTTP at `/mcp`, JSON-RPC over HTTP and WebSocket at
//! `/rpc`, REST under `/api`, `/openapi.json`, Prometheus metrics at `/metrics`, the status page
//! at `/status`, the widget script at `/widget/similar.js`, and the probes `/healthz` and
//! `/readyz`. Only the configured hosts and browser origins get in ([`boundary`]); origins
//! in `widget_origins` may call the widget's routes from browsers (CORS). Bearer auth (when
//! a token is set) guards everything but the probes; bodies are capped.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use jsonrpsee::core::middleware::RpcServiceBuilder;
use jsonrpsee::server::{Methods, PingConfig, ServerConfig, StopHandle, TowerServiceBuilder};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use secrecy::SecretString;
use serde_json::json;
use tokio::net::TcpListener;
use tower::Service;
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::auth::{self, Access, Granted};
use super::body::{self, BodyLimits};
use super::boundary::{self, Boundary};
use super::mcp::McpServer;
use super::rate_limit::{CallerLimits, Rates};
use super::{openapi, rest, rpc, ws_limits};
use crate::app::App;
use crate::store::migrate;
use crate::tools::Toolsets;

/// Listener settings.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    /// Bearer token every transport requires (health probes exempt); `None` = no auth.
    pub auth_token: Option<SecretString>,
    /// A second bearer token that opens every tool, whatever `toolsets` says, and the
    /// operators' routes.
    pub ops_token: Option<SecretString>,
    /// A public key for the widget's pages: it opens only similar products and anonymous
    /// view and click events.
    pub widget_key: Option<SecretString>,
    /// Calls per second per caller, by scope.
    pub rates: Rates,
    /// Proxies in front whose `X-Forwarded-For` entries name the client.
    pub proxy_hops: usize,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Largest JSON-RPC batch.
    pub max_batch: u32,
    /// `Host` names served besides loopback names and IP literals (DNS-rebinding
    /// protection, on every route but the probes): exact, `.suffix`, or `*`.
    pub allowed_hosts: Vec<String>,
    /// Origins whose browser pages may call every route (loopback pages always may).
    pub allowed_origins: Vec<String>,
    /// How long in-flight calls may take to finish after a shutdown signal.
    pub shutdown_grace: Duration,
    /// Origins (e.g. `https://shop.example`) whose pages may call the widget's routes (similar
    /// products, events) from a browser, as the "You might also like" widget does; empty: none.
    pub widget_origins: Vec<String>,
    /// The tools MCP and JSON-RPC offer (REST routes are not affected).
    pub toolsets: Toolsets,
    /// WebSocket connections open at once (past it, new ones get 429); HTTP calls have
    /// their own limit.
    pub max_ws_connections: u32,
    /// A WebSocket that sent no request for this long is closed.
    pub ws_idle: Duration,
    /// Longest a client may take to send a request's headers.
    pub header_timeout: Duration,
    /// Longest a client may take to send a request's whole body.
    pub body_timeout: Duration,
}

/// How often WebSocket peers are pinged; one that has not answered for two intervals is
/// dropped.
const WS_PING: Duration = Duration::from_secs(30);

/// JSON-RPC over HTTP calls in flight at once, as jsonrpsee counts them (the call gate,
/// `GIFTVEC_MAX_CONCURRENT_CALLS`, is the limit that matters).
const HTTP_RPC_CONNECTIONS: u32 = 10_000;

impl Default for ServeSettings {
    fn default() -> Self {
        Self {
            auth_token: None,
            ops_token: None,
            widget_key: None,
            rates: Rates::UNLIMITED,
            proxy_hops: 0,
            max_body_bytes: 1024 * 1024,
            max_batch: 50,
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            shutdown_grace: Duration::from_secs(10),
            widget_origins: Vec::new(),
            toolsets: Toolsets::default(),
            max_ws_connections: 64,
            ws_idle: Duration::from_secs(300),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
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

type RpcBuilder = TowerServiceBuilder<tower::layer::util::Identity, tower::layer::util::Identity>;

struct RpcParts {
    /// The listener's toolsets, and every tool (for the ops token).
    methods: Methods,
    all_methods: Methods,
    /// HTTP calls and WebSocket connections count against separate connection limits.
    http: RpcBuilder,
    ws: RpcBuilder,
    ws_idle: Duration,
    stop: StopHandle,
    _server: jsonrpsee::server::ServerHandle,
}

/// The router with every route and layer.
pub fn router(app: App, settings: &ServeSettings) -> axum::Router {
    // Installs the metrics recorder before the first call records anything, and exports the
    // counters panels and alerts read at 0.
    crate::observe::handle();
    crate::observe::zero_counters(
        &app.model.name,
        app.model.provider.as_str(),
        crate::tools::catalog().iter().map(|tool| tool.name),
    );
    let (stop, server) = jsonrpsee::server::stop_channel();
    let builder = |max_connections: u32| {
        let config = ServerConfig::builder()
            .max_request_body_size(settings.max_body_bytes as u32)
            .set_batch_request_config(jsonrpsee::server::BatchRequestConfig::Limit(
                settings.max_batch,
            ))
            .max_connections(max_connections)
            .enable_ws_ping(
                PingConfig::new()
                    .ping_interval(WS_PING)
                    .inactive_limit(WS_PING * 2),
            )
            .build();
        jsonrpsee::server::Server::builder()
            .set_config(config)
            .to_service_builder()
    };
    let state = HttpState {
        rpc: Arc::new(RpcParts {
            methods: rpc::module(app.clone(), settings.toolsets).into(),
            all_methods: rpc::module(app.clone(), Toolsets::ALL).into(),
            // HTTP calls hold a slot only while they run, and the call gate bounds those.
            http: builder(HTTP_RPC_CONNECTIONS),
            ws: builder(settings.max_ws_connections),
            ws_idle: settings.ws_idle,
            stop,
            _server: server,
        }),
        app: app.clone(),
    };
    let access = Arc::new(Access {
        agent: settings.auth_token.clone().map(Arc::new),
        ops: settings.ops_token.clone().map(Arc::new),
        widget: settings.widget_key.clone().map(Arc::new),
        toolsets: settings.toolsets,
        limits: CallerLimits::new(settings.rates),
        proxy_hops: settings.proxy_hops,
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
            // The boundary layer checks Host and Origin on every route, /mcp included.
            .disable_allowed_hosts(),
    );
    let boundary = Arc::new(Boundary {
        hosts: settings.allowed_hosts.clone(),
        origins: settings.allowed_origins.clone(),
        widget_origins: settings.widget_origins.clone(),
    });
    let body_limits = BodyLimits {
        max_bytes: settings.max_body_bytes,
        deadline: settings.body_timeout,
    };
    let cors_origins: Vec<String> = [&settings.allowed_origins, &settings.widget_origins]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    axum::Router::new()
        .route_service(
            "/mcp",
            tower::ServiceBuilder::new()
                .layer(middleware::from_fn(super::mcp_input::guard))
                .service(mcp),
        )
        .route("/rpc", any(rpc_handler))
        .route("/openapi.json", get(|| async { Json(openapi::document()) }))
        .route("/metrics", get(metrics))
        .route("/status", get(status_page))
        .merge(rest::routes())
        .layer(middleware::from_fn_with_state(access, auth::require_token))
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(readyz))
        .route("/widget/similar.js", get(widget_script))
        .layer(middleware::from_fn_with_state(body_limits, body::read))
        .layer(middleware::from_fn_with_state(boundary, boundary::guard))
        // Outermost, so that browsers' preflight requests are answered before the token check.
        .layer(cors(&cors_origins))
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

/// Cross-origin access for the configured origins only (GET and POST with JSON); which routes
/// each may call, the boundary layer decides.
fn cors(origins: &[String]) -> CorsLayer {
    let allow = if origins.iter().any(|o| o.trim() == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o.trim().trim_end_matches('/')).ok()),
        )
    };
    CorsLayer::new()
        .allow_origin(allow)
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
        Some(granted) if granted.toolsets == Toolsets::ALL => &parts.all_methods,
        _ => &parts.methods,
    };
    let answer = if jsonrpsee::server::ws::is_upgrade_request(&request) {
        // Each WebSocket gets a stop handle of its own, which closes it once idle.
        let activity = ws_limits::Activity::new();
        let stop = ws_limits::idle_stop(&activity, parts.ws_idle);
        let touch = RpcServiceBuilder::new()
            .layer_fn(move |inner| ws_limits::Touch::new(inner, activity.clone()));
        let mut service = parts
            .ws
            .clone()
            .set_rpc_middleware(touch)
            .build(methods.clone(), stop);
        service.call(request).await
    } else {
        let mut service = parts
            .http
            .clone()
            .build(methods.clone(), parts.stop.clone());
        service.call(request).await
    };
    match answer {
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
/// `connections` says how the database is reached (directly or through a transaction
/// pooler) and how cached results learn of catalog changes.
async fn readyz(State(state): State<HttpState>) -> Response {
    let app = &state.app;
    let ping = |pool: crate::store::Db| async move {
        match sqlx::query("SELECT 1").execute(pool.as_ref()).await {
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
    let connections = json!({
        "route": app.db.route().describe(),
        "result_cache": app.results.describe(),
    });
    let body = json!({
        "ready": ready,
        "degraded": degraded,
        "checks": checks,
        "connections": connections,
    });
    (status, Json(body)).into_response()
}

/// Serves on `listener` until `shutdown` resolves, then lets in-flight calls finish within
/// the grace period ([`super::listener`]).
pub async fn serve(
    listener: TcpListener,
    app: App,
    settings: ServeSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = super::listener::Limits {
        header_timeout: settings.header_timeout,
        shutdown_grace: settings.shutdown_grace,
    };
    let router = router(app, &settings);
    super::listener::run(listener, router, limits, shutdown).await
}
