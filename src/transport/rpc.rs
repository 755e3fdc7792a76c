//! JSON-RPC 2.0 (with `jsonrpsee`), over HTTP and WebSocket at `/rpc`: one method per tool
//! (method name = tool name, params = the tool's input object), batches, and `tools.list`
//! returning the same schemas as MCP `tools/list`.
//!
//! Errors: invalid arguments are -32602 (invalid params); other tool failures use an
//! application code, and every error's `data` holds the stable `code` (and `field` for bad
//! input). Internal faults say "internal error" and nothing more.

use jsonrpsee::RpcModule;
use jsonrpsee::types::{ErrorObjectOwned, Params};
use serde_json::Value;

use super::rate_limit::Caller;
use crate::Error;
use crate::app::App;
use crate::tools::dispatch::{self, Transport};
use crate::tools::{self, ToolEntry, Toolsets};

/// JSON-RPC code of each stable error code: -32602 for bad input, -32603 for our faults, the
/// rest in the server-defined range at -32040 and below, clear of the codes jsonrpsee itself
/// answers with (-32000 to -32011: oversized request, busy server, batch too big, ...).
pub fn rpc_code(err: &Error) -> i32 {
    match err {
        Error::InvalidInput { .. } => -32602,
        Error::NotFound(_) | Error::Unknown { .. } => -32040,
        Error::Busy => -32041,
        Error::Timeout => -32042,
        Error::Upstream(_) => -32043,
        Error::BudgetExceeded(_) => -32044,
        Error::NotMigrated(_) | Error::Setup(_) => -32045,
        Error::RateLimited { .. } => -32046,
        Error::Internal(_) => -32603,
    }
}

/// The JSON-RPC error object of a tool failure: the message, and in `data` the stable code,
/// the field, whether to retry and what to do next.
pub fn rpc_error(err: &Error) -> ErrorObjectOwned {
    let mut data = err.to_body();
    if let Some(body) = data.as_object_mut() {
        body.remove("message");
    }
    ErrorObjectOwned::owned(rpc_code(err), err.public_message(), Some(data))
}

/// Tool arguments from JSON-RPC params: a by-name object (or nothing).
fn arguments(params: &Params<'_>) -> Result<Value, Error> {
    let Some(raw) = params.as_str() else {
        return Ok(Value::Null);
    };
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Array(_)) => Err(Error::invalid(
            "params",
            "must be an object of named arguments (the tool's input), not an array",
        )),
        Ok(value) => Ok(value),
        Err(e) => Err(Error::invalid("params", format!("is not valid JSON: {e}"))),
    }
}

fn register(module: &mut RpcModule<App>, tool: &'static ToolEntry) {
    module
        .register_async_method(tool.name, move |params, app, extensions| async move {
            // Each call counts against its caller's rate, also inside a batch or a WebSocket.
            let admitted = extensions.get::<Caller>().map_or(Ok(()), Caller::admit);
            if let Err(refusal) = admitted {
                return dispatch::refuse(tool, Transport::JsonRpc, refusal)
                    .map_err(|e| rpc_error(&e));
            }
            let arguments = arguments(&params).map_err(|e| rpc_error(&e))?;
            dispatch::run(&app, tool, arguments, Transport::JsonRpc)
                .await
                .map_err(|e| rpc_error(&e))
        })
        .expect("tool names are unique");
}

/// Every tool of `toolsets` as a method, plus `tools.list` listing them.
pub fn module(app: App, toolsets: Toolsets) -> RpcModule<App> {
    let mut module = RpcModule::new(app);
    for tool in tools::offered(toolsets) {
        register(&mut module, tool);
    }
    module
        .register_method("tools.list", move |_, _, _| super::mcp::tool_list(toolsets))
        .expect("unique method name");
    module
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_clear_of_jsonrpsee_own() {
        let errors = [
            Error::invalid("f", "m"),
            Error::NotFound("x".into()),
            Error::unknown("f", "m"),
            Error::Busy,
            Error::RateLimited {
                per_second: 1,
                burst: 1,
                retry_after_ms: 1,
            },
            Error::Timeout,
            Error::Upstream("u".into()),
            Error::BudgetExceeded("b".into()),
            Error::Setup("s".into()),
            Error::Internal("i".into()),
        ];
        let codes: std::collections::BTreeSet<i32> = errors.iter().map(rpc_code).collect();
        assert_eq!(
            codes.len(),
            errors.len() - 1,
            "one code per kind (two not_found kinds)"
        );
        for code in codes {
            // jsonrpsee answers -32000..=-32011 itself (busy server, oversized, batches).
            assert!(!(-32011..=-32000).contains(&code), "{code}");
        }
    }
}
