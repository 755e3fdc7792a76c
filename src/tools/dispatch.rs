//! Running a tool call the same way whatever the transport: a bound on calls in flight (past
//! it, `busy` at once rather than an ever-growing queue), a per-call timeout, its metrics, and
//! one log line per call (tool, transport, latency, result count, code, ids; the request's
//! text only when `GIFTVEC_LOG_QUERIES` is on).

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Semaphore;

use super::ToolEntry;
use crate::app::App;
use crate::observe::names;
use crate::{Error, Result};

/// Limits on tool calls.
#[derive(Debug)]
pub struct CallGate {
    permits: Semaphore,
    timeout: Duration,
    queue_wait: Duration,
    log_queries: bool,
}

impl CallGate {
    /// At most `max_in_flight` calls at once, each at most `timeout`; a call that finds no free
    /// slot within `queue_wait` is answered `busy`.
    pub fn new(max_in_flight: usize, timeout: Duration, queue_wait: Duration) -> Self {
        Self {
            permits: Semaphore::new(max_in_flight.max(1)),
            timeout,
            queue_wait,
            log_queries: false,
        }
    }

    /// Whether the per-call log line carries the request's text (query, context, text).
    pub fn with_log_queries(mut self, on: bool) -> Self {
        self.log_queries = on;
        self
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

/// The length of the first list in a result (results, recommendations, embeddings, ...).
fn result_count(value: &Value) -> Option<u64> {
    value
        .as_object()?
        .values()
        .find_map(|v| v.as_array().map(|a| a.len() as u64))
}

/// The request's own words, for the log when allowed: `query`, `context`, `text` or the first
/// of `texts`, cut to 200 characters.
fn request_text(arguments: &Value) -> Option<String> {
    let text = ["query", "context", "text"]
        .iter()
        .find_map(|k| arguments.get(*k).and_then(serde_json::Value::as_str))
        .or_else(|| arguments.get("texts")?.get(0)?.as_str())?;
    Some(text.chars().take(200).collect())
}

/// A connection pool that timed out holding no connection at all could not reach its
/// database: the caller is told that (and that retrying later may help), not that giftvec is
/// busy. A busy pool always holds connections.
fn unreachable_database(app: &App, err: Error) -> Error {
    match err {
        Error::Busy if app.db.size() == 0 || app.read.size() == 0 => Error::Upstream(
            "the product database cannot be reached right now; retry in a minute (operators: \
             giftvec doctor says why)"
                .into(),
        ),
        other => other,
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
    let query = gate.log_queries.then(|| request_text(&arguments)).flatten();
    let outcome = match tokio::time::timeout(gate.queue_wait, gate.permits.acquire()).await {
        Err(_) | Ok(Err(_)) => Err(Error::Busy),
        Ok(Ok(_permit)) => {
            match tokio::time::timeout(gate.timeout, tool.call(app.clone(), arguments)).await {
                Ok(outcome) => outcome.map_err(|err| unreachable_database(app, err)),
                Err(_) => Err(Error::Timeout),
            }
        }
    };
    let elapsed = started.elapsed().as_secs_f64();
    let latency_ms = elapsed * 1000.0;
    let code = outcome.as_ref().err().map_or("ok", |e| e.code());
    let (name, via) = (tool.name, transport.as_str());
    metrics::histogram!(names::TOOL_CALL_DURATION, "tool" => name, "transport" => via)
        .record(elapsed);
    metrics::counter!(names::TOOL_CALLS, "tool" => name, "transport" => via, "code" => code)
        .increment(1);
    let call_id = format!("{:016x}", rand::random::<u64>());
    let query = query.as_deref();
    match &outcome {
        Ok(value) => tracing::info!(
            tool = name,
            transport = via,
            latency_ms,
            code,
            result_count = result_count(value),
            call_id,
            request_id = value.get("request_id").and_then(serde_json::Value::as_str),
            query,
            "tool call"
        ),
        Err(err) if err.is_caller_error() => tracing::info!(
            tool = name,
            transport = via,
            latency_ms,
            code,
            call_id,
            query,
            error = %err,
            "tool call refused"
        ),
        Err(err) => tracing::warn!(
            tool = name,
            transport = via,
            latency_ms,
            code,
            call_id,
            query,
            error = ?err,
            "tool call failed"
        ),
    }
    outcome
}
