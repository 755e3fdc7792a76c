//! Running a tool call the same way whatever the transport: a bound on calls in flight (past
//! it, `busy` at once rather than an ever-growing queue), a per-call timeout, and one log line
//! per call.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Semaphore;

use super::ToolEntry;
use crate::app::App;
use crate::{Error, Result};

/// Limits on tool calls.
#[derive(Debug)]
pub struct CallGate {
    permits: Semaphore,
    timeout: Duration,
    queue_wait: Duration,
}

impl CallGate {
    /// At most `max_in_flight` calls at once, each at most `timeout`; a call that finds no free
    /// slot within `queue_wait` is answered `busy`.
    pub fn new(max_in_flight: usize, timeout: Duration, queue_wait: Duration) -> Self {
        Self {
            permits: Semaphore::new(max_in_flight.max(1)),
            timeout,
            queue_wait,
        }
    }
}

impl Default for CallGate {
    fn default() -> Self {
        Self::new(64, Duration::from_secs(15), Duration::from_millis(250))
    }
}

/// Which transport a call came through (for logs and metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// MCP over stdio or streamable HTTP.
    Mcp,
    /// JSON-RPC over HTTP or WebSocket.
    JsonRpc,
    /// The REST routes.
    Rest,
}

impl Transport {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Mcp => "mcp",
            Transport::JsonRpc => "jsonrpc",
            Transport::Rest => "rest",
        }
    }
}

/// Runs `tool` with `arguments` under the app's call gate.
pub async fn run(
    app: &App,
    tool: &ToolEntry,
    arguments: Value,
    transport: Transport,
) -> Result<Value> {
    let started = Instant::now();
    let gate = &app.gate;
    let outcome = match tokio::time::timeout(gate.queue_wait, gate.permits.acquire()).await {
        Err(_) | Ok(Err(_)) => Err(Error::Busy),
        Ok(Ok(_permit)) => {
            match tokio::time::timeout(gate.timeout, tool.call(app.clone(), arguments)).await {
                Ok(outcome) => outcome,
                Err(_) => Err(Error::Timeout),
            }
        }
    };
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    match &outcome {
        Ok(_) => tracing::info!(
            tool = tool.name,
            transport = transport.as_str(),
            latency_ms,
            "tool call"
        ),
        Err(err) => tracing::info!(
            tool = tool.name,
            transport = transport.as_str(),
            latency_ms,
            error_code = err.code(),
            "tool call failed"
        ),
    }
    outcome
}
