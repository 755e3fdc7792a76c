//! Prometheus metrics: the names giftvec exports ([`names`]), the process-wide recorder, the
//! text rendered at `GET /metrics`, and the sampler that turns database state (queue depth,
//! coverage, storage) into gauges on an interval — never per request; and [`cpu`], processes'
//! CPU time from `/proc` for the load tool.
//!
//! Calls record through the `metrics` facade anywhere in the crate; the recorder is installed
//! once per process by [`handle`] (the HTTP router does it at start).

pub mod cpu;
pub mod names;
mod sampler;
mod zero;

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::app::App;
use crate::embed::CircuitState;

pub use sampler::{sample, spawn_sampler};
pub use zero::zero_counters;

/// Histogram buckets of every `_seconds` metric: fine from 1 to 100 ms, where tool calls live.
pub const LATENCY_BUCKETS: [f64; 18] = [
    0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 0.5,
    1.0, 2.5, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide recorder's handle, installing the recorder on first use.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &LATENCY_BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Only fails when another recorder is installed (an embedding program's own).
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
        }
        names::describe();
        metrics::gauge!(names::BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        handle
    })
}

/// Exports the storage the database may use (`GIFTVEC_STORAGE_LIMIT_BYTES`), which the storage
/// alert compares the database's size with.
pub fn set_storage_limit(bytes: u64) {
    handle();
    metrics::gauge!(names::STORAGE_LIMIT).set(bytes as f64);
}

/// The exposition text: in-process gauges refreshed, then everything recorded.
pub fn render(app: &App) -> String {
    let handle = handle();
    refresh(app);
    handle.render()
}

/// Gauges read from memory at scrape time (cheap): circuit state and pool use.
fn refresh(app: &App) {
    let state = match app.embedder.circuit() {
        CircuitState::Closed => 0.0,
        CircuitState::HalfOpen => 1.0,
        CircuitState::Open => 2.0,
    };
    let model = app.model.name.clone();
    metrics::gauge!(names::CIRCUIT_STATE, "model" => model).set(state);
    let mut pools = vec![("interactive", &app.db), ("heavy", &app.heavy)];
    if app.has_replica {
        pools.push(("read", &app.read));
    }
    for (name, db) in pools {
        let pool = db.pool();
        let size = f64::from(pool.size());
        let idle = pool.num_idle() as f64;
        let max = f64::from(pool.options().get_max_connections());
        for (state, value) in [("in_use", size - idle), ("idle", idle), ("max", max)] {
            metrics::gauge!(names::DB_POOL_CONNECTIONS, "pool" => name, "state" => state)
                .set(value);
        }
    }
}
