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

#[sqlx::test]
async fn sigterm_lets_in_flight_calls_finish_then_exits(pool: PgPool) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_giftvec"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", url_of(&pool))
        .env("GIFTVEC_LOG", "warn")
        .env("GIFTVEC_SHUTDOWN_GRACE_MS", "120000")
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(started.elapsed().as_secs() < 60, "the server did not start");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
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
