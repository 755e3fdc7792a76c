//! Running a tool call the same way whatever the transport: a bound on calls in flight (past
//! it, `busy` at once rather than an ever-growing queue), a per-call timeout, its metrics, and
//! one log line per call (tool, transport, latency, result count, code, ids; the request's
//! text only when `GIFTVEC_LOG_QUERIES` is on).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde_json::Value;
use tokio::sync::Semaphore;

use super::ToolEntry;
use crate::app::App;
use crate::observe::names;
use crate::{Error, Result, store};

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

/// A connection pool that timed out because its database cannot be reached (the pool holds
/// no connection at all, or a new one does not open) tells the caller that, and that
/// retrying later may help, not that giftvec is busy.
async fn unreachable_database(app: &App, err: Error) -> Error {
    let Error::Busy = err else { return err };
    let empty = app.db.pool().size() == 0 || app.read.pool().size() == 0;
    if empty || !app.db.reachable().await || (app.has_replica && !app.read.reachable().await) {
        return Error::Upstream(
            "the product database cannot be reached right now; retry in a minute (operators: \
             giftvec doctor says why)"
                .into(),
        );
    }
    err
}

/// Runs `tool` with `arguments` under the app's call gate. A call past the gate's timeout
/// (code `timeout`) or dropped before it finishes (an MCP cancellation, a client that went
/// away: logged and counted with code `cancelled`) stops its work: its futures are dropped,
/// and its statements still running in PostgreSQL end too ([`crate::store::abandoned`]).
pub async fn run(
    app: &App,
    tool: &ToolEntry,
    arguments: Value,
    transport: Transport,
) -> Result<Value> {
    let gate = &app.gate;
    let mut record = Record {
        tool: tool.name,
        transport,
        started: Instant::now(),
        query: gate.log_queries.then(|| request_text(&arguments)).flatten(),
        done: false,
    };
    let outcome = match tokio::time::timeout(gate.queue_wait, gate.permits.acquire()).await {
        Err(_) | Ok(Err(_)) => Err(Error::Busy),
        Ok(Ok(permit)) => {
            let call = Watched::new(tool.call(app.clone(), arguments));
            let outcome = tokio::time::timeout(gate.timeout, call).await;
            // The slot is free before a busy pool is told from an unreachable database.
            drop(permit);
            match outcome {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(err)) => Err(unreachable_database(app, err).await),
                Err(_) => Err(Error::Timeout),
            }
        }
    };
    record.finish(&outcome);
    outcome
}

/// Records a call of `tool` refused before it ran (its caller was over its rate) like any
/// other call, and returns the refusal.
pub fn refuse(tool: &ToolEntry, transport: Transport, refusal: Error) -> Result<Value> {
    let mut record = Record {
        tool: tool.name,
        transport,
        started: Instant::now(),
        query: None,
        done: false,
    };
    let outcome = Err(refusal);
    record.finish(&outcome);
    outcome
}

/// A tool call's future that, dropped before it finished, records an abandoned call first
/// ([`store::abandoned::mark`]), so that the connections it leaves mid-statement are closed
/// instead of waited for.
struct Watched {
    call: BoxFuture<'static, Result<Value>>,
    finished: bool,
}

impl Watched {
    fn new(call: BoxFuture<'static, Result<Value>>) -> Self {
        Self {
            call,
            finished: false,
        }
    }
}

impl Future for Watched {
    type Output = Result<Value>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let polled = self.call.as_mut().poll(cx);
        if polled.is_ready() {
            self.finished = true;
        }
        polled
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        // Runs before `call` (a field) is dropped, so before its connections go back.
        if !self.finished {
            store::abandoned::mark();
        }
    }
}

/// One call's log line and metrics, written when it ends, or as `cancelled` when it is
/// dropped unfinished.
struct Record {
    tool: &'static str,
    transport: Transport,
    started: Instant,
    query: Option<String>,
    done: bool,
}

impl Record {
    fn finish(&mut self, outcome: &Result<Value>) {
        self.done = true;
        let code = outcome.as_ref().err().map_or("ok", |e| e.code());
        let latency_ms = self.count(code);
        let (tool, via, query) = (self.tool, self.transport.as_str(), self.query.as_deref());
        let call_id = format!("{:016x}", rand::random::<u64>());
        match outcome {
            Ok(value) => tracing::info!(
                tool,
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
                tool,
                transport = via,
                latency_ms,
                code,
                call_id,
                query,
                error = %err,
                "tool call refused"
            ),
            Err(err) => tracing::warn!(
                tool,
                transport = via,
                latency_ms,
                code,
                call_id,
                query,
                error = ?err,
                "tool call failed"
            ),
        }
    }

    /// Records the call's duration and code; its latency in milliseconds.
    fn count(&self, code: &'static str) -> f64 {
        let elapsed = self.started.elapsed().as_secs_f64();
        let (name, via) = (self.tool, self.transport.as_str());
        metrics::histogram!(names::TOOL_CALL_DURATION, "tool" => name, "transport" => via)
            .record(elapsed);
        metrics::counter!(names::TOOL_CALLS, "tool" => name, "transport" => via, "code" => code)
            .increment(1);
        elapsed * 1000.0
    }
}

impl Drop for Record {
    fn drop(&mut self) {
        if !self.done {
            let latency_ms = self.count(CANCELLED);
            tracing::info!(
                tool = self.tool,
                transport = self.transport.as_str(),
                latency_ms,
                code = CANCELLED,
                query = self.query.as_deref(),
                "tool call cancelled"
            );
        }
    }
}

/// The metrics and log code of a call its caller gave up on.
pub const CANCELLED: &str = "cancelled";
