//! `GET /metrics` after a workload: the exposition parses (and passes `promtool check
//! metrics`), every family the issue asks for is there with the labels operators filter by,
//! and the counters move with the calls.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use giftvec::observe::names;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::server::TestServer;

/// One sample: name, labels, value.
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Parses the text exposition format (the subset the exporter writes).
pub fn parse(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("name value");
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => (name, rest.trim_end_matches('}')),
            None => (series, ""),
        };
        let mut map = BTreeMap::new();
        // Label values here never hold commas or escaped quotes.
        for pair in labels.split(',').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').expect("label=value");
            map.insert(k.to_string(), v.trim_matches('"').to_string());
        }
        out.push(Sample {
            name: name.to_string(),
            labels: map,
            value: value.parse().expect("a number"),
        });
    }
    out
}

/// The value of the one sample of `name` whose labels include `want` (0 when absent).
pub fn value(samples: &[Sample], name: &str, want: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            want.iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

pub async fn scrape(server: &TestServer) -> String {
    let response = reqwest::get(server.url("/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    response.text().await.unwrap()
}

async fn rpc(server: &TestServer, method: &str, params: Value) -> Value {
    crate::common::rpc_at(&server.url("/rpc"), method, params).await
}

#[sqlx::test]
async fn metrics_are_exported_and_move_with_the_workload(pool: PgPool) {
    let server = TestServer::start(pool, crate::server::all_tools()).await;
    let before = parse(&scrape(&server).await);
    let calls = |s: &[Sample], tool: &str, code: &str| {
        value(
            s,
            names::TOOL_CALLS,
            &[("tool", tool), ("transport", "jsonrpc"), ("code", code)],
        )
    };

    for query in ["gift for a coffee lover", "yoga mat", "fishing"] {
        rpc(
            &server,
            "search_products",
            json!({"query": query, "limit": 3}),
        )
        .await;
    }
    rpc(
        &server,
        "search_products",
        json!({"query": "zzqx vrrbl", "mode": "keyword"}),
    )
    .await;
    rpc(
        &server,
        "search_products",
        json!({"query": "tea", "limit": 0}),
    )
    .await;
    rpc(
        &server,
        "similar_products",
        json!({"product_id": "fishing-002"}),
    )
    .await;
    rpc(
        &server,
        "embed_text",
        json!({"texts": ["a brand new text for the provider"]}),
    )
    .await;
    rpc(
        &server,
        "recommend_gifts",
        json!({"context": "dad who loves fishing", "limit": 3}),
    )
    .await;
    giftvec::observe::sample(&server.app).await.unwrap();

    let text = scrape(&server).await;
    let after = parse(&text);
    assert!(
        calls(&after, "search_products", "ok") >= calls(&before, "search_products", "ok") + 4.0
    );
    assert!(
        calls(&after, "search_products", "invalid_input")
            >= calls(&before, "search_products", "invalid_input") + 1.0
    );
    assert!(calls(&after, "recommend_gifts", "ok") >= 1.0);
    // Latency histograms resolve 1-100 ms.
    let buckets: Vec<&str> = after
        .iter()
        .filter(|s| {
            s.name == format!("{}_bucket", names::TOOL_CALL_DURATION)
                && s.labels.get("tool").map(String::as_str) == Some("similar_products")
        })
        .map(|s| s.labels["le"].as_str())
        .collect();
    for le in ["0.001", "0.005", "0.01", "0.05", "0.1"] {
        assert!(buckets.contains(&le), "bucket {le} missing: {buckets:?}");
    }
    let model = server.app.model.name.as_str();
    let local = [("model", model), ("provider", "local")];
    assert!(
        value(&after, names::EMBEDDING_REQUESTS, &local)
            > value(&before, names::EMBEDDING_REQUESTS, &local)
    );
    assert!(value(&after, names::EMBEDDING_TOKENS, &local) > 0.0);
    assert!(
        value(
            &after,
            names::CACHE_REQUESTS,
            &[("level", "l1"), ("result", "miss")]
        ) > 0.0
    );
    assert!(value(&after, names::SEARCH_ZERO_RESULTS, &[("mode", "keyword")]) >= 1.0);
    assert_eq!(
        value(&after, names::CIRCUIT_STATE, &[("model", model)]),
        0.0
    );
    assert_eq!(value(&after, names::COVERAGE, &[("model", model)]), 1.0);
    for state in ["pending", "running", "failed", "dead"] {
        assert!(
            after.iter().any(|s| s.name == names::JOBS
                && s.labels.get("state").map(String::as_str) == Some(state)),
            "jobs {state}"
        );
    }
    assert!(value(&after, names::TABLE_BYTES, &[("table", "products")]) > 8192.0);
    assert!(
        value(
            &after,
            names::TABLE_BYTES,
            &[("table", "product_embeddings")]
        ) > 8192.0
    );
    assert!(after.iter().any(|s| s.name == names::INDEX_BYTES
        && s.labels.get("index").is_some_and(|i| i.contains("hnsw"))));
    assert!(value(&after, names::DATABASE_BYTES, &[]) > 1e6);
    assert!(
        value(
            &after,
            names::DB_POOL_CONNECTIONS,
            &[("pool", "interactive"), ("state", "max")]
        ) >= 1.0
    );

    // Prometheus' own linter accepts the exposition.
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus; tools/test installs it)");
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = promtool.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The `giftvec_…` metric names in `text`.
fn metric_names(text: &str) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("giftvec_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        out.insert(tail[..end].to_string());
        rest = &tail[end..];
    }
    out
}

#[sqlx::test]
async fn the_dashboard_and_the_alerts_query_only_exported_metrics(pool: PgPool) {
    use giftvec::app::App;
    use giftvec::embed::Embedder;
    use giftvec::tools::Tool;
    use giftvec::tools::search_products::SearchProducts;

    let server = TestServer::start(pool.clone(), crate::server::all_tools()).await;
    rpc(
        &server,
        "search_products",
        json!({"query": "tea", "limit": 3}),
    )
    .await;
    rpc(
        &server,
        "search_products",
        json!({"query": "zzqx", "mode": "keyword"}),
    )
    .await;
    rpc(
        &server,
        "embed_text",
        json!({"texts": ["a text nobody embedded before"]}),
    )
    .await;
    // An embedder that is down, with a daily budget: failures, a degraded search, the budget.
    let fake = crate::fake_openai::Fake::start(4).await;
    let mut settings = fake.settings(4);
    settings.budget.daily_usd = Some(5.0);
    let broken = App::with_embedder(
        pool.clone(),
        Embedder::new(&settings, Some(pool.clone().into())).unwrap(),
    )
    .await
    .unwrap();
    drop(fake);
    let degraded = SearchProducts::call(
        &broken,
        serde_json::from_value(json!({"query": "espresso gift"})).unwrap(),
    )
    .await
    .unwrap();
    assert!(degraded.degraded);
    giftvec::observe::sample(&broken).await.unwrap();
    giftvec::observe::sample(&server.app).await.unwrap();
    giftvec::observe::set_storage_limit(1 << 40);

    let exported = metric_names(&scrape(&server).await);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("deploy/grafana/giftvec-dashboard.json")).unwrap(),
    )
    .unwrap();
    let mut exprs = String::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            exprs.push_str(target["expr"].as_str().unwrap());
            exprs.push('\n');
        }
    }
    for variable in dashboard["templating"]["list"].as_array().unwrap() {
        exprs.push_str(variable["query"].as_str().unwrap_or_default());
    }
    let queried = metric_names(&exprs);
    assert!(queried.len() >= 15, "{queried:?}");
    let missing: Vec<&String> = queried.difference(&exported).collect();
    assert!(
        missing.is_empty(),
        "the dashboard queries metrics /metrics does not export: {missing:?}"
    );

    let rules = std::fs::read_to_string(root.join("deploy/prometheus/giftvec-rules.yml")).unwrap();
    let rule_metrics: std::collections::BTreeSet<String> = metric_names(&rules)
        .into_iter()
        .filter(|n| !n.starts_with("giftvec_rules"))
        .collect();
    let missing: Vec<&String> = rule_metrics.difference(&exported).collect();
    assert!(
        missing.is_empty(),
        "the alerts query metrics /metrics does not export: {missing:?}"
    );
}
