//! What rmcp would answer unhelpfully on `POST /mcp`, answered first as JSON-RPC errors a
//! client (and the model behind it) can read: a body that is not JSON (`NaN`, `Infinity`,
//! truncated text) is -32700 parse error instead of a plain-text 415, and `tools/call` with
//! `arguments` that are not an object is -32602 naming `arguments` instead of -32601
//! "method not found".

use axum::Json;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde_json::{Value, json};

use super::rpc::rpc_code;
use crate::Error;

/// `err` as a JSON-RPC error answer to `id`: its message, and in `data` the stable code,
/// field, retry advice and next step every giftvec error carries.
fn error(status: StatusCode, id: Value, code: i64, err: &Error) -> Response {
    let body = json!({"jsonrpc": "2.0", "id": id,
        "error": {"code": code, "message": err.public_message(), "data": err.to_body()}});
    (status, Json(body)).into_response()
}

/// Middleware on `/mcp` (inside the token check; the body layer has read the body whole).
pub async fn guard(request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = body.collect().await.map(|b| b.to_bytes()) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if let Some(refusal) = refusal(&bytes) {
        return refusal;
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The refusal of an MCP request body rmcp would misreport, if it is one.
fn refusal(body: &[u8]) -> Option<Response> {
    let message: Value = match serde_json::from_slice(body) {
        Ok(message) => message,
        Err(err) => {
            let err = Error::invalid(
                "body",
                format!("is not JSON ({err}); numbers must be finite (no NaN or Infinity)"),
            );
            return Some(error(StatusCode::BAD_REQUEST, Value::Null, -32700, &err));
        }
    };
    if message.get("method").and_then(Value::as_str) != Some("tools/call") {
        return None;
    }
    let arguments = message.get("params").and_then(|p| p.get("arguments"))?;
    if arguments.is_object() || arguments.is_null() {
        return None;
    }
    let id = message.get("id").cloned().unwrap_or(Value::Null);
    let err = Error::invalid(
        "arguments",
        "must be an object of named arguments (the tool's input), not an array or a single value",
    );
    Some(error(StatusCode::OK, id, i64::from(rpc_code(&err)), &err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misreported_requests_are_named() {
        assert!(refusal(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#).is_none());
        let call = |arguments: &str| {
            format!(
                r#"{{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{{"name":"get_product","arguments":{arguments}}}}}"#
            )
        };
        assert!(refusal(call(r#"{"product_id":"a"}"#).as_bytes()).is_none());
        assert!(refusal(call("null").as_bytes()).is_none());
        for bad in ["[1]", "\"gift\"", "42", "true"] {
            let response = refusal(call(bad).as_bytes()).expect(bad);
            assert_eq!(response.status(), StatusCode::OK);
        }
        let nan = refusal(br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"x":NaN}}"#);
        assert_eq!(nan.unwrap().status(), StatusCode::BAD_REQUEST);
    }
}
