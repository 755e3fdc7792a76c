//! The command line. Every option can also come from the environment (`DATABASE_URL`,
//! `GIFTVEC_*`); `giftvec --help` and `giftvec <command> --help` list them all.

mod access;
mod embed;
mod preferences;
mod recommend;
mod search;
mod weights;

pub use access::AccessArgs;
pub use embed::{EmbedArgs, EmbedderKind};
pub use preferences::PreferenceArgs;
pub use recommend::RecommendArgs;
pub use search::SearchArgs;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;

use crate::catalog::Format;
use crate::store::DbSettings;

/// giftvec: product knowledge for AI gift agents, on PostgreSQL + pgvector.
#[derive(Debug, Parser)]
#[command(name = "giftvec", version, propagate_version = true)]
pub struct Cli {
    /// Database connection.
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Embedding provider, cache, resilience and budget.
    #[command(flatten)]
    pub embed: EmbedArgs,

    /// Event weights and preference decay.
    #[command(flatten)]
    pub preferences: PreferenceArgs,

    /// Recommendation weights, defaults and experiments.
    #[command(flatten)]
    pub recommend: RecommendArgs,

    /// Log filter, tracing syntax (e.g. `info`, `giftvec=debug,sqlx=warn`).
    #[arg(long, env = "GIFTVEC_LOG", default_value = "info", global = true)]
    pub log: String,

    /// Log format: `json` (one JSON object per line, for log collectors), `text` (for people),
    /// or `auto`: text on a terminal, JSON otherwise.
    #[arg(
        long,
        env = "GIFTVEC_LOG_FORMAT",
        default_value = "auto",
        global = true
    )]
    pub log_format: LogFormat,

    /// Which tools MCP and JSON-RPC offer (`serve` and `mcp`): `agent` (what a gift agent
    /// calls mid-conversation), `ops` (embed_text, embedding_status, search_stats,
    /// find_similar_queries, experiment_report), `all`, or a comma list.
    #[arg(long, env = "GIFTVEC_TOOLSETS", default_value = "agent", global = true)]
    pub toolsets: crate::tools::Toolsets,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Database connection options.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Database")]
pub struct DatabaseArgs {
    /// PostgreSQL URL (PostgreSQL >= 15 with pgvector >= 0.8). For development,
    /// `tools/devdb start` starts one and prints its URL.
    #[arg(long = "database-url", env = "DATABASE_URL", hide_env_values = true, global = true,
          value_parser = parse_secret)]
    pub url: Option<SecretString>,

    /// PostgreSQL URL of a streaming read replica. When set, the read-only tools
    /// (search_products with its expansion and personal re-rank, similar_products,
    /// get_product, diversify) query it; writes, the queue, analytics and anything read right
    /// after a write stay on the primary.
    #[arg(long = "database-read-url", env = "DATABASE_READ_URL", hide_env_values = true,
          global = true, value_parser = parse_secret)]
    pub read_url: Option<SecretString>,

    /// Whether DATABASE_URL leads to a connection pooler: `none` (PostgreSQL itself, or a
    /// session-mode pooler) or `transaction` (PgBouncer or another pooler in transaction mode;
    /// giftvec then keeps nothing across transactions, and finds at start whether the pooler
    /// keeps prepared statements and which settings the role already has).
    #[arg(long, env = "GIFTVEC_DB_POOLER", default_value = "none", global = true)]
    pub db_pooler: crate::store::Pooler,

    /// PostgreSQL URL that bypasses the pooler, for what needs a session of its own: the
    /// result cache's LISTEN for catalog changes, and `giftvec migrate`. Without it, behind a
    /// transaction pooler, cached results expire after a short TTL instead of on change.
    #[arg(long = "database-direct-url", env = "DATABASE_DIRECT_URL", hide_env_values = true,
          global = true, value_parser = parse_secret)]
    pub direct_url: Option<SecretString>,

    /// HNSW candidate list size per vector query (1 to 1000): recall against speed. Every
    /// connection starts with it; with ef_construction 128, 100 kept recall@10 at 0.999 up to
    /// 1M products (docs/search.md).
    #[arg(long, env = "GIFTVEC_HNSW_EF_SEARCH", default_value_t = 100, global = true,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub hnsw_ef_search: u32,

    /// Maximum open database connections.
    #[arg(
        long,
        env = "GIFTVEC_DB_MAX_CONNECTIONS",
        default_value_t = 10,
        global = true
    )]
    pub db_max_connections: u32,

    /// Connections of a separate pool for heavy queries (search analytics, the search log,
    /// find_similar_queries) so they never starve interactive tools; 0 shares the main pool.
    #[arg(
        long,
        env = "GIFTVEC_DB_HEAVY_CONNECTIONS",
        default_value_t = 2,
        global = true
    )]
    pub db_heavy_connections: u32,

    /// How long a call waits for a free connection before answering `busy` (ms).
    #[arg(
        long,
        env = "GIFTVEC_DB_ACQUIRE_TIMEOUT_MS",
        default_value_t = 5_000,
        global = true
    )]
    pub db_acquire_timeout_ms: u64,

    /// Server-side limit on any one statement (ms); past it a call fails with `timeout`.
    #[arg(
        long,
        env = "GIFTVEC_DB_STATEMENT_TIMEOUT_MS",
        default_value_t = 30_000,
        global = true
    )]
    pub db_statement_timeout_ms: u64,

    /// How often PostgreSQL checks that giftvec is still connected while a statement runs
    /// (ms, `client_connection_check_interval`, PostgreSQL 14+): a cancelled or timed-out
    /// call's statements end within it. 0 turns the check off.
    #[arg(
        long,
        env = "GIFTVEC_DB_CLIENT_CHECK_MS",
        default_value_t = 1_000,
        global = true
    )]
    pub db_client_check_ms: u64,
}

pub(crate) fn parse_secret(value: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(value))
}

impl DatabaseArgs {
    /// The settings to connect with; fails when no URL was given.
    pub fn settings(&self) -> Result<DbSettings, crate::Error> {
        let url = self.url.clone().ok_or_else(|| {
            crate::Error::Setup(
                "no database configured: set DATABASE_URL (or --database-url); for development \
                 run `tools/devdb start` and use the URL it prints"
                    .into(),
            )
        })?;
        Ok(DbSettings {
            url,
            max_connections: self.db_max_connections.max(1),
            heavy_connections: self.db_heavy_connections,
            acquire_timeout: Duration::from_millis(self.db_acquire_timeout_ms),
            statement_timeout: Duration::from_millis(self.db_statement_timeout_ms),
            client_check_interval: Duration::from_millis(self.db_client_check_ms),
            hnsw_ef_search: self.hnsw_ef_search,
            read_url: self.read_url.clone(),
            pooler: self.db_pooler,
            direct_url: self.direct_url.clone(),
        })
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply the database migrations (idempotent), or move to a given version.
    Migrate(MigrateArgs),
    /// Bulk upsert products from a catalog file: giftvec's JSON Lines or CSV, a Google
    /// Merchant Center feed (TSV, CSV, RSS/Atom XML), or a Shopify or WooCommerce export.
    Import(ImportArgs),
    /// Embed every product that has no embedding of the configured model for its current text
    /// (resumable: an interrupted run continues where it stopped).
    Backfill(BackfillArgs),
    /// List embedding models with their coverage; switch the active one; drop an old one.
    Models(ModelsArgs),
    /// Print the embedding status of every model (coverage, queue, failures, spend) as JSON.
    Status,
    /// Run the embedding worker: embed products as the triggers queue them, until SIGTERM.
    Worker(WorkerArgs),
    /// Serve the tools over HTTP: MCP at /mcp, JSON-RPC at /rpc, REST at /api, probes.
    Serve(Box<ServeArgs>),
    /// Serve the tools over MCP on stdin/stdout (for local agents and the MCP Inspector).
    Mcp(CallArgs),
    /// Recompute users' preference vectors from their events (after a model switch, or to
    /// check the incremental updates), for one user or all.
    RebuildPreferences(RebuildArgs),
    /// Put dead-lettered embedding jobs back in the queue once their cause is fixed (a bad
    /// key, an exhausted budget, a provider outage); the workers embed them again.
    ReplayDeadJobs(ReplayArgs),
    /// Report an A/B experiment: impressions, CTR and conversion per arm with 95% intervals,
    /// the lift over the baseline and whether it is significant.
    ExperimentReport(ExperimentArgs),
    /// Check that this deployment can serve: PostgreSQL and pgvector versions, migrations,
    /// models and coverage, HNSW indexes, the embedder, Redis, the read replica. Prints one
    /// line per check with the fix; exits 1 when a check fails.
    Doctor(DoctorArgs),
    /// Probe a running `giftvec serve` (GET /healthz) and exit 0 when it answers: the
    /// container's health command, no curl needed.
    Healthcheck(HealthcheckArgs),
}

/// `giftvec doctor`.
#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    /// Checks to leave out, comma-separated: embedder, redis, replica.
    #[arg(long, value_delimiter = ',')]
    pub skip: Vec<String>,
}

/// `giftvec healthcheck`.
#[derive(Debug, Clone, Args)]
pub struct HealthcheckArgs {
    /// The server's address (`serve --listen`); an unspecified address (0.0.0.0, [::]) is
    /// probed on loopback.
    #[arg(long, env = "GIFTVEC_LISTEN", default_value = "127.0.0.1:7070")]
    pub listen: std::net::SocketAddr,

    /// Probe /readyz (database, migrations, embedder) instead of /healthz (the process).
    #[arg(long)]
    pub ready: bool,

    /// Give up after this many milliseconds.
    #[arg(long, default_value_t = 3_000)]
    pub timeout_ms: u64,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Text on a terminal, JSON otherwise.
    Auto,
    /// One JSON object per line.
    Json,
    /// Human-readable text.
    Text,
}

/// Limits on tool calls, for every transport.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Tool calls")]
pub struct CallArgs {
    /// Tool calls in flight at once; past it, calls are answered `busy`.
    #[arg(long, env = "GIFTVEC_MAX_CONCURRENT_CALLS", default_value_t = 64)]
    pub max_concurrent_calls: usize,

    /// Longest a tool call may run (ms) before it is answered `timeout`.
    #[arg(long, env = "GIFTVEC_CALL_TIMEOUT_MS", default_value_t = 15_000)]
    pub call_timeout_ms: u64,

    /// Put the request's text (query, context, text) in the per-call log line. Off by default:
    /// shoppers' words can be personal.
    #[arg(long, env = "GIFTVEC_LOG_QUERIES", default_value_t = false)]
    pub log_queries: bool,

    #[command(flatten)]
    pub search: SearchArgs,
}

/// `giftvec replay-dead-jobs`.
#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// Only this model's jobs (default: every model's).
    #[arg(long)]
    pub model: Option<String>,
}

/// `giftvec experiment-report`.
#[derive(Debug, Clone, Args)]
pub struct ExperimentArgs {
    /// The experiment (default: the first in GIFTVEC_EXPERIMENTS).
    pub experiment: Option<String>,
    /// The arm to compare with (default: `baseline`, else the first arm).
    #[arg(long)]
    pub baseline: Option<String>,
    /// Print the report as JSON (the experiment_report tool's output).
    #[arg(long)]
    pub json: bool,
}

/// `giftvec rebuild-preferences`.
#[derive(Debug, Clone, Args)]
pub struct RebuildArgs {
    /// Only this user (default: every user with events).
    #[arg(long)]
    pub user: Option<String>,
}

/// `giftvec backfill`.
#[derive(Debug, Args)]
pub struct BackfillArgs {
    /// Products per embedding batch.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=2048))]
    pub batch_size: u16,

    /// Only print how many products would be embedded, their tokens and estimated cost.
    #[arg(long)]
    pub dry_run: bool,
}

/// `giftvec models`.
#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// What to do (default: list).
    #[command(subcommand)]
    pub action: Option<ModelsAction>,
}

/// `giftvec models` actions.
#[derive(Debug, Subcommand)]
pub enum ModelsAction {
    /// List models with coverage and queue.
    List,
    /// Make a model serve searches, atomically; refused below full coverage unless --force.
    Activate {
        /// Model name, as `giftvec models` lists it.
        name: String,
        /// Switch even though some products lack an embedding of this model.
        #[arg(long)]
        force: bool,
    },
    /// Remove a model that does not serve searches, with its embeddings, jobs and indexes.
    Drop {
        /// Model name.
        name: String,
    },
}

/// Embedding worker options.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Embedding worker")]
pub struct PipelineArgs {
    /// Jobs claimed per batch.
    #[arg(long, env = "GIFTVEC_WORKER_BATCH", default_value_t = 64)]
    pub worker_batch: usize,

    /// How long a claimed batch is held before another worker may take it over (ms).
    #[arg(long, env = "GIFTVEC_WORKER_LEASE_MS", default_value_t = 120_000)]
    pub worker_lease_ms: u64,

    /// Attempts before a job is dead-lettered.
    #[arg(long, env = "GIFTVEC_WORKER_MAX_ATTEMPTS", default_value_t = 5)]
    pub worker_max_attempts: i32,

    /// First retry delay after a failure (ms), doubled per attempt.
    #[arg(long, env = "GIFTVEC_WORKER_RETRY_MS", default_value_t = 5_000)]
    pub worker_retry_ms: u64,

    /// Poll interval when the queue is empty (ms).
    #[arg(long, env = "GIFTVEC_WORKER_POLL_MS", default_value_t = 1_000)]
    pub worker_poll_ms: u64,
}

impl PipelineArgs {
    /// The worker settings these options describe.
    pub fn settings(&self) -> crate::pipeline::worker::WorkerSettings {
        crate::pipeline::worker::WorkerSettings {
            batch: self.worker_batch.max(1),
            lease: Duration::from_millis(self.worker_lease_ms.max(100)),
            idle_poll: Duration::from_millis(self.worker_poll_ms.max(10)),
            max_attempts: self.worker_max_attempts.max(1),
            retry_base: Duration::from_millis(self.worker_retry_ms),
            ..Default::default()
        }
    }
}

/// `giftvec worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Work until no job is due, then exit (instead of waiting for more).
    #[arg(long)]
    pub once: bool,

    /// Worker options.
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

/// `giftvec serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Also run the embedding worker inside the server.
    #[arg(long, env = "GIFTVEC_SERVE_WORKER", default_value_t = true,
          action = clap::ArgAction::Set)]
    pub worker: bool,

    /// Worker options (when --worker is on).
    #[command(flatten)]
    pub pipeline: PipelineArgs,

    /// Address to listen on. Loopback by default: a sidecar talks over the pod's loopback.
    #[arg(long, env = "GIFTVEC_LISTEN", default_value = "127.0.0.1:7070")]
    pub listen: std::net::SocketAddr,

    /// Serve a non-loopback `--listen` without GIFTVEC_AUTH_TOKEN (refused otherwise): for
    /// a network that is yours alone. Logged as a warning every minute.
    #[arg(long, env = "GIFTVEC_ALLOW_UNAUTHENTICATED")]
    pub allow_unauthenticated: bool,

    /// Bearer token required on every route but the health probes (unset: no auth).
    #[arg(long, env = "GIFTVEC_AUTH_TOKEN", hide_env_values = true, value_parser = parse_secret)]
    pub auth_token: Option<SecretString>,

    /// A second bearer token that opens every tool on this listener, whatever
    /// GIFTVEC_TOOLSETS says (for operators and the eval harness).
    #[arg(long, env = "GIFTVEC_OPS_TOKEN", hide_env_values = true, value_parser = parse_secret)]
    pub ops_token: Option<SecretString>,

    /// Largest request body in bytes.
    #[arg(long, env = "GIFTVEC_MAX_BODY_BYTES", default_value_t = 1_048_576)]
    pub max_body_bytes: usize,

    /// `Host` names served besides loopback names and IP addresses (DNS-rebinding
    /// protection on every route but the probes), comma-separated: exact names
    /// (`giftvec.shop.svc`), suffixes (`.svc.cluster.local`), or `*` for any.
    #[arg(long, env = "GIFTVEC_ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,

    /// Former name of `--allowed-hosts` (it guarded /mcp only); still read, added to it.
    #[arg(
        long,
        env = "GIFTVEC_MCP_ALLOWED_HOSTS",
        value_delimiter = ',',
        hide = true
    )]
    pub mcp_allowed_hosts: Vec<String>,

    /// Origins whose browser pages may call every route, comma-separated (e.g.
    /// `https://ops.example`); pages on loopback origins and the sidecar's own always may,
    /// pages of other origins never.
    #[arg(long, env = "GIFTVEC_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// WebSocket connections to /rpc open at once; past it new ones get 429. They never use
    /// the capacity JSON-RPC over HTTP needs.
    #[arg(long, env = "GIFTVEC_MAX_WS_CONNECTIONS", default_value_t = 64,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_ws_connections: u32,

    /// A WebSocket that sent no request for this long is closed (seconds).
    #[arg(long, env = "GIFTVEC_WS_IDLE_SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub ws_idle_secs: u64,

    /// Longest a client may take to send a request's headers, and then its body (seconds).
    #[arg(long, env = "GIFTVEC_REQUEST_READ_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_read_secs: u64,

    /// How long in-flight calls may run after SIGTERM before the server exits (ms).
    #[arg(long, env = "GIFTVEC_SHUTDOWN_GRACE_MS", default_value_t = 10_000)]
    pub shutdown_grace_ms: u64,

    /// How often database state (queue depth, coverage, storage sizes) is sampled into the
    /// metrics at /metrics (seconds); 0 does not sample (when other processes, e.g. the
    /// workers, export it).
    #[arg(long, env = "GIFTVEC_METRICS_SAMPLE_SECS", default_value_t = 15,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub metrics_sample_secs: u64,

    /// Origins whose web pages may call the widget's routes (similar products, events) from
    /// browsers (CORS), comma-separated, e.g. `https://shop.example`: the "You might also
    /// like" widget's pages. They reach no other route.
    #[arg(long, env = "GIFTVEC_WIDGET_ORIGINS", value_delimiter = ',')]
    pub widget_origins: Vec<String>,

    /// Storage the database may use, in bytes (e.g. its volume's size): exported as
    /// giftvec_storage_limit_bytes so the storage alert can compare the database's size to it.
    #[arg(long, env = "GIFTVEC_STORAGE_LIMIT_BYTES")]
    pub storage_limit_bytes: Option<u64>,

    /// Tool call limits.
    #[command(flatten)]
    pub calls: CallArgs,

    /// The widget key, rate limits per caller and trusted proxies.
    #[command(flatten)]
    pub access: AccessArgs,
}

/// `giftvec migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Move to exactly this version: later migrations are applied, or rolled back (with their
    /// `.down.sql`) when the database is ahead. 0 rolls everything back.
    #[arg(long)]
    pub to: Option<i64>,

    /// Only print applied and pending migrations.
    #[arg(long, conflicts_with = "to")]
    pub status: bool,
}

/// `giftvec import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Catalog file: giftvec's JSON Lines or CSV, or a shop's feed or export.
    pub file: PathBuf,

    /// File format; told from the file's first bytes when left out.
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Columns feeding giftvec's fields when the file names them otherwise:
    /// `title=Name,price=Cost,category=Department` (column names in any case).
    #[arg(long, value_name = "FIELD=COLUMN,...")]
    pub map: Option<String>,

    /// A file of the same `field = column` pairs, one per line (`#` comments).
    #[arg(long, value_name = "FILE")]
    pub map_file: Option<PathBuf>,

    /// The file is the whole catalog: remove stored products it does not list (with their
    /// embeddings and events). Without it they are only reported.
    #[arg(long)]
    pub prune: bool,

    /// Attributes whose values join the embedded (and keyword-indexed) text of every product,
    /// as `key` or `key=Label` (e.g. `brand`, `color=Colour`); adding one re-embeds the
    /// catalog.
    #[arg(long, value_name = "KEY[=LABEL]", value_delimiter = ',')]
    pub text_attribute: Vec<String>,

    /// Rows written per statement.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u16).range(1..=10_000))]
    pub batch_size: u16,

    /// Currency of rows that name none (ISO 4217).
    #[arg(long, env = "GIFTVEC_DEFAULT_CURRENCY", default_value = "USD")]
    pub default_currency: String,
}
