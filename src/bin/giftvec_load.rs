//! `giftvec-load`: drives a running giftvec over JSON-RPC (HTTP and WebSocket) and MCP
//! (streamable HTTP) at a given concurrency for a bounded time, prints throughput and
//! p50 / p95 / p99 per transport and tool, and in the same run drives the equivalent raw
//! pgvector query with `pgbench` on the same database, printing giftvec's throughput as a
//! ratio of it. Beside each row, the CPU milliseconds per call spent by the sidecar
//! (`--sidecar-pid`), by PostgreSQL (every backend: the server's whole process tree) and by
//! the load tool itself, read from `/proc` over the row's window ("n/a" where there is no
//! `/proc`, or no pid), and PostgreSQL's share as a ratio of the raw query's. Loopback
//! targets only.
//!
//! ```sh
//! cargo build --release --features load --bin giftvec-load
//! target/release/giftvec-load --url http://127.0.0.1:7070 --seconds 10 --concurrency 2
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use hdrhistogram::Histogram;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::core::params::ObjectParams;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use giftvec::observe::cpu;

/// Load test of a giftvec sidecar.
#[derive(Debug, Parser)]
#[command(name = "giftvec-load")]
struct Args {
    /// giftvec's base URL (loopback only); a comma list drives several sidecars at once
    /// (a fleet), the calls in flight spread over them in turn.
    #[arg(long, value_delimiter = ',', default_value = "http://127.0.0.1:7070")]
    url: Vec<String>,
    /// The database giftvec serves (for the product ids and the raw pgbench baseline).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: String,
    /// Calls in flight at once (per transport and tool).
    #[arg(long, default_value_t = 2)]
    concurrency: usize,
    /// Seconds per transport and tool (and for the pgbench baseline).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Transports: jsonrpc-http, jsonrpc-ws, mcp.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "jsonrpc-http,jsonrpc-ws,mcp"
    )]
    transports: Vec<String>,
    /// Tools: similar_products, search_products, recommend_gifts.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "similar_products,search_products,recommend_gifts"
    )]
    tools: Vec<String>,
    /// The pgbench binary.
    #[arg(long, default_value = "pgbench")]
    pgbench: String,
    /// The sidecar's process id, for its CPU per call (without it the column says n/a); a
    /// comma list for a fleet, whose CPU is summed.
    #[arg(long, value_delimiter = ',')]
    sidecar_pid: Vec<u32>,
    /// Bearer token, when giftvec has one.
    #[arg(long, env = "GIFTVEC_AUTH_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

const REQUESTS: [&str; 8] = [
    "gift for a coffee lover",
    "something for my dad who loves fishing",
    "yoga and meditation",
    "a cosy present for a bookworm",
    "board game night with friends",
    "birthday present for a teenage gamer",
    "houseplant lover",
    "whisky gift for grandpa",
];

/// The arguments of call number `i` of `tool`.
fn params(tool: &str, i: u64, ids: &[String]) -> Value {
    let id = &ids[(i as usize * 7919) % ids.len()];
    let text = REQUESTS[i as usize % REQUESTS.len()];
    match tool {
        "similar_products" => json!({"product_id": id, "limit": 10}),
        "search_products" => json!({"query": text, "limit": 10}),
        _ => json!({"context": text, "limit": 10, "budget": {"max": 80}}),
    }
}

/// One way of calling a tool.
enum Caller {
    Http(jsonrpsee::http_client::HttpClient),
    Ws(jsonrpsee::ws_client::WsClient),
    Mcp(Mcp),
}

impl Caller {
    async fn call(&self, tool: &str, args: Value) -> Result<(), String> {
        let object = |v: Value| {
            let mut p = ObjectParams::new();
            for (k, v) in v.as_object().cloned().unwrap_or_default() {
                p.insert(&k, v).map_err(|e| e.to_string())?;
            }
            Ok::<_, String>(p)
        };
        match self {
            Caller::Http(c) => c
                .request::<Value, _>(tool, object(args)?)
                .await
                .map(drop)
                .map_err(|e| e.to_string()),
            Caller::Ws(c) => c
                .request::<Value, _>(tool, object(args)?)
                .await
                .map(drop)
                .map_err(|e| e.to_string()),
            Caller::Mcp(c) => c.call(tool, args).await,
        }
    }
}

/// A minimal MCP streamable-HTTP client: initialize once, then `tools/call` (with the session
/// id when the server keeps sessions).
struct Mcp {
    http: reqwest::Client,
    url: String,
    session: String,
    token: Option<String>,
    next: AtomicU64,
}

impl Mcp {
    async fn connect(base: &str, token: Option<String>) -> Result<Self, String> {
        let http = reqwest::Client::new();
        let url = format!("{base}/mcp");
        let mut mcp = Self {
            http,
            url,
            session: String::new(),
            token,
            next: AtomicU64::new(1),
        };
        let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "giftvec-load", "version": env!("CARGO_PKG_VERSION")}}});
        let response = mcp.post(&init).await?;
        // A stateless server (giftvec's) gives no session; a session server gives its id.
        mcp.session = response
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        response.text().await.map_err(|e| e.to_string())?;
        mcp.post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await?;
        Ok(mcp)
    }

    async fn post(&self, body: &Value) -> Result<reqwest::Response, String> {
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body.to_string());
        if !self.session.is_empty() {
            request = request.header("mcp-session-id", &self.session);
        }
        if let Some(t) = &self.token {
            request = request.bearer_auth(t);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        Ok(response)
    }

    async fn call(&self, tool: &str, args: Value) -> Result<(), String> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                          "params": {"name": tool, "arguments": args}});
        let text = self
            .post(&body)
            .await?
            .text()
            .await
            .map_err(|e| e.to_string())?;
        // A JSON body or an event stream whose data line holds the answer.
        let answer = text
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(str::trim)
            .find(|l| l.starts_with('{'))
            .unwrap_or(text.trim());
        let value: Value = serde_json::from_str(answer).map_err(|e| e.to_string())?;
        if value.get("error").is_some() || value["result"]["isError"] == json!(true) {
            return Err(format!("tool error: {value}"));
        }
        Ok(())
    }
}

/// The raw query's run: queries per second, and PostgreSQL's CPU milliseconds per query.
struct Raw {
    per_second: f64,
    postgres_ms: Option<f64>,
}

/// Throughput and latency of one run.
struct Outcome {
    calls: u64,
    errors: u64,
    per_second: f64,
    histogram: Histogram<u64>,
    cpu: CpuPerCall,
}

/// Whose CPU a row counts: the sidecar, PostgreSQL's process tree (from its postmaster) and
/// this process.
#[derive(Clone, Copy)]
struct Processes<'a> {
    sidecars: &'a [u32],
    postmaster: Option<u32>,
}

/// CPU time used so far by each of [`Processes`] and by this process.
#[derive(Clone, Copy)]
struct CpuReading {
    sidecar: Option<Duration>,
    postgres: Option<Duration>,
    client: Option<Duration>,
}

impl Processes<'_> {
    fn read(&self) -> CpuReading {
        let sidecar = (!self.sidecars.is_empty())
            .then(|| self.sidecars.iter().map(|&pid| cpu::process(pid)).sum())
            .flatten();
        CpuReading {
            sidecar,
            postgres: self.postmaster.and_then(cpu::tree),
            client: cpu::process(std::process::id()),
        }
    }
}

/// Milliseconds of CPU per call between two readings, by process.
#[derive(Clone, Copy, Default)]
struct CpuPerCall {
    sidecar: Option<f64>,
    postgres: Option<f64>,
    client: Option<f64>,
}

impl CpuPerCall {
    fn between(start: CpuReading, end: CpuReading, calls: u64) -> Self {
        let per_call = |a: Option<Duration>, b: Option<Duration>| match (a, b) {
            (Some(a), Some(b)) if calls > 0 => {
                Some(b.saturating_sub(a).as_secs_f64() * 1000.0 / calls as f64)
            }
            _ => None,
        };
        Self {
            sidecar: per_call(start.sidecar, end.sidecar),
            postgres: per_call(start.postgres, end.postgres),
            client: per_call(start.client, end.client),
        }
    }
}

/// A figure with `decimals`, or "n/a".
fn or_na(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| format!("{v:.decimals$}"))
}

async fn drive(
    callers: &[Arc<Caller>],
    tool: &str,
    ids: Arc<Vec<String>>,
    (concurrency, seconds): (usize, u64),
    processes: Processes<'_>,
) -> Outcome {
    let histogram = Arc::new(Mutex::new(
        Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("valid bounds"),
    ));
    let (calls, errors) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let cpu_start = processes.read();
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let caller = callers[w % callers.len()].clone();
        let (ids, histogram) = (ids.clone(), histogram.clone());
        let (calls, errors, tool) = (calls.clone(), errors.clone(), tool.to_string());
        workers.push(tokio::spawn(async move {
            let mut local = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("bounds");
            let mut i = w as u64 * 1_000_003;
            while Instant::now() < until {
                let t = Instant::now();
                let ok = caller.call(&tool, params(&tool, i, &ids)).await;
                let micros = t.elapsed().as_micros().max(1) as u64;
                match ok {
                    Ok(()) => {
                        local.saturating_record(micros);
                        calls.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(err) => {
                        if errors.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("giftvec-load: {tool}: {err}");
                            if err.to_string().contains("too many calls") {
                                eprintln!(
                                    "giftvec-load: the sidecar's per-caller rate limit refused \
                                     calls; serve with GIFTVEC_AGENT_CALLS_PER_SEC=0 (and \
                                     GIFTVEC_OPS_CALLS_PER_SEC=0) to measure its capacity"
                                );
                            }
                        }
                        // A refused connection fails at once: do not spin on it.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
                i += 1;
            }
            histogram.lock().await.add(&local).expect("same bounds");
        }));
    }
    for w in workers {
        let _ = w.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_end = processes.read();
    let calls = calls.load(Ordering::Relaxed);
    let histogram = Arc::try_unwrap(histogram)
        .map(Mutex::into_inner)
        .unwrap_or_else(|_| unreachable!("workers are done"));
    Outcome {
        calls,
        errors: errors.load(Ordering::Relaxed),
        per_second: calls as f64 / elapsed,
        histogram,
        cpu: CpuPerCall::between(cpu_start, cpu_end, calls),
    }
}

/// The model giftvec serves and its dimensions.
async fn active_model(pool: &sqlx::PgPool) -> Result<(String, i32), String> {
    sqlx::query_as("SELECT name, dimensions FROM embedding_models WHERE is_active")
        .fetch_one(pool)
        .await
        .map_err(|e| format!("reading the active model: {e}"))
}

/// Raw pgvector throughput of the same top-10 query, by pgbench at the same concurrency:
/// the query vectors are the embeddings of `ids` (so this is similar_products' query, and
/// search's ANN step without the embedding of the request), with PostgreSQL's CPU per query.
async fn pgbench(
    args: &Args,
    pool: &sqlx::PgPool,
    ids: &[String],
    processes: Processes<'_>,
) -> Result<Raw, String> {
    let (model, dims) = active_model(pool).await?;
    let e = |e: sqlx::Error| e.to_string();
    sqlx::query("DROP TABLE IF EXISTS giftvec_load_queries")
        .execute(pool)
        .await
        .map_err(e)?;
    sqlx::query(
        "CREATE UNLOGGED TABLE giftvec_load_queries AS
         SELECT row_number() OVER (ORDER BY product_id) AS n, embedding AS v
         FROM product_embeddings WHERE model = $1 AND product_id = ANY($2)",
    )
    .bind(&model)
    .bind(ids)
    .execute(pool)
    .await
    .map_err(e)?;
    let literal = model.replace('\'', "''");
    let script = format!(
        "\\set n random(1, {})\n\
         SELECT e.product_id FROM product_embeddings e WHERE e.model = '{literal}' \
         ORDER BY e.embedding::vector({dims}) <=> (SELECT v::vector({dims}) FROM giftvec_load_queries WHERE n = :n) LIMIT 10;\n",
        ids.len()
    );
    let dir = std::env::temp_dir().join(format!("giftvec-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let file = dir.join("query.sql");
    std::fs::write(&file, script).map_err(|e| e.to_string())?;
    let mut pgbench = std::process::Command::new(&args.pgbench);
    pgbench
        .env(
            "PGOPTIONS",
            "-c hnsw.ef_search=100 -c hnsw.iterative_scan=relaxed_order",
        )
        .args([
            "-n",
            "-c",
            &args.concurrency.to_string(),
            "-j",
            &args.concurrency.to_string(),
            "-T",
            &args.seconds.to_string(),
            "-f",
        ])
        .arg(&file)
        .arg(&args.database_url);
    let cpu_start = processes.read();
    let out = tokio::task::spawn_blocking(move || pgbench.output())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot run {}: {e}", args.pgbench))?;
    let cpu_end = processes.read();
    let _ = std::fs::remove_dir_all(&dir);
    let _ = sqlx::query("DROP TABLE IF EXISTS giftvec_load_queries")
        .execute(pool)
        .await;
    let text = String::from_utf8_lossy(&out.stdout);
    let number = |prefix: &str| -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.split('/').next()?.parse().ok())
    };
    let (Some(per_second), Some(queries)) = (
        number("tps = "),
        number("number of transactions actually processed: "),
    ) else {
        return Err(format!(
            "pgbench printed no tps:\n{text}{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    };
    let cpu = CpuPerCall::between(cpu_start, cpu_end, queries as u64);
    Ok(Raw {
        per_second,
        postgres_ms: cpu.postgres,
    })
}

fn loopback(url: &str) -> bool {
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .split('/')
        .next()
        .unwrap_or("");
    host.starts_with("127.0.0.1:")
        || host == "127.0.0.1"
        || host.starts_with("[::1]")
        || host.starts_with("localhost")
}

/// A caller of `transport` on the sidecar at `base`.
async fn connect(
    transport: &str,
    base: &str,
    headers: &jsonrpsee::http_client::HeaderMap,
    args: &Args,
) -> Result<Caller, String> {
    Ok(match transport {
        "jsonrpc-http" => Caller::Http(
            jsonrpsee::http_client::HttpClientBuilder::default()
                .set_headers(headers.clone())
                .max_concurrent_requests(args.concurrency.max(1))
                .build(format!("{base}/rpc"))
                .map_err(|e| e.to_string())?,
        ),
        "jsonrpc-ws" => Caller::Ws(
            jsonrpsee::ws_client::WsClientBuilder::default()
                .set_headers(headers.clone())
                .build(format!("{}/rpc", base.replacen("http", "ws", 1)))
                .await
                .map_err(|e| e.to_string())?,
        ),
        "mcp" => Caller::Mcp(Mcp::connect(base, args.token.clone()).await?),
        other => {
            return Err(format!(
                "unknown transport {other:?} (jsonrpc-http, jsonrpc-ws, mcp)"
            ));
        }
    })
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("giftvec-load: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let bases: Vec<String> = args
        .url
        .iter()
        .map(|u| u.trim_end_matches('/').to_string())
        .collect();
    if let Some(base) = bases.iter().find(|b| !loopback(b)) {
        return Err(format!(
            "{base} is not a loopback address; load tests target 127.0.0.1 or ::1 only"
        ));
    }
    if args.concurrency == 0 || args.concurrency > 256 || args.seconds == 0 || args.seconds > 600 {
        return Err("concurrency must be 1-256 and seconds 1-600".into());
    }
    let pool = sqlx::PgPool::connect(&args.database_url)
        .await
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT e.product_id FROM product_embeddings e JOIN embedding_models m
           ON m.name = e.model AND m.is_active ORDER BY md5(e.product_id) LIMIT 500",
    )
    .fetch_all(&pool)
    .await
    .map_err(|e| e.to_string())?;
    if ids.is_empty() {
        return Err("no embedded products: import and embed a catalog first".into());
    }
    let products: i64 = sqlx::query_scalar("SELECT count(*) FROM products")
        .fetch_one(&pool)
        .await
        .map_err(|e| e.to_string())?;
    let ids = Arc::new(ids);
    let mut headers = jsonrpsee::http_client::HeaderMap::new();
    if let Some(t) = &args.token {
        headers.insert(
            "authorization",
            format!("Bearer {t}").parse().map_err(|_| "bad token")?,
        );
    }
    // PostgreSQL's CPU is its whole process tree: the postmaster is the parent of the backend
    // serving this connection, when that backend is a process here (n/a otherwise).
    let backend: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&pool)
        .await
        .map_err(|e| e.to_string())?;
    let processes = Processes {
        sidecars: &args.sidecar_pid,
        postmaster: u32::try_from(backend).ok().and_then(cpu::postmaster_of),
    };
    // The raw baseline runs before and after giftvec's rows; the ratio uses their mean, so a
    // machine that slows down or warms up during the run moves both sides alike.
    let raw_before = pgbench(&args, &pool, &ids, processes).await?;
    let mut rows = Vec::new();
    let mut failed = Vec::new();
    for transport in &args.transports {
        let mut callers = Vec::new();
        for base in &bases {
            callers.push(Arc::new(connect(transport, base, &headers, &args).await?));
        }
        for tool in &args.tools {
            if !["similar_products", "search_products", "recommend_gifts"].contains(&tool.as_str())
            {
                return Err(format!("unknown tool {tool:?}"));
            }
            let out = drive(
                &callers,
                tool,
                ids.clone(),
                (args.concurrency, args.seconds),
                processes,
            )
            .await;
            if out.calls == 0 {
                failed.push(format!("{transport} {tool}"));
            }
            rows.push((transport.clone(), tool.clone(), out));
        }
    }
    let raw_after = pgbench(&args, &pool, &ids, processes).await?;
    let raw = (raw_before.per_second + raw_after.per_second) / 2.0;
    let raw_cpu = match (raw_before.postgres_ms, raw_after.postgres_ms) {
        (Some(a), Some(b)) => Some((a + b) / 2.0),
        _ => None,
    };
    println!(
        "giftvec-load: {products} products, {} concurrent calls, {} s per row; raw pgvector top-10 \
         (pgbench, same concurrency): {raw:.0} queries/s ({:.0} before the rows, {:.0} after), \
         PostgreSQL CPU {} ms per query\n",
        args.concurrency,
        args.seconds,
        raw_before.per_second,
        raw_after.per_second,
        or_na(raw_cpu, 3)
    );
    println!(
        "| transport | tool | calls | errors | calls/s | p50 ms | p95 ms | p99 ms | ratio to raw pgvector \
         | sidecar CPU ms/call | PostgreSQL CPU ms/call | client CPU ms/call | PostgreSQL CPU ÷ raw |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (transport, tool, out) in rows {
        let ms = |q: f64| out.histogram.value_at_quantile(q) as f64 / 1000.0;
        let ratio = match (out.cpu.postgres, raw_cpu) {
            (Some(a), Some(b)) if b > 0.0 => Some(a / b),
            _ => None,
        };
        println!(
            "| {transport} | {tool} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.3} | {} | {} | {} | {} |",
            out.calls,
            out.errors,
            out.per_second,
            ms(0.5),
            ms(0.95),
            ms(0.99),
            out.per_second / raw,
            or_na(out.cpu.sidecar, 3),
            or_na(out.cpu.postgres, 3),
            or_na(out.cpu.client, 3),
            or_na(ratio, 2),
        );
    }
    if !failed.is_empty() {
        return Err(format!("no call succeeded for: {}", failed.join(", ")));
    }
    Ok(())
}
