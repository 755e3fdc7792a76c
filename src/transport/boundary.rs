//! Which hosts and browser origins may reach the listener. A web page the user happens to
//! have open can send requests to a loopback sidecar: through a WebSocket (browsers apply no
//! CORS to them), a simple POST, or a DNS name it rebinds to 127.0.0.1. So every route but the
//! probes and the public widget script checks `Host` and, when a browser sent one, `Origin`:
//!
//! - hosts: `localhost`, `*.localhost` and IP literals (a rebinding page always uses a name),
//!   plus `GIFTVEC_ALLOWED_HOSTS` (`name`, `.suffix`, or `*`);
//! - origins: none needed (agents and curl send none); loopback pages, pages served by the
//!   sidecar itself (same host and port), `GIFTVEC_ALLOWED_ORIGINS` everywhere, and
//!   `GIFTVEC_WIDGET_ORIGINS` only on the widget's routes.
//!
//! Refusals are 403 with a message naming the setting to change.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

/// The hosts and origins a listener serves.
#[derive(Debug, Clone, Default)]
pub struct Boundary {
    /// Extra `Host` names: exact (`giftvec.shop.svc`), a suffix (`.svc.cluster.local`), or `*`.
    pub hosts: Vec<String>,
    /// Origins whose pages may call every route (`https://ops.example`, or `*`).
    pub origins: Vec<String>,
    /// Origins whose pages may call the widget's routes only.
    pub widget_origins: Vec<String>,
}

/// Routes no check applies to: the probes (they reveal nothing) and the widget script.
const OPEN: &[&str] = &["/healthz", "/readyz", "/widget/similar.js"];

/// Whether `method path` is one the widget calls: `GET /api/products/{id}/similar` and
/// `POST /api/events` (what widget origins and the widget key reach).
pub fn widget_route(method: &Method, path: &str) -> bool {
    match *method {
        Method::POST => path == "/api/events",
        Method::GET => path
            .strip_prefix("/api/products/")
            .and_then(|rest| rest.strip_suffix("/similar"))
            .is_some_and(|id| !id.is_empty() && !id.contains('/')),
        _ => false,
    }
}

/// The host part of a `Host` value or an origin's authority, lower-cased, without port or
/// IPv6 brackets.
fn host_of(authority: &str) -> String {
    let authority = authority.trim().to_ascii_lowercase();
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default().to_string();
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host.to_string(),
        _ => authority,
    }
}

fn loopback_name(host: &str) -> bool {
    host == "localhost" || host.ends_with(".localhost")
}

impl Boundary {
    fn host_allowed(&self, host: &str) -> bool {
        loopback_name(host)
            || host.parse::<IpAddr>().is_ok()
            || self.hosts.iter().any(|allowed| {
                let allowed = allowed.trim().to_ascii_lowercase();
                allowed == "*"
                    || allowed == host
                    || (allowed.starts_with('.') && host.ends_with(&allowed))
            })
    }

    /// Whether a page of `origin` may call `path` on a request whose `Host` is `host`, and
    /// with what.
    fn origin_allowed(&self, origin: &str, host: Option<&str>, widget: bool) -> Reach {
        let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
        let Some((scheme, authority)) = origin.split_once("://") else {
            return Reach::None; // "null" (sandboxed frames, files) and anything malformed
        };
        if !matches!(scheme, "http" | "https") {
            return Reach::None;
        }
        let name = host_of(authority);
        let listed = |list: &[String]| {
            list.iter().any(|allowed| {
                let allowed = allowed.trim().trim_end_matches('/').to_ascii_lowercase();
                allowed == "*" || allowed == origin
            })
        };
        if loopback_name(&name)
            || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
            || host.is_some_and(|h| h.eq_ignore_ascii_case(authority))
            || listed(&self.origins)
        {
            Reach::Every
        } else if widget && listed(&self.widget_origins) {
            Reach::Widget
        } else {
            Reach::None
        }
    }

    /// What `request` may reach: `Err` says why it is refused.
    fn reach(&self, request: &Request) -> Result<Reach, String> {
        let path = request.uri().path();
        if OPEN.contains(&path) {
            return Ok(Reach::Every);
        }
        let headers = request.headers();
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| request.uri().authority().map(|a| a.as_str()));
        if let Some(host) = host {
            let name = host_of(host);
            if !self.host_allowed(&name) {
                return Err(format!(
                    "the Host {:?} is not one this sidecar serves; add it to GIFTVEC_ALLOWED_HOSTS \
                     (loopback names and IP addresses are always served)",
                    crate::error::bounded(&name, 100)
                ));
            }
        }
        let Some(origin) = headers.get(header::ORIGIN) else {
            return Ok(Reach::Every);
        };
        let origin = origin.to_str().unwrap_or("(not text)");
        let widget = widget_route(request.method(), path);
        match self.origin_allowed(origin, host, widget) {
            Reach::None => {}
            reach => return Ok(reach),
        }
        let setting = if widget {
            "GIFTVEC_WIDGET_ORIGINS (for the widget) or GIFTVEC_ALLOWED_ORIGINS"
        } else {
            "GIFTVEC_ALLOWED_ORIGINS (GIFTVEC_WIDGET_ORIGINS opens only the widget's routes)"
        };
        Err(format!(
            "pages of the origin {:?} may not call {path}; add it to {setting}",
            crate::error::bounded(origin, 100)
        ))
    }
}

/// What a request's host and origin let it reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Whatever its token opens.
    Every,
    /// A page of a widget origin: at most what the widget key opens, whatever token it sends.
    Widget,
    /// Nothing.
    None,
}

/// Marks a request from a page of a widget origin (`GIFTVEC_WIDGET_ORIGINS`): the token
/// layer grants it the widget scope at most.
#[derive(Debug, Clone, Copy)]
pub struct FromWidgetOrigin;

/// Middleware: answers 403 to a request from a host or browser origin the listener does not
/// serve (WebSocket upgrades included, before they are upgraded).
pub async fn guard(
    State(boundary): State<Arc<Boundary>>,
    mut request: Request,
    next: Next,
) -> Response {
    match boundary.reach(&request) {
        Ok(reach) => {
            if reach == Reach::Widget {
                request.extensions_mut().insert(FromWidgetOrigin);
            }
            next.run(request).await
        }
        Err(message) => {
            tracing::info!(path = request.uri().path(), reason = %message, "request refused");
            super::auth::refusal(
                StatusCode::FORBIDDEN,
                "forbidden",
                &message,
                "Call from an allowed host or origin.",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;

    use super::*;

    fn request(path: &str, host: &str, origin: Option<&str>) -> Request {
        // Events are posted; every other route here is read.
        let method = if path == "/api/events" {
            Method::POST
        } else {
            Method::GET
        };
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, host);
        if let Some(origin) = origin {
            builder = builder.header(header::ORIGIN, origin);
        }
        builder.body(Body::empty()).unwrap()
    }

    fn boundary() -> Boundary {
        Boundary {
            hosts: vec!["giftvec.shop.svc".into(), ".cluster.local".into()],
            origins: vec!["https://ops.example".into()],
            widget_origins: vec!["https://shop.example/".into()],
        }
    }

    fn allowed(path: &str, host: &str, origin: Option<&str>) -> bool {
        boundary().reach(&request(path, host, origin)).is_ok()
    }

    #[test]
    fn hosts_are_loopback_names_ip_literals_and_the_configured_ones() {
        for host in [
            "localhost:7070",
            "127.0.0.1:7070",
            "[::1]:7070",
            "10.1.2.3",
            "a.localhost",
            "giftvec.shop.svc:7070",
            "giftvec.ns.svc.cluster.local",
            "LOCALHOST",
        ] {
            assert!(allowed("/rpc", host, None), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:7070",
            "localhost.evil.example",
            "giftvec.shop.svc.evil.example",
            "cluster.local.evil",
        ] {
            assert!(!allowed("/rpc", host, None), "{host}");
            assert!(!allowed("/mcp", host, None), "{host}");
        }
        assert!(allowed(
            "/healthz",
            "evil.example",
            Some("http://evil.example")
        ));
    }

    #[test]
    fn origins_by_route() {
        let host = "127.0.0.1:7070";
        assert!(
            allowed("/rpc", host, Some("http://localhost:6274")),
            "loopback page"
        );
        assert!(
            allowed(
                "/rpc",
                "giftvec.shop.svc:7070",
                Some("http://giftvec.shop.svc:7070")
            ),
            "a page the sidecar served itself"
        );
        assert!(!allowed(
            "/rpc",
            "giftvec.shop.svc:7070",
            Some("http://giftvec.shop.svc:8080")
        ));
        assert!(allowed("/mcp", host, Some("https://ops.example")));
        assert!(!allowed("/rpc", host, Some("http://evil.example")));
        assert!(!allowed("/rpc", host, Some("null")));
        assert!(
            !allowed("/mcp", host, Some("https://shop.example")),
            "widget origin"
        );
        assert!(allowed(
            "/api/products/p-1/similar",
            host,
            Some("https://shop.example")
        ));
        assert!(allowed("/api/events", host, Some("https://SHOP.example")));
        assert!(!allowed(
            "/api/recommendations",
            host,
            Some("https://shop.example")
        ));
        assert!(!allowed(
            "/api/events",
            host,
            Some("https://shop.example.evil")
        ));
        let widget = boundary().reach(&request("/api/events", host, Some("https://shop.example")));
        assert_eq!(
            widget,
            Ok(Reach::Widget),
            "a widget page gets the widget scope"
        );
        let refusal = boundary()
            .reach(&request("/rpc", host, Some("http://evil.example")))
            .unwrap_err();
        assert!(refusal.contains("GIFTVEC_ALLOWED_ORIGINS"), "{refusal}");
    }
}
