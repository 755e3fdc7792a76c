//! Every metric giftvec exports: Prometheus conventions (`giftvec_` prefix, base units,
//! `_seconds`, `_bytes`, `_total` for counters). The Grafana dashboard and the alert rules
//! query these names; a test checks that each one they use is exported after a workload.

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};

/// Tool call latency, by `tool` and `transport` (histogram).
pub const TOOL_CALL_DURATION: &str = "giftvec_tool_call_duration_seconds";
/// Tool calls, by `tool`, `transport` and `code` (`ok` or the stable error code).
pub const TOOL_CALLS: &str = "giftvec_tool_calls_total";
/// Embedding provider requests, by `model` and `provider`.
pub const EMBEDDING_REQUESTS: &str = "giftvec_embedding_requests_total";
/// Embedding provider request latency, by `model` and `provider` (histogram).
pub const EMBEDDING_REQUEST_DURATION: &str = "giftvec_embedding_request_duration_seconds";
/// Tokens sent to the embedding provider, by `model` and `provider`.
pub const EMBEDDING_TOKENS: &str = "giftvec_embedding_tokens_total";
/// Embedding spend in US dollars since the process started, by `model` and `provider` (a
/// gauge that only grows: the exporter's counters are integers).
pub const EMBEDDING_COST: &str = "giftvec_embedding_cost_usd";
/// Failed embedding provider requests, by `model`, `provider` and `reason`.
pub const EMBEDDING_FAILURES: &str = "giftvec_embedding_failures_total";
/// Cache lookups, by `level` (`l1`, `l2` embeddings; `result` tool results) and `result`.
pub const CACHE_REQUESTS: &str = "giftvec_cache_requests_total";
/// The embedder's circuit breaker: 0 closed, 1 half-open, 2 open, by `model`.
pub const CIRCUIT_STATE: &str = "giftvec_embedding_circuit_state";
/// Embedding jobs by `model` and `state` (pending, running, failed, dead), sampled.
pub const JOBS: &str = "giftvec_embedding_jobs";
/// Age of the oldest pending embedding job, by `model`, sampled (0 when none).
pub const OLDEST_PENDING: &str = "giftvec_embedding_oldest_pending_age_seconds";
/// Share of products with a current embedding, by `model` (0 to 1), sampled.
pub const COVERAGE: &str = "giftvec_embedding_coverage_ratio";
/// Embedding spend today (UTC) across models, sampled.
pub const SPENT_TODAY: &str = "giftvec_embedding_spent_today_usd";
/// The daily embedding budget (absent when unlimited).
pub const DAILY_BUDGET: &str = "giftvec_embedding_daily_budget_usd";
/// Database pool connections, by `pool` (interactive, heavy, and read with a replica) and
/// `state` (in_use, idle, max).
pub const DB_POOL_CONNECTIONS: &str = "giftvec_db_pool_connections";
/// Size of a table with its TOAST data, by `table`, sampled.
pub const TABLE_BYTES: &str = "giftvec_table_bytes";
/// Size of an index, by `index` and `table`, sampled.
pub const INDEX_BYTES: &str = "giftvec_index_bytes";
/// Size of the whole database, sampled.
pub const DATABASE_BYTES: &str = "giftvec_database_bytes";
/// The storage the database may use (GIFTVEC_STORAGE_LIMIT_BYTES; absent when not set).
pub const STORAGE_LIMIT: &str = "giftvec_storage_limit_bytes";
/// Searches answered from keyword results because the embedder was unavailable.
pub const SEARCH_DEGRADED: &str = "giftvec_search_degraded_total";
/// Searches that found nothing, by `mode`.
pub const SEARCH_ZERO_RESULTS: &str = "giftvec_search_zero_results_total";
/// Samples of database state that failed.
pub const SAMPLE_FAILURES: &str = "giftvec_metrics_sample_failures_total";
/// Always 1, with the `version` label.
pub const BUILD_INFO: &str = "giftvec_build_info";

/// Registers help text and units.
pub(super) fn describe() {
    describe_histogram!(
        TOOL_CALL_DURATION,
        Unit::Seconds,
        "Tool call latency by tool and transport."
    );
    describe_counter!(
        TOOL_CALLS,
        "Tool calls by tool, transport and result code (ok or the error code)."
    );
    describe_counter!(
        EMBEDDING_REQUESTS,
        "Embedding provider requests by model and provider."
    );
    describe_histogram!(
        EMBEDDING_REQUEST_DURATION,
        Unit::Seconds,
        "Embedding provider request latency."
    );
    describe_counter!(EMBEDDING_TOKENS, "Tokens sent to the embedding provider.");
    describe_gauge!(
        EMBEDDING_COST,
        "Embedding spend in US dollars since the process started."
    );
    describe_counter!(
        EMBEDDING_FAILURES,
        "Failed embedding provider requests by reason."
    );
    describe_counter!(
        CACHE_REQUESTS,
        "Cache lookups by level and result (hit or miss)."
    );
    describe_gauge!(
        CIRCUIT_STATE,
        "Embedder circuit breaker: 0 closed, 1 half-open, 2 open."
    );
    describe_gauge!(JOBS, "Embedding jobs by model and state.");
    describe_gauge!(
        OLDEST_PENDING,
        Unit::Seconds,
        "Age of the oldest pending embedding job."
    );
    describe_gauge!(
        COVERAGE,
        "Share of products with a current embedding (0 to 1)."
    );
    describe_gauge!(SPENT_TODAY, "Embedding spend today (UTC) in US dollars.");
    describe_gauge!(DAILY_BUDGET, "Daily embedding budget in US dollars.");
    describe_gauge!(
        DB_POOL_CONNECTIONS,
        "Database pool connections by pool and state."
    );
    describe_gauge!(TABLE_BYTES, Unit::Bytes, "Table size with TOAST data.");
    describe_gauge!(INDEX_BYTES, Unit::Bytes, "Index size.");
    describe_gauge!(DATABASE_BYTES, Unit::Bytes, "Database size.");
    describe_counter!(
        SEARCH_DEGRADED,
        "Searches answered by keyword because embeddings were unavailable."
    );
    describe_counter!(SEARCH_ZERO_RESULTS, "Searches with no result, by mode.");
    describe_counter!(SAMPLE_FAILURES, "Failed samples of database state.");
    describe_gauge!(BUILD_INFO, "Build information (always 1).");
}
