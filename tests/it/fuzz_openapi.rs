//! Schemathesis (the OpenAPI fuzzer, not ours) against `/openapi.json`: every operation,
//! the examples and fuzzing phases with positive and negative data and every check, bounded
//! and seeded (tests/fuzz/schemathesis.toml; tests/fuzz/hooks.py holds the two-field rules
//! JSON Schema cannot state; the coverage phase is left out because it does not apply those
//! filters). Zero failures means no server error, no response outside its schema, and a
//! document that says exactly what the validation accepts.

use std::path::Path;
use std::process::Command;

use sqlx::PgPool;

use crate::server::{TestServer, all_tools};

#[sqlx::test]
async fn schemathesis_finds_nothing_in_the_openapi_document(pool: PgPool) {
    let server = TestServer::start(pool, all_tools()).await;
    let schemathesis = std::env::var("GIFTVEC_TEST_SCHEMATHESIS")
        .expect("run the tests with tools/test, which installs Schemathesis");
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz");
    let url = server.url("/openapi.json");
    let run = tokio::task::spawn_blocking(move || {
        Command::new(schemathesis)
            .arg("--config-file")
            .arg(fuzz.join("schemathesis.toml"))
            .args(["run", &url, "--phases", "examples,fuzzing", "--mode", "all"])
            .env("SCHEMATHESIS_HOOKS", fuzz.join("hooks.py"))
            .env("NO_COLOR", "1")
            .current_dir(&fuzz)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let out = String::from_utf8_lossy(&run.stdout);
    let summary: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("generated") || l.contains("Tested:") || l.contains("passed"))
        .collect();
    println!("schemathesis: {}", summary.join(" | "));
    let tail = crate::common::last_lines(&out, 120);
    assert!(
        run.status.success(),
        "Schemathesis found failures:\n{tail}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        out.contains("Tested: 7"),
        "every operation was tested:\n{tail}"
    );
}
