//! Counters exported at 0 from the start. A Prometheus counter that first appears at its first
//! event reads "no data" on a panel until then, and `rate()` cannot see that first increase,
//! so an alert on a rare error could never fire. Every counter a dashboard panel or an alert
//! reads is registered here, with the label values known at start.

use super::names;

/// The transports a tool call is counted under.
const TRANSPORTS: [&str; 3] = ["mcp", "jsonrpc", "rest"];

/// Result codes the dashboard and the alerts read: `ok`, the codes `GiftvecHighErrorRate`
/// counts as errors, and `rate_limited` (`GiftvecCallersRateLimited`). The caller's own
/// mistakes (`invalid_input`, `not_found`) appear when they happen.
const CODES: [&str; 8] = [
    "ok",
    "internal",
    "upstream_unavailable",
    "timeout",
    "busy",
    "budget_exceeded",
    "not_ready",
    "rate_limited",
];

/// Why an embedding provider call failed (`ProviderError::kind`, plus the open breaker).
const EMBEDDING_FAILURE_REASONS: [&str; 9] = [
    "circuit_open",
    "rate_limited",
    "server_error",
    "timeout",
    "unreachable",
    "invalid_response",
    "unauthorized",
    "rejected",
    "local_model",
];

/// Search modes (`search_products`'s `mode`).
const SEARCH_MODES: [&str; 3] = ["keyword", "semantic", "hybrid"];

/// Registers, at 0, the counters for `tools` on every transport and for the active embedding
/// `model` of `provider`.
pub fn zero_counters<'a>(model: &str, provider: &str, tools: impl IntoIterator<Item = &'a str>) {
    for tool in tools {
        for transport in TRANSPORTS {
            for code in CODES {
                metrics::counter!(names::TOOL_CALLS, "tool" => tool.to_string(),
                    "transport" => transport, "code" => code)
                .increment(0);
            }
        }
    }
    let labels = [
        ("model", model.to_string()),
        ("provider", provider.to_string()),
    ];
    metrics::counter!(names::EMBEDDING_REQUESTS, &labels).increment(0);
    metrics::counter!(names::EMBEDDING_TOKENS, &labels).increment(0);
    for reason in EMBEDDING_FAILURE_REASONS {
        metrics::counter!(names::EMBEDDING_FAILURES, "model" => model.to_string(),
            "provider" => provider.to_string(), "reason" => reason)
        .increment(0);
    }
    for level in ["l1", "l2", "result"] {
        for result in ["hit", "miss"] {
            metrics::counter!(names::CACHE_REQUESTS, "level" => level, "result" => result)
                .increment(0);
        }
    }
    metrics::counter!(names::SEARCH_DEGRADED).increment(0);
    for mode in SEARCH_MODES {
        metrics::counter!(names::SEARCH_ZERO_RESULTS, "mode" => mode).increment(0);
    }
    metrics::counter!(names::SAMPLE_FAILURES).increment(0);
}

#[cfg(test)]
mod tests {
    use metrics_exporter_prometheus::PrometheusBuilder;

    use super::*;

    /// The value of the series `name` whose labels include `labels`, from exposition text.
    fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        text.lines().find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let bare = series.split('{').next()?;
            let matches = bare == name
                && labels
                    .iter()
                    .all(|(k, v)| series.contains(&format!("{k}=\"{v}\"")));
            matches.then(|| value.parse().ok()).flatten()
        })
    }

    #[test]
    fn every_counter_a_panel_or_alert_reads_starts_at_zero() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            zero_counters(
                "all-MiniLM-L6-v2",
                "local",
                ["search_products", "similar_products"],
            )
        });
        let text = handle.render();
        let expect = [
            (
                names::TOOL_CALLS,
                vec![
                    ("tool", "similar_products"),
                    ("transport", "rest"),
                    ("code", "ok"),
                ],
            ),
            (
                names::TOOL_CALLS,
                vec![
                    ("tool", "search_products"),
                    ("transport", "mcp"),
                    ("code", "internal"),
                ],
            ),
            (
                names::TOOL_CALLS,
                vec![("transport", "jsonrpc"), ("code", "rate_limited")],
            ),
            (
                names::EMBEDDING_REQUESTS,
                vec![("model", "all-MiniLM-L6-v2"), ("provider", "local")],
            ),
            (names::EMBEDDING_TOKENS, vec![("provider", "local")]),
            (names::EMBEDDING_FAILURES, vec![("reason", "unreachable")]),
            (
                names::CACHE_REQUESTS,
                vec![("level", "result"), ("result", "miss")],
            ),
            (names::SEARCH_DEGRADED, vec![]),
            (names::SEARCH_ZERO_RESULTS, vec![("mode", "hybrid")]),
            (names::SAMPLE_FAILURES, vec![]),
        ];
        for (name, labels) in expect {
            assert_eq!(
                value(&text, name, &labels),
                Some(0.0),
                "{name} {labels:?} in:\n{text}"
            );
        }
        assert_eq!(
            value(&text, names::TOOL_CALLS, &[("tool", "embed_text")]),
            None
        );
    }
}
