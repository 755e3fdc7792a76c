//! A property-based run over every tool's input schema, through JSON-RPC and MCP (the
//! official Python SDK): Hypothesis draws inputs from each listed input schema and from
//! hostile variants of it (wrong types, control characters, 1 MB text, non-finite and huge
//! numbers, forged cursors, SQL- and tsquery-looking text, deep nesting, unknown fields), and
//! for every one asserts no `internal` code or server error, `/healthz` still answering, and
//! no change to the tables the tools write when the call was refused
//! (tests/fuzz/tool_props.py; bounded and seeded).

use std::path::Path;
use std::process::Command;

use sqlx::PgPool;

use crate::common::url_of;
use crate::server::{TestServer, all_tools};

#[sqlx::test]
async fn no_generated_tool_input_reaches_internal_or_changes_tables_when_refused(pool: PgPool) {
    let database = url_of(&pool);
    let server = TestServer::start(pool, all_tools()).await;
    let python = crate::server::test_python();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/tool_props.py");
    let base = server.url("");
    let run = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .args(["--base", &base, "--database-url", &database])
            .args(["--seed", "20261202", "--max-seconds", "420"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let out = String::from_utf8_lossy(&run.stdout);
    let summary = out.lines().rev().find(|l| l.starts_with("tool-props:"));
    println!("{}", summary.unwrap_or("tool-props: no summary"));
    let tail = crate::common::last_lines(&out, 80);
    assert!(
        run.status.success(),
        "the tool fuzzer found failures:\n{tail}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let summary = summary.expect("the fuzzer prints its summary");
    assert!(
        summary.contains(" 15 tools") && summary.contains(" 0 failures"),
        "{summary}"
    );
}
