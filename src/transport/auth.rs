//! Bearer tokens and what each opens. `GIFTVEC_AUTH_TOKEN` opens the listener's toolsets;
//! `GIFTVEC_OPS_TOKEN` opens every tool on the same listener, for operators and the eval
//! harness, so an agent's tool list stays small while ops keep their tools. Tokens are
//! compared in constant time; the toolsets a request was granted travel with it as a
//! [`Granted`] extension that the MCP and JSON-RPC handlers read.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::tools::Toolsets;

/// The toolsets a request may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Granted(pub Toolsets);

/// The listener's tokens.
#[derive(Clone, Default)]
pub struct Tokens {
    /// Opens the listener's toolsets; `None` with no ops token: no auth at all.
    pub agent: Option<Arc<SecretString>>,
    /// Opens every tool.
    pub ops: Option<Arc<SecretString>>,
    /// The listener's toolsets.
    pub toolsets: Toolsets,
}

impl Tokens {
    /// What `presented` (the bearer token, if any) opens; `None`: refused.
    fn grant(&self, presented: Option<&str>) -> Option<Toolsets> {
        let matches = |token: &Option<Arc<SecretString>>| match (token, presented) {
            (Some(token), Some(given)) => {
                bool::from(given.as_bytes().ct_eq(token.expose_secret().as_bytes()))
            }
            _ => false,
        };
        if matches(&self.ops) {
            Some(Toolsets::ALL)
        } else if matches(&self.agent) || self.agent.is_none() {
            Some(self.toolsets)
        } else {
            None
        }
    }
}

/// Middleware: refuses a request without a valid token (when one is required) and records
/// what the token opens.
pub async fn require_token(
    State(tokens): State<Arc<Tokens>>,
    mut request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let Some(toolsets) = tokens.grant(presented) {
        request.extensions_mut().insert(Granted(toolsets));
        return next.run(request).await;
    }
    let body = json!({"error": {"code": "unauthorized", "message": "send Authorization: Bearer <token> (the GIFTVEC_AUTH_TOKEN the sidecar was started with)"}});
    let mut response = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> Option<Arc<SecretString>> {
        Some(Arc::new(SecretString::from(s.to_string())))
    }

    #[test]
    fn each_token_opens_its_toolsets() {
        let tokens = Tokens {
            agent: secret("agent-secret"),
            ops: secret("ops-secret"),
            toolsets: Toolsets::AGENT,
        };
        assert_eq!(tokens.grant(Some("agent-secret")), Some(Toolsets::AGENT));
        assert_eq!(tokens.grant(Some("ops-secret")), Some(Toolsets::ALL));
        assert_eq!(tokens.grant(Some("ops-secreT")), None);
        assert_eq!(tokens.grant(None), None);
        let open = Tokens {
            ops: secret("ops-secret"),
            ..Tokens::default()
        };
        assert_eq!(
            open.grant(None),
            Some(Toolsets::AGENT),
            "no agent token: open"
        );
        assert_eq!(open.grant(Some("ops-secret")), Some(Toolsets::ALL));
    }
}
