//! The binary, as an operator runs it.

use std::process::{Command, Output};

use sqlx::PgPool;

use crate::common::url_of;

fn giftvec(args: &[&str], database_url: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_giftvec"));
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .env("GIFTVEC_LOG", "warn");
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    cmd.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_lists_the_subcommands_and_their_environment() {
    let out = giftvec(&["--help"], None);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for needle in [
        "migrate",
        "import",
        "DATABASE_URL",
        "GIFTVEC_DB_MAX_CONNECTIONS",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
}

#[test]
fn no_database_url_says_what_to_set() {
    let out = giftvec(&["migrate"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("set DATABASE_URL"),
        "{}",
        text(&out.stderr)
    );
}

#[sqlx::test(migrations = false)]
async fn import_refuses_an_unmigrated_database_then_migrate_fixes_it(pool: PgPool) {
    let url = url_of(&pool);
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("c.jsonl");
    std::fs::write(
        &catalog,
        "{\"id\":\"a\",\"title\":\"Mug\",\"category\":\"Coffee\",\"price\":9}\n{\"id\":\"b\"}\n",
    )
    .unwrap();
    let catalog = catalog.to_str().unwrap();

    let out = giftvec(&["import", catalog], Some(&url));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("run `giftvec migrate`"),
        "{}",
        text(&out.stderr)
    );

    let out = giftvec(&["migrate"], Some(&url));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("applied "),
        "{}",
        text(&out.stdout)
    );
    let out = giftvec(&["migrate"], Some(&url));
    assert!(
        text(&out.stdout).starts_with("database schema is up to date"),
        "{}",
        text(&out.stdout)
    );

    let out = giftvec(&["import", catalog], Some(&url));
    assert_eq!(out.status.code(), Some(2), "some rows were rejected");
    assert!(
        text(&out.stdout).contains("2 rows read; 1 inserted, 0 updated, 0 unchanged, 1 rejected"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("line 2: title is required"),
        "{}",
        text(&out.stderr)
    );
}

/// Starts `giftvec serve` on a free loopback port with `env` (stderr piped when `capture`),
/// and waits until it answers; the child and its base URL.
pub(crate) async fn spawn_serve(
    pool: &PgPool,
    env: &[(&str, &str)],
    capture: bool,
) -> (std::process::Child, String) {
    spawn_serve_on(&url_of(pool), env, capture).await
}

/// [`spawn_serve`] on the database at `database_url`.
pub(crate) async fn spawn_serve_on(
    database_url: &str,
    env: &[(&str, &str)],
    capture: bool,
) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_giftvec"));
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", database_url)
        .env("GIFTVEC_LOG", "warn");
    if capture {
        cmd.stderr(std::process::Stdio::piped());
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap();
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(started.elapsed().as_secs() < 60, "the server did not start");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    (child, base)
}

#[sqlx::test]
async fn sigterm_lets_in_flight_calls_finish_then_exits(pool: PgPool) {
    // The call timeout is raised too: on a loaded machine 96 long texts can take over the
    // default 15 s, and this test is about the shutdown grace, not the timeout.
    let (mut child, base) = spawn_serve(
        &pool,
        &[
            ("GIFTVEC_SHUTDOWN_GRACE_MS", "120000"),
            ("GIFTVEC_CALL_TIMEOUT_MS", "120000"),
        ],
        false,
    )
    .await;
    let client = reqwest::Client::new();
    let texts: Vec<String> = (0..96)
        .map(|i| format!("gift idea {i}: a long description ").repeat(12))
        .collect();
    let slow = tokio::spawn({
        let client = client.clone();
        let url = format!("{base}/api/vectors/embed");
        async move {
            client
                .post(url)
                .json(&serde_json::json!({"texts": texts}))
                .send()
                .await
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !slow.is_finished(),
        "the call must still be running when SIGTERM arrives"
    );
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let response = slow.await.unwrap().unwrap();
    assert_eq!(response.status(), 200, "the in-flight call finished");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["embeddings"].as_array().unwrap().len(), 96);
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "exit status {status}");
    assert!(
        client.get(format!("{base}/healthz")).send().await.is_err(),
        "no longer listening"
    );
}

#[sqlx::test]
async fn experiment_report_reads_the_experiments_and_weights_from_the_environment(pool: PgPool) {
    let url = url_of(&pool);
    let experiments = r#"[{"name": "e1", "arms": [
        {"name": "baseline", "share": 1, "strategy": "similarity"},
        {"name": "personalised", "share": 1, "strategy": "personalised"}]}]"#;
    let run = |weights: &str| {
        Command::new(env!("CARGO_BIN_EXE_giftvec"))
            .args(["experiment-report"])
            .env("DATABASE_URL", &url)
            .env("GIFTVEC_LOG", "warn")
            .env("GIFTVEC_EXPERIMENTS", experiments)
            .env("GIFTVEC_RECOMMEND_WEIGHTS", weights)
            .output()
            .unwrap()
    };
    let out = run("context=0.6,popularity=0");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("experiment e1 (baseline baseline)"),
        "{stdout}"
    );
    assert!(stdout.contains("personalised"), "{stdout}");
    assert!(stdout.contains("No significant CTR difference"), "{stdout}");

    let out = run("vibes=1");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("unknown score component \"vibes\""),
        "{}",
        text(&out.stderr)
    );
}

/// Starts `giftvec serve` with `env`, makes two calls, stops it; its stderr.
async fn serve_and_log(pool: &PgPool, env: &[(&str, &str)]) -> String {
    let mut env = env.to_vec();
    env.extend([
        ("GIFTVEC_LOG", "info"),
        ("GIFTVEC_AUTH_TOKEN", "tok-do-not-log-me"),
        ("OPENAI_API_KEY", "sk-do-not-log-me"),
    ]);
    let (child, base) = spawn_serve(pool, &env, true).await;
    let client = reqwest::Client::new();
    for params in [
        serde_json::json!({"query": "my secret gift idea", "limit": 3}),
        serde_json::json!({"query": "tea", "limit": 0}),
    ] {
        client
            .post(format!("{base}/rpc"))
            .bearer_auth("tok-do-not-log-me")
            .json(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "search_products", "params": params}))
            .send()
            .await
            .unwrap();
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    text(&out.stderr)
}

#[sqlx::test]
async fn logs_are_one_json_line_per_call_without_secrets_or_queries(pool: PgPool) {
    let logs = serve_and_log(&pool, &[("GIFTVEC_LOG_FORMAT", "json")]).await;
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let calls: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["tool"] == "search_products")
        .collect();
    assert_eq!(calls.len(), 2, "{logs}");
    let ok = calls[0];
    assert_eq!(
        (
            ok["message"].as_str(),
            ok["transport"].as_str(),
            ok["code"].as_str()
        ),
        (Some("tool call"), Some("jsonrpc"), Some("ok"))
    );
    assert_eq!(ok["result_count"], 0, "an empty catalog");
    assert!(ok["latency_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(ok["call_id"].as_str().unwrap().len(), 16);
    assert_eq!(calls[1]["code"], "invalid_input");
    assert!(
        !logs.contains("my secret gift idea"),
        "queries are redacted by default"
    );
    assert!(!logs.contains("do-not-log-me"), "no secrets in logs");

    let logs = serve_and_log(
        &pool,
        &[
            ("GIFTVEC_LOG_FORMAT", "json"),
            ("GIFTVEC_LOG_QUERIES", "true"),
        ],
    )
    .await;
    assert!(logs.contains("\"query\":\"my secret gift idea\""), "{logs}");
    let text_logs = serve_and_log(&pool, &[("GIFTVEC_LOG_FORMAT", "text")]).await;
    assert!(
        text_logs
            .lines()
            .any(|l| l.contains("tool call") && !l.starts_with('{'))
    );
}

#[sqlx::test]
async fn a_sidecar_with_sampling_off_leaves_database_gauges_to_the_workers(pool: PgPool) {
    let metrics = |base: String| async move {
        reqwest::get(format!("{base}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let (mut sampling, base) =
        spawn_serve(&pool, &[("GIFTVEC_METRICS_SAMPLE_SECS", "1")], false).await;
    let started = std::time::Instant::now();
    while !metrics(base.clone())
        .await
        .contains("giftvec_embedding_coverage_ratio")
    {
        assert!(started.elapsed().as_secs() < 30, "the sampler never ran");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    sampling.kill().unwrap();
    sampling.wait().unwrap();

    let (mut quiet, base) = spawn_serve(
        &pool,
        &[
            ("GIFTVEC_METRICS_SAMPLE_SECS", "0"),
            ("GIFTVEC_SERVE_WORKER", "false"),
        ],
        false,
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let text = metrics(base).await;
    assert!(!text.contains("giftvec_embedding_coverage_ratio"), "{text}");
    assert!(!text.contains("giftvec_embedding_jobs"), "{text}");
    quiet.kill().unwrap();
    quiet.wait().unwrap();
}
