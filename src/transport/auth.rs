//! Bearer tokens and what each opens (its scope). `GIFTVEC_AUTH_TOKEN`, the agent token,
//! opens the listener's toolsets and the REST routes; `GIFTVEC_OPS_TOKEN` opens every tool,
//! `/metrics` and `/status` (which, once an ops token is set, the agent token no longer
//! opens); `GIFTVEC_WIDGET_KEY`, a public key a shop's pages carry, opens only the widget's
//! two routes, similar products and anonymous view and click events. With no agent token
//! the listener is open (loopback only, see `exposure`). A page of a widget origin
//! (`GIFTVEC_WIDGET_ORIGINS`) gets the widget scope at most, whichever token it sends. Tokens are compared in constant
//! time; what a request was granted travels with it as [`Granted`] and [`Caller`]
//! extensions that the MCP, JSON-RPC and REST handlers read.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use subtle::ConstantTimeEq;

use super::boundary::{FromWidgetOrigin, widget_route};
use super::rate_limit::{Caller, CallerLimits};
use crate::tools::Toolsets;

/// What a token opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The agent toolset (the listener's toolsets) and the REST routes.
    Agent = 0,
    /// Every tool and the operators' routes (`/metrics`, `/status`).
    Ops = 1,
    /// The widget's routes only, for anonymous shoppers' browsers.
    Widget = 2,
}

/// What a request may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Granted {
    /// The token's scope.
    pub scope: Scope,
    /// The tools MCP and JSON-RPC offer it.
    pub toolsets: Toolsets,
}

/// The listener's tokens, rates and proxies.
#[derive(Clone)]
pub struct Access {
    /// Opens the listener's toolsets; `None`: the listener is open to agents.
    pub agent: Option<Arc<SecretString>>,
    /// Opens every tool and the operators' routes.
    pub ops: Option<Arc<SecretString>>,
    /// Opens the widget's routes.
    pub widget: Option<Arc<SecretString>>,
    /// The listener's toolsets.
    pub toolsets: Toolsets,
    /// Calls per second per caller.
    pub limits: Arc<CallerLimits>,
    /// Proxies in front of the listener whose `X-Forwarded-For` entries are trusted to name
    /// the client (0: the connection's own address is the client's).
    pub proxy_hops: usize,
}

impl Access {
    /// What `presented` (the bearer token, if any) opens; `None`: refused.
    fn grant(&self, presented: Option<&str>) -> Option<Granted> {
        let matches = |token: &Option<Arc<SecretString>>| match (token, presented) {
            (Some(token), Some(given)) => {
                bool::from(given.as_bytes().ct_eq(token.expose_secret().as_bytes()))
            }
            _ => false,
        };
        let granted = |scope, toolsets| Some(Granted { scope, toolsets });
        if matches(&self.ops) {
            granted(Scope::Ops, Toolsets::ALL)
        } else if matches(&self.agent) || (self.agent.is_none() && presented.is_none()) {
            granted(Scope::Agent, self.toolsets)
        } else if matches(&self.widget) {
            granted(Scope::Widget, Toolsets::default())
        } else if self.agent.is_none() {
            // An open listener: a token it does not know opens what no token would.
            granted(Scope::Agent, self.toolsets)
        } else {
            None
        }
    }

    /// Why `scope` may not use `method path`, if it may not.
    fn out_of_reach(&self, scope: Scope, method: &Method, path: &str) -> Option<&'static str> {
        match scope {
            Scope::Ops => None,
            Scope::Widget if widget_route(method, path) => None,
            Scope::Widget => Some(
                "the widget key (GIFTVEC_WIDGET_KEY) opens only GET /api/products/{id}/similar \
                 and POST /api/events; agents and operators use their own tokens",
            ),
            Scope::Agent if self.ops.is_some() && matches!(path, "/metrics" | "/status") => Some(
                "this route needs the ops token (GIFTVEC_OPS_TOKEN); the agent token opens \
                 the tools and the REST API",
            ),
            Scope::Agent => None,
        }
    }
}

/// The client's address: the connection's, or with `proxy_hops` trusted proxies in front,
/// the `X-Forwarded-For` entry the farthest of them added (entries further left are the
/// client's to write, so they are not trusted).
fn client_address(request: &Request, proxy_hops: usize) -> Option<IpAddr> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    if proxy_hops == 0 {
        return peer;
    }
    let forwarded: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let index = forwarded.len().checked_sub(proxy_hops);
    index
        .and_then(|i| forwarded.get(i))
        .and_then(|entry| entry.parse().ok())
        .or(peer)
}

/// A refusal before any tool runs (401, 403): the error body every route answers with.
pub(super) fn refusal(status: StatusCode, code: &str, message: &str, next_step: &str) -> Response {
    let body = json!({"error": {"code": code, "message": message, "retryable": false,
        "next_step": next_step}});
    (status, Json(body)).into_response()
}

/// Middleware: refuses a request without a valid token (when one is required) or beyond its
/// token's reach, counts REST calls against the caller's rate, and records what the token
/// opened and who calls.
pub async fn require_token(
    State(access): State<Arc<Access>>,
    mut request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(mut granted) = access.grant(presented) else {
        let mut response = refusal(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send Authorization: Bearer <token> (the GIFTVEC_AUTH_TOKEN the sidecar was started \
             with, or GIFTVEC_OPS_TOKEN)",
            "Call with the token this sidecar was configured with.",
        );
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    };
    if request.extensions().get::<FromWidgetOrigin>().is_some() {
        // A shop page reaches what the widget key opens, whichever token it was given.
        granted = Granted {
            scope: Scope::Widget,
            toolsets: Toolsets::default(),
        };
    }
    let path = request.uri().path().to_string();
    if let Some(message) = access.out_of_reach(granted.scope, request.method(), &path) {
        tracing::info!(path, scope = ?granted.scope, "route beyond the token's scope");
        return refusal(
            StatusCode::FORBIDDEN,
            "forbidden",
            message,
            "Use a token whose scope includes this route.",
        );
    }
    let address = client_address(&request, access.proxy_hops);
    let caller = Caller::new(granted.scope, address, access.limits.clone());
    // Tool calls over MCP and JSON-RPC are counted one by one where they run.
    if path.starts_with("/api/")
        && let Err(err) = caller.admit()
    {
        return super::rest::error_response(&err);
    }
    request.extensions_mut().insert(granted);
    request.extensions_mut().insert(caller);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::rate_limit::Rates;

    fn secret(s: &str) -> Option<Arc<SecretString>> {
        Some(Arc::new(SecretString::from(s.to_string())))
    }

    fn access(agent: Option<Arc<SecretString>>) -> Access {
        Access {
            agent,
            ops: secret("ops-secret"),
            widget: secret("widget-key"),
            toolsets: Toolsets::AGENT,
            limits: CallerLimits::new(Rates::UNLIMITED),
            proxy_hops: 0,
        }
    }

    #[test]
    fn each_token_opens_its_scope() {
        let tokens = access(secret("agent-secret"));
        let scope = |given| tokens.grant(given).map(|g| g.scope);
        assert_eq!(scope(Some("agent-secret")), Some(Scope::Agent));
        assert_eq!(scope(Some("ops-secret")), Some(Scope::Ops));
        assert_eq!(scope(Some("widget-key")), Some(Scope::Widget));
        assert_eq!(scope(Some("ops-secreT")), None);
        assert_eq!(scope(None), None);
        let open = access(None);
        assert_eq!(open.grant(None).map(|g| g.toolsets), Some(Toolsets::AGENT));
        assert_eq!(
            open.grant(Some("ops-secret")).unwrap().toolsets,
            Toolsets::ALL
        );
        assert_eq!(open.grant(Some("widget-key")).unwrap().scope, Scope::Widget);
    }

    #[test]
    fn the_widget_key_reaches_two_routes() {
        let tokens = access(secret("agent-secret"));
        let reach = |scope, method: Method, path| tokens.out_of_reach(scope, &method, path);
        assert!(reach(Scope::Widget, Method::GET, "/api/products/p-1/similar").is_none());
        assert!(reach(Scope::Widget, Method::POST, "/api/events").is_none());
        for (method, path) in [
            (Method::POST, "/rpc"),
            (Method::POST, "/mcp"),
            (Method::GET, "/api/products/p-1"),
            (Method::GET, "/api/products//similar"),
            (Method::GET, "/api/products/a/b/similar"),
            (Method::POST, "/api/recommendations"),
            (Method::GET, "/metrics"),
            (Method::GET, "/api/events"),
        ] {
            assert!(reach(Scope::Widget, method, path).is_some(), "{path}");
        }
        assert!(reach(Scope::Agent, Method::GET, "/metrics").is_some());
        assert!(reach(Scope::Agent, Method::POST, "/rpc").is_none());
        assert!(reach(Scope::Ops, Method::GET, "/status").is_none());
    }

    #[test]
    fn only_trusted_proxies_name_the_client() {
        let request = |forwarded: &str| {
            let mut request = Request::builder()
                .header("x-forwarded-for", forwarded)
                .body(axum::body::Body::empty())
                .unwrap();
            let peer: SocketAddr = "10.0.0.1:5000".parse().unwrap();
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        };
        let spoofed = request("1.1.1.1, 203.0.113.7");
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(client_address(&spoofed, 0), ip("10.0.0.1"));
        assert_eq!(client_address(&spoofed, 1), ip("203.0.113.7"));
        assert_eq!(client_address(&spoofed, 2), ip("1.1.1.1"));
        assert_eq!(
            client_address(&spoofed, 3),
            ip("10.0.0.1"),
            "too few entries"
        );
    }
}
