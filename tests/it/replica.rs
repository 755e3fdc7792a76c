//! DATABASE_READ_URL against a real streaming replica (tools/pgpair: a primary and a hot
//! standby from the same embedded build): the read-only tools read through the replica, see
//! the primary's writes once replayed, and keep answering when the primary is stopped.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A primary and its replica, stopped and deleted on drop.
struct Pair {
    dir: PathBuf,
    primary: String,
    replica: String,
}

fn pgpair(args: &[&str]) -> std::process::Output {
    Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tools/pgpair"))
        .args(args)
        .output()
        .unwrap()
}

impl Pair {
    fn start() -> Self {
        let base = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/tmp"));
        std::fs::create_dir_all(&base).unwrap();
        let dir = base.join(format!("pgpair-{}", std::process::id()));
        let out = pgpair(&["start", dir.to_str().unwrap()]);
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        let url = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .unwrap_or_else(|| panic!("no {key} in {text}"))
                .to_string()
        };
        Self {
            primary: url("PRIMARY="),
            replica: url("REPLICA="),
            dir,
        }
    }

    fn stop_primary(&self) {
        assert!(
            pgpair(&["stop-primary", self.dir.to_str().unwrap()])
                .status
                .success()
        );
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        pgpair(&["stop", self.dir.to_str().unwrap()]);
    }
}

fn giftvec(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_giftvec"));
    cmd.args(args).env("GIFTVEC_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success() || args[0] == "doctor",
        "{args:?}: {out:?}"
    );
    out
}

async fn rpc(base: &str, method: &str, params: Value) -> Value {
    crate::common::rpc_at(&format!("{base}/rpc"), method, params).await
}

/// Polls `check` every 100 ms until it holds; fails after 30 s.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{what}: not within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn ids(answer: &Value) -> Vec<String> {
    answer["result"]["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {answer}"))
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_tools_use_the_replica_and_outlive_the_primary() {
    let pair = Pair::start();
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("c.jsonl");
    std::fs::write(
        &catalog,
        "{\"id\":\"mug\",\"title\":\"Espresso cups\",\"category\":\"Coffee\",\"price\":19}\n\
         {\"id\":\"grinder\",\"title\":\"Hand coffee grinder\",\"category\":\"Coffee\",\"price\":45}\n\
         {\"id\":\"trowel\",\"title\":\"Garden trowel set\",\"category\":\"Garden\",\"price\":24}\n",
    )
    .unwrap();
    let primary = [("DATABASE_URL", pair.primary.as_str())];
    giftvec(&["migrate"], &primary);
    giftvec(&["import", catalog.to_str().unwrap()], &primary);
    giftvec(&["backfill"], &primary);

    let both = [
        ("DATABASE_URL", pair.primary.as_str()),
        ("DATABASE_READ_URL", pair.replica.as_str()),
    ];
    let out = giftvec(&["doctor", "--skip", "embedder"], &both);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    assert!(report.contains("streaming replica"), "{report}");

    let (server, base) = crate::cli::spawn_serve_on(
        &pair.primary,
        &[
            ("DATABASE_READ_URL", pair.replica.as_str()),
            ("GIFTVEC_RESULT_CACHE_SIZE", "0"),
            ("GIFTVEC_DB_ACQUIRE_TIMEOUT_MS", "1000"),
            // The primary is stopped on purpose below: its retries are expected.
            ("GIFTVEC_LOG", "error"),
        ],
        false,
    )
    .await;
    let _server = KillOnDrop(server);
    // The replica's pool is exported beside the primary's.
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"giftvec_db_pool_connections{pool="read""#),
        "{metrics}"
    );

    // Written on the primary, replayed on the replica, answered from it.
    eventually("the catalog reaches the replica", || async {
        rpc(
            &base,
            "similar_products",
            json!({"product_id": "mug", "limit": 5}),
        )
        .await
        .get("result")
        .is_some()
    })
    .await;
    let similar = rpc(
        &base,
        "similar_products",
        json!({"product_id": "mug", "limit": 5}),
    )
    .await;
    assert_eq!(ids(&similar)[0], "grinder", "{similar}");

    // A new product, written and embedded on the primary (the server's worker), becomes
    // searchable through the replica after catch-up.
    std::fs::write(
        &catalog,
        "{\"id\":\"kettle\",\"title\":\"Gooseneck coffee kettle\",\"category\":\"Coffee\",\"price\":39}\n",
    )
    .unwrap();
    giftvec(&["import", catalog.to_str().unwrap()], &primary);
    eventually("the new product is embedded and replayed", || async {
        let answer = rpc(&base, "similar_products", json!({"product_id": "kettle"})).await;
        answer.get("result").is_some()
    })
    .await;

    pair.stop_primary();
    let ready = reqwest::get(format!("{base}/readyz")).await.unwrap();
    let status = ready.status();
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["degraded"], json!(true), "{ready}");
    assert_eq!(ready["checks"]["replica"], json!("ok"), "{ready}");

    let search = rpc(
        &base,
        "search_products",
        json!({"query": "coffee", "limit": 5}),
    )
    .await;
    let found = ids(&search);
    assert!(found.contains(&"kettle".to_string()), "{search}");
    // The three coffee products rank above the garden trowel.
    assert!(found[..3].iter().all(|id| id != "trowel"), "{search}");
    let similar = rpc(
        &base,
        "similar_products",
        json!({"product_id": "kettle", "limit": 3}),
    )
    .await;
    assert_eq!(ids(&similar).len(), 3, "{similar}");
    let product = rpc(&base, "get_product", json!({"product_id": "trowel"})).await;
    assert!(product.get("result").is_some(), "{product}");

    // A write needs the primary: it fails within the acquire timeout, saying the database
    // cannot be reached (not that giftvec is busy).
    let write = rpc(
        &base,
        "record_event",
        json!({"user_id": "u1", "product_id": "mug", "kind": "click"}),
    )
    .await;
    assert_eq!(
        write["error"]["data"]["code"], "upstream_unavailable",
        "{write}"
    );
    assert!(
        write["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot be reached"),
        "{write}"
    );
}

/// Stops the server however the test ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
