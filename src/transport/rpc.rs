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

use crate::Error;
use crate::app::App;
use crate::tools::dispatch::{self, Transport};
use crate::tools::{self, ToolEntry, Toolsets};

/// JSON-RPC code of each stable error code (-32602 for bad input, the rest in the
/// implementation-defined range).
pub fn rpc_code(err: &Error) -> i32 {
    match err {
        Error::InvalidInput { .. } => -32602,
        Error::NotFound(_) => -32004,
        Error::Busy => -32005,
        Error::Timeout => -32006,
        Error::Upstream(_) => -32010,
        Error::BudgetExceeded(_) => -32011,
        Error::NotMigrated(_) | Error::Setup(_) => -32012,
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
        .register_async_method(tool.name, move |params, app, _| async move {
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
