//! `giftvec doctor` against a good database, one whose server offers no pgvector, and an
//! unmigrated one; `giftvec healthcheck` against a running server and a closed port.

use std::process::{Command, Output};

use sqlx::PgPool;

use crate::common::url_of;

fn giftvec(args: &[&str], database_url: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_giftvec"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("DATABASE_READ_URL")
        .env_remove("GIFTVEC_REDIS_URL")
        .env("GIFTVEC_LOG", "warn")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The report line of check `name` (its first line).
fn line<'a>(report: &'a str, name: &str) -> &'a str {
    report
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(name))
        .unwrap_or_else(|| panic!("no {name} line in:\n{report}"))
}

#[sqlx::test(migrations = false)]
async fn a_good_database_passes_every_check(pool: PgPool) {
    let url = url_of(&pool);
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("c.jsonl");
    std::fs::write(
        &catalog,
        "{\"id\":\"a\",\"title\":\"Espresso cups\",\"category\":\"Coffee\",\"price\":19}\n\
         {\"id\":\"b\",\"title\":\"Trowel set\",\"category\":\"Garden\",\"price\":24}\n",
    )
    .unwrap();
    for args in [
        vec!["migrate"],
        vec!["import", catalog.to_str().unwrap()],
        vec!["backfill"],
    ] {
        let out = giftvec(&args, &url);
        assert!(out.status.success(), "{args:?}: {out:?}");
    }
    let out = giftvec(&["doctor"], &url);
    let report = stdout(&out);
    assert!(out.status.success(), "{report}");
    assert!(line(&report, "postgresql").starts_with("ok"), "{report}");
    assert!(
        line(&report, "postgresql").contains("PostgreSQL 18"),
        "{report}"
    );
    assert!(
        line(&report, "pgvector").contains("pgvector 0.8"),
        "{report}"
    );
    assert!(line(&report, "migrations").starts_with("ok"), "{report}");
    let coverage = line(&report, "coverage");
    assert!(
        coverage.starts_with("ok") && coverage.contains("2 of 2 products"),
        "{report}"
    );
    let index = line(&report, "index");
    assert!(
        index.starts_with("ok") && index.contains("valid"),
        "{report}"
    );
    assert!(index.contains("ef_search 100"), "{report}");
    assert!(line(&report, "embedder").starts_with("ok"), "{report}");
    let connections = line(&report, "connections");
    assert!(
        connections.starts_with("ok") && connections.contains("direct to PostgreSQL"),
        "{report}"
    );
    assert!(report.contains("all 9 checks passed"), "{report}");

    // A stale product is a warning, not a failure: the sidecar still serves.
    sqlx::query("UPDATE products SET title = 'Espresso cup set' WHERE id = 'a'")
        .execute(&pool)
        .await
        .unwrap();
    let out = giftvec(&["doctor", "--skip", "embedder"], &url);
    let report = stdout(&out);
    assert!(out.status.success(), "{report}");
    let coverage = line(&report, "coverage");
    assert!(
        coverage.starts_with("warn") && coverage.contains("1 of 2"),
        "{report}"
    );
    assert!(report.contains("fix: a running worker"), "{report}");

    // An index left INVALID by an interrupted concurrent build fails, with the way out.
    sqlx::query(
        "UPDATE pg_index SET indisvalid = false
         WHERE indexrelid = (SELECT oid FROM pg_class
                             WHERE relname = giftvec_model_index_name('all-MiniLM-L6-v2'))",
    )
    .execute(&pool)
    .await
    .unwrap();
    let out = giftvec(&["doctor", "--skip", "embedder"], &url);
    let report = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(line(&report, "index").starts_with("FAIL"), "{report}");
    assert!(report.contains("DROP INDEX CONCURRENTLY"), "{report}");
}

#[sqlx::test(migrations = false)]
async fn an_unmigrated_database_fails_and_names_giftvec_migrate(pool: PgPool) {
    let out = giftvec(&["doctor", "--skip", "embedder"], &url_of(&pool));
    let report = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(line(&report, "postgresql").starts_with("ok"), "{report}");
    let pgvector = line(&report, "pgvector");
    assert!(
        pgvector.starts_with("FAIL") && pgvector.contains("not created"),
        "{report}"
    );
    let migrations = line(&report, "migrations");
    assert!(migrations.starts_with("FAIL"), "{report}");
    assert!(
        migrations.contains("14 of 14") || migrations.contains("not applied"),
        "{report}"
    );
    assert!(report.contains("fix: run giftvec migrate"), "{report}");
}

#[sqlx::test(migrations = false)]
async fn a_server_without_pgvector_fails_with_how_to_install_it(pool: PgPool) {
    // PostgreSQL 18 looks for extensions along extension_control_path: an empty directory
    // gives a server that offers no pgvector at all.
    let empty = tempfile::tempdir().unwrap();
    let url = format!(
        "{}?options=-c%20extension_control_path%3D{}",
        url_of(&pool),
        empty.path().display()
    );
    let out = giftvec(&["doctor", "--skip", "embedder"], &url);
    let report = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    let pgvector = line(&report, "pgvector");
    assert!(
        pgvector.starts_with("FAIL") && pgvector.contains("not installed"),
        "{report}"
    );
    assert!(report.contains("install pgvector >= 0.8"), "{report}");
}

#[test]
fn doctor_without_a_database_url_says_what_to_set() {
    let out = Command::new(env!("CARGO_BIN_EXE_giftvec"))
        .args(["doctor", "--skip", "embedder,redis"])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let report = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        line(&report, "database").contains("DATABASE_URL is not set"),
        "{report}"
    );
}

#[sqlx::test]
async fn healthcheck_passes_against_a_serving_sidecar_and_fails_on_a_closed_port(pool: PgPool) {
    let (mut child, base) = crate::cli::spawn_serve(&pool, &[], false).await;
    let listen = base.trim_start_matches("http://");
    let probe = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_giftvec"))
            .arg("healthcheck")
            .args(args)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap()
    };
    assert!(probe(&["--listen", listen]).status.success());
    assert!(probe(&["--listen", listen, "--ready"]).status.success());
    // The container's default: GIFTVEC_LISTEN, which may be the unspecified address.
    let port = listen.rsplit(':').next().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_giftvec"))
        .arg("healthcheck")
        .env("GIFTVEC_LISTEN", format!("0.0.0.0:{port}"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    child.kill().unwrap();
    child.wait().unwrap();
    let out = probe(&["--listen", listen, "--timeout-ms", "1000"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Connection refused"),
        "{out:?}"
    );
}

#[sqlx::test]
async fn redis_is_pinged_when_configured(pool: PgPool) {
    let mut redis = crate::redis_server::RedisServer::start();
    let doctor = |url: &str| {
        Command::new(env!("CARGO_BIN_EXE_giftvec"))
            .args(["doctor", "--skip", "embedder"])
            .env("DATABASE_URL", url_of(&pool))
            .env("GIFTVEC_REDIS_URL", url)
            .env_remove("DATABASE_READ_URL")
            .env("GIFTVEC_LOG", "warn")
            .output()
            .unwrap()
    };
    let out = doctor(&redis.url());
    let report = stdout(&out);
    assert!(
        line(&report, "redis").starts_with("ok") && report.contains("PONG"),
        "{report}"
    );
    let url = redis.url();
    redis.stop();
    let out = doctor(&url);
    let report = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(line(&report, "redis").starts_with("FAIL"), "{report}");
    assert!(report.contains("giftvec serves without it"), "{report}");
}
