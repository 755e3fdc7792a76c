//! Request bodies are read whole, within a size limit and a deadline, before any route sees
//! them: a client that sends more than `GIFTVEC_MAX_BODY_BYTES` gets 413, one that trickles
//! its body slower than `GIFTVEC_REQUEST_READ_SECS` allows gets 408 — both as the JSON error
//! body every route answers with, naming the limit. Every route reads JSON bodies of at most
//! a megabyte or so, so buffering first costs nothing and holds no connection open forever.

use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::json;

/// The body limits.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Largest body, in bytes.
    pub max_bytes: usize,
    /// Longest the whole body may take to arrive.
    pub deadline: Duration,
}

/// The refusal, as the route's clients read errors: a JSON-RPC error object (id null, code
/// -32600 invalid request, the stable code in `data`) on `/rpc` and `/mcp`, the REST error
/// body elsewhere.
fn refuse(path: &str, status: StatusCode, message: String) -> Response {
    let error = json!({"code": "invalid_input", "field": "body", "message": message,
        "retryable": false, "next_step": "Send a smaller request, all at once."});
    let body = if matches!(path, "/rpc" | "/mcp") {
        json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600,
            "message": format!("body: {message}"), "data": error}})
    } else {
        json!({ "error": error })
    };
    (status, Json(body)).into_response()
}

/// Middleware: reads the body within the limits, then passes the request on.
pub async fn read(State(limits): State<BodyLimits>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let limited = Limited::new(body, limits.max_bytes);
    let collected = tokio::time::timeout(limits.deadline, limited.collect()).await;
    let bytes = match collected {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(err)) if err.downcast_ref::<LengthLimitError>().is_some() => {
            return refuse(
                &path,
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "is larger than the limit of {} bytes (GIFTVEC_MAX_BODY_BYTES)",
                    limits.max_bytes
                ),
            );
        }
        Ok(Err(err)) => {
            return refuse(
                &path,
                StatusCode::BAD_REQUEST,
                format!("could not be read: {err}"),
            );
        }
        Err(_) => {
            return refuse(
                &path,
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "did not arrive within {} s (GIFTVEC_REQUEST_READ_SECS)",
                    limits.deadline.as_secs()
                ),
            );
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
