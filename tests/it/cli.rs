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
