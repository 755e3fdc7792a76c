//! giftvec behind a real PgBouncer in transaction mode (`GIFTVEC_DB_POOLER=transaction`):
//! Debian's 1.18, which passes named prepared statements through to whichever server
//! connection a transaction lands on, and 1.24 with and without `max_prepared_statements`.
//! Every tool answers through the pooler exactly as it does on a direct connection, with
//! more client connections than server connections; a pooler restart is an
//! `upstream_unavailable` for the calls meanwhile, and giftvec recovers without a restart.

use std::time::Duration;

use giftvec::app::App;
use giftvec::store::{self, DbSettings, Pooler, Route};
use giftvec::tools::result_cache::ResultCache;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::rpc_at;
use crate::embed_local::local_settings;
use crate::pgbouncer::{Build, PgBouncer};
use crate::server::{TestServer, all_tools, seed};

/// Database settings for `url`, the way `giftvec serve` would take them from the environment.
fn settings(url: String, pooler: Pooler) -> DbSettings {
    DbSettings {
        url: url.into(),
        // More client connections than PgBouncer's server connections (3).
        max_connections: 8,
        heavy_connections: 2,
        acquire_timeout: Duration::from_secs(2),
        statement_timeout: Duration::from_secs(30),
        client_check_interval: Duration::from_secs(1),
        hnsw_ef_search: 100,
        read_url: None,
        pooler,
        direct_url: None,
    }
}

/// An app whose pools reach the database through `bouncer`.
async fn pooled_app(bouncer: &PgBouncer) -> App {
    let settings = settings(bouncer.url(), Pooler::Transaction);
    let db = store::connect(&settings).await.unwrap();
    let mut app = App::from_pool(db, &local_settings()).await.unwrap();
    app.heavy = store::connect(&DbSettings {
        max_connections: 2,
        ..settings
    })
    .await
    .unwrap();
    app
}

/// The `result` of a JSON-RPC call, or its error's `code` and message.
async fn call(server: &TestServer, tool: &str, args: Value) -> Value {
    let response = rpc_at(&server.url("/rpc"), tool, args).await;
    match response.get("result") {
        Some(result) => strip(result.clone()),
        None => {
            json!({"error": response["error"]["data"]["code"], "message": response["error"]["message"]})
        }
    }
}

/// Drops what differs between two identical calls by design (ids minted per call, timings).
fn strip(value: Value) -> Value {
    const VOLATILE: [&str; 5] = [
        "request_id",
        "took_ms",
        "elapsed_ms",
        "generated_at",
        "oldest_pending_secs",
    ];
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| !VOLATILE.contains(&k.as_str()))
                .map(|(k, v)| (k, strip(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(strip).collect()),
        other => other,
    }
}

/// The answers of `tool` through the pooler and directly. The search log and embedding usage
/// are written in the background, so tools that count them are asked again for a moment
/// until both routes have seen the same writes.
async fn both(pooled: &TestServer, direct: &TestServer, tool: &str, args: Value) -> (Value, Value) {
    let settles = ["embedding_status", "search_stats"].contains(&tool);
    let mut answers = (Value::Null, Value::Null);
    for _ in 0..50 {
        answers = (
            call(pooled, tool, args.clone()).await,
            call(direct, tool, args.clone()).await,
        );
        if !settles || answers.0 == answers.1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    answers
}

/// Calls of every read-only tool; each must answer the same on both routes.
fn reads(product: &str, other: &str) -> Vec<(&'static str, Value)> {
    vec![
        (
            "search_products",
            json!({"query": "coffee lover gift", "limit": 5}),
        ),
        (
            "search_products",
            json!({"query": "candles", "mode": "keyword", "limit": 5, "filters": {"max_price": 60}}),
        ),
        (
            "search_products",
            json!({"query": "something for a gardener", "mode": "semantic", "limit": 5}),
        ),
        (
            "similar_products",
            json!({"product_id": product, "limit": 5}),
        ),
        (
            "similar_products",
            json!({"text": "tea for a quiet evening", "limit": 5, "filters": {"in_stock": true}}),
        ),
        ("get_product", json!({"product_id": product})),
        ("get_product", json!({"product_id": "no-such-product"})),
        ("embed_text", json!({"texts": ["a gift for a hiker"]})),
        ("embedding_status", json!({})),
        (
            "find_similar_queries",
            json!({"query": "coffee lover gift"}),
        ),
        (
            "diversify",
            json!({"product_ids": [product, other], "lambda": 0.5, "limit": 2}),
        ),
        ("experiment_report", json!({"experiment": "none-such"})),
    ]
}

/// `ALTER ROLE … SET` for the settings of [`settings`], in this test's database only.
async fn give_the_role_the_settings(pool: &PgPool) {
    let database: String = sqlx::query_scalar("SELECT quote_ident(current_database())")
        .fetch_one(pool)
        .await
        .unwrap();
    for setting in [
        "statement_timeout = 30000",
        "hnsw.ef_search = 100",
        "hnsw.iterative_scan = relaxed_order",
        "client_connection_check_interval = 1000",
    ] {
        let sql = format!("ALTER ROLE CURRENT_USER IN DATABASE {database} SET {setting}");
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(pool)
            .await
            .unwrap();
    }
}

async fn every_tool_answers_as_directly(
    pool: PgPool,
    build: Build,
    route: Route,
    role_settings: bool,
) {
    let direct_app = App::from_pool(pool.clone(), &local_settings())
        .await
        .unwrap();
    seed(&direct_app).await;
    let direct = TestServer::start_app(direct_app, all_tools()).await;
    let mut bouncer = PgBouncer::start(build, &pool, "");
    if role_settings {
        // The role has the settings: through a pooler that keeps prepared statements,
        // statements then run as they come, outside transactions of giftvec's.
        give_the_role_the_settings(&pool).await;
        bouncer.restart();
    }
    let pooled = TestServer::start_app(pooled_app(&bouncer).await, all_tools()).await;
    assert_eq!(pooled.app.db.route(), route, "{}", bouncer.log());
    let wrapped = pooled.app.db.session().wrap.is_some();
    assert_eq!(wrapped, !role_settings || route == Route::PoolerUnprepared);

    let found = call(
        &direct,
        "search_products",
        json!({"query": "gift", "limit": 2}),
    )
    .await;
    let ids: Vec<String> = found["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2);
    for (tool, args) in reads(&ids[0], &ids[1]) {
        let (got, want) = both(&pooled, &direct, tool, args.clone()).await;
        assert_eq!(
            got, want,
            "{tool} {args} answered differently through the pooler"
        );
    }
    // search_stats counts the searches above.
    let (got, want) = both(&pooled, &direct, "search_stats", json!({})).await;
    assert_eq!(got, want);

    // Writes through the pooler are there for the direct route to read, and the other way.
    let recipient = json!({"user_id": "u1", "recipient_id": "dad", "name": "Dad",
        "interests": ["coffee", "hiking"]});
    let stored = call(&pooled, "upsert_recipient", recipient).await;
    assert!(stored.get("error").is_none(), "{stored}");
    let who = json!({"user_id": "u1", "recipient_id": "dad"});
    let read_back = call(&direct, "get_recipient", who.clone()).await;
    assert_eq!(read_back, call(&pooled, "get_recipient", who.clone()).await);
    assert_eq!(read_back["recipient"]["name"], "Dad", "{read_back}");
    let event = json!({"user_id": "u1", "product_id": ids[0], "kind": "like"});
    let recorded = call(&pooled, "record_event", event).await;
    assert!(recorded.get("error").is_none(), "{recorded}");

    let ask = json!({"context": "my dad loves coffee and hiking", "user_id": "u1",
        "recipient_id": "dad", "limit": 4, "exploration": 0.0});
    let want = call(&direct, "recommend_gifts", ask.clone()).await;
    let got = call(&pooled, "recommend_gifts", ask).await;
    assert_eq!(
        got, want,
        "recommend_gifts answered differently through the pooler"
    );
    let response = rpc_at(
        &pooled.url("/rpc"),
        "recommend_gifts",
        json!({"context": "a gift for a tea drinker", "limit": 3, "exploration": 0.0}),
    )
    .await;
    let request_id = response["result"]["request_id"]
        .as_str()
        .unwrap()
        .to_string();
    let first = response["result"]["recommendations"][0]["id"].clone();
    let explain = json!({"request_id": request_id, "product_id": first});
    let want = call(&direct, "explain_recommendation", explain.clone()).await;
    assert!(want.get("error").is_none(), "{want}");
    assert_eq!(call(&pooled, "explain_recommendation", explain).await, want);

    let deleted = call(&pooled, "delete_recipient", who.clone()).await;
    assert!(deleted.get("error").is_none(), "{deleted}");
    assert_eq!(
        call(&direct, "get_recipient", who).await["error"],
        "not_found"
    );

    // Many calls at once over 3 server connections: each still answers what it should.
    let ask = json!({"query": "a cosy gift for winter", "limit": 5});
    let want = call(&direct, "search_products", ask.clone()).await;
    let calls = (0..24).map(|i| {
        let (server, ask) = (&pooled, ask.clone());
        async move {
            if i % 3 == 0 {
                call(
                    server,
                    "get_product",
                    json!({"product_id": "no-such-product"}),
                )
                .await;
            }
            call(server, "search_products", ask).await
        }
    });
    for got in futures::future::join_all(calls).await {
        assert_eq!(got, want);
    }
}

#[sqlx::test]
async fn every_tool_answers_through_debian_pgbouncer_1_18_as_directly(pool: PgPool) {
    every_tool_answers_as_directly(pool, Build::Debian118, Route::PoolerUnprepared, false).await;
}

#[sqlx::test]
async fn every_tool_answers_through_pgbouncer_with_prepared_statements_as_directly(pool: PgPool) {
    every_tool_answers_as_directly(pool, Build::Prepared, Route::PoolerPrepared, true).await;
}

#[sqlx::test]
async fn every_tool_answers_through_pgbouncer_with_prepared_statements_off_as_directly(
    pool: PgPool,
) {
    every_tool_answers_as_directly(pool, Build::PreparedOff, Route::PoolerUnprepared, false).await;
}

#[sqlx::test]
async fn a_pooler_restart_is_upstream_unavailable_meanwhile_and_then_recovers(pool: PgPool) {
    let app = App::from_pool(pool.clone(), &local_settings())
        .await
        .unwrap();
    seed(&app).await;
    let mut bouncer = PgBouncer::start(Build::Debian118, &pool, "");
    let pooled = TestServer::start_app(pooled_app(&bouncer).await, all_tools()).await;
    let ask = json!({"query": "a gift for a chess player", "limit": 3});
    let want = call(&pooled, "search_products", ask.clone()).await;
    assert!(want.get("error").is_none(), "{want}");

    // Calls racing the restart: each answers, or says the database is unavailable.
    let racing = {
        let url = pooled.url("/rpc");
        let ask = ask.clone();
        tokio::spawn(async move {
            let mut codes = Vec::new();
            for _ in 0..200 {
                let response = rpc_at(&url, "search_products", ask.clone()).await;
                codes.push(
                    response["error"]["data"]["code"]
                        .as_str()
                        .map(str::to_owned),
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            codes
        })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    bouncer.stop();
    // While it is down, every call says so, in words a model can act on.
    for _ in 0..3 {
        let response = rpc_at(&pooled.url("/rpc"), "search_products", ask.clone()).await;
        assert_eq!(
            response["error"]["data"]["code"], "upstream_unavailable",
            "{response}"
        );
        let message = response["error"]["message"].as_str().unwrap();
        assert!(message.contains("retry"), "{message}");
    }
    bouncer.restart();
    let codes = racing.await.unwrap();
    for code in codes.iter().flatten() {
        assert_eq!(code, "upstream_unavailable", "{codes:?}");
    }
    // Back, without restarting giftvec: the same answer as before.
    let mut answer = call(&pooled, "search_products", ask.clone()).await;
    for _ in 0..50 {
        if answer.get("error").is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        answer = call(&pooled, "search_products", ask.clone()).await;
    }
    assert_eq!(answer, want);
}

#[sqlx::test]
async fn readyz_says_how_the_database_is_reached_and_how_cached_results_expire(pool: PgPool) {
    let app = App::from_pool(pool.clone(), &local_settings())
        .await
        .unwrap();
    seed(&app).await;
    let direct = TestServer::start_app(app, all_tools()).await;
    let bouncer = PgBouncer::start(Build::Prepared, &pool, "");

    // Without a direct URL, cached results expire instead of being dropped on change.
    let mut pooled = pooled_app(&bouncer).await;
    let without = settings(bouncer.url(), Pooler::Transaction);
    pooled.results = ResultCache::start(
        store::invalidation(&without, &pooled.db).unwrap(),
        100,
        Duration::from_secs(600),
    );
    let server = TestServer::start_app(pooled.clone(), all_tools()).await;
    let ready: Value = reqwest::get(server.url("/readyz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["ready"], true, "{ready}");
    let route = ready["connections"]["route"].as_str().unwrap();
    assert!(route.contains("transaction pooler"), "{route}");
    let cache = ready["connections"]["result_cache"].as_str().unwrap();
    assert!(
        cache.contains("expire after 2 s") && cache.contains("DATABASE_DIRECT_URL"),
        "{cache}"
    );
    let ready: Value = reqwest::get(direct.url("/readyz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["connections"]["route"], "direct", "{ready}");

    // With one, it listens there.
    let with = DbSettings {
        direct_url: Some(crate::common::url_of(&pool).into()),
        ..without
    };
    pooled.results = ResultCache::start(
        store::invalidation(&with, &pooled.db).unwrap(),
        100,
        Duration::from_secs(600),
    );
    crate::result_cache::listening(&pooled.results).await;
    assert_eq!(
        pooled.results.describe(),
        "dropped on every catalog change (LISTEN)"
    );
}

#[sqlx::test]
async fn a_pooler_that_drops_or_refuses_startup_options_is_named_with_the_setting_to_use(
    pool: PgPool,
) {
    let dropping = PgBouncer::start(
        Build::Debian118,
        &pool,
        "ignore_startup_parameters = extra_float_digits,options\n",
    );
    let err = store::connect(&settings(dropping.url(), Pooler::None))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("GIFTVEC_DB_POOLER=transaction"), "{err}");

    let refusing = PgBouncer::start(Build::Debian118, &pool, "");
    let err = store::connect(&settings(refusing.url(), Pooler::None))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unsupported startup parameter") && err.contains("GIFTVEC_DB_POOLER"),
        "{err}"
    );

    // Migrations need a session: through the pooler they are refused with what to set.
    let db = store::connect(&settings(refusing.url(), Pooler::Transaction))
        .await
        .unwrap();
    let err = store::migrate::run(&db, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("DATABASE_DIRECT_URL"), "{err}");
}

fn giftvec(args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_giftvec"));
    command
        .args(args)
        .env_remove("DATABASE_READ_URL")
        .env_remove("DATABASE_DIRECT_URL")
        .env_remove("GIFTVEC_REDIS_URL")
        .env("GIFTVEC_LOG", "warn");
    for (name, value) in envs {
        command.env(name, value);
    }
    command.output().unwrap()
}

#[sqlx::test(migrations = false)]
async fn the_commands_run_through_the_pooler_and_doctor_says_what_it_costs(pool: PgPool) {
    let mut bouncer = PgBouncer::start(Build::Prepared, &pool, "");
    let pooled = bouncer.url();
    let direct = crate::common::url_of(&pool);
    let through = [
        ("DATABASE_URL", pooled.as_str()),
        ("GIFTVEC_DB_POOLER", "transaction"),
    ];
    // Migrations need a session: refused through the pooler alone, run on the direct URL.
    let out = giftvec(&["migrate"], &through);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && said.contains("DATABASE_DIRECT_URL"),
        "{said}"
    );
    let with_direct = [
        through[0],
        through[1],
        ("DATABASE_DIRECT_URL", direct.as_str()),
    ];
    let out = giftvec(&["migrate"], &with_direct);
    assert!(out.status.success(), "{out:?}");

    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("c.jsonl");
    std::fs::write(
        &catalog,
        "{\"id\":\"a\",\"title\":\"Espresso cups\",\"category\":\"Coffee\",\"price\":19}\n\
         {\"id\":\"b\",\"title\":\"Trowel set\",\"category\":\"Garden\",\"price\":24}\n",
    )
    .unwrap();
    for args in [vec!["import", catalog.to_str().unwrap()], vec!["backfill"]] {
        let out = giftvec(&args, &through);
        assert!(out.status.success(), "{args:?}: {out:?}");
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM product_embeddings")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 2);

    // The role lacks the settings: each checkout sets them, and doctor says how to avoid it.
    let out = giftvec(&["doctor"], &through);
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{report}");
    let line = |name: &str| {
        report
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("no {name} line in:\n{report}"))
            .to_string()
    };
    let connections = line("connections");
    assert!(connections.starts_with("warn"), "{report}");
    assert!(report.contains("ALTER ROLE"), "{report}");
    assert!(line("direct").contains("DATABASE_DIRECT_URL"), "{report}");

    // Given the settings as doctor wrote them, statements run as they come.
    let fix = report
        .lines()
        .find(|l| l.contains("ALTER ROLE"))
        .unwrap()
        .to_string();
    let statements = &fix[fix.find("ALTER ROLE").unwrap()..];
    sqlx::raw_sql(sqlx::AssertSqlSafe(statements.to_string()))
        .execute(&pool)
        .await
        .unwrap();
    // A role's settings reach new sessions only: the pooler's server connections are renewed.
    bouncer.restart();
    let db = store::connect(&settings(pooled.clone(), Pooler::Transaction))
        .await
        .unwrap();
    assert_eq!(db.route(), Route::PoolerPrepared);
    assert!(db.session().wrap.is_none(), "{:?}", db.session());
    let out = giftvec(&["doctor"], &with_direct);
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{report}");
    let connections = report
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("connections"))
        .unwrap();
    assert!(
        connections.starts_with("ok") && connections.contains("from the role"),
        "{report}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_checkout_setup_holds_for_its_transaction_and_a_failed_one_leaves_no_transaction(
    pool: PgPool,
) {
    use giftvec::store::{Db, Session};
    // One connection, so every checkout below reuses it.
    let one = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(pool.connect_options().as_ref().clone())
        .await
        .unwrap();
    let session = |setup: &str| Session {
        route: Route::PoolerUnprepared,
        checkout_ef_search: None,
        wrap: Some(setup.into()),
    };
    let db = Db::new(
        one.clone(),
        session("DEALLOCATE ALL; SET LOCAL statement_timeout = 1234"),
    );
    let inside: String = sqlx::query_scalar("SHOW statement_timeout")
        .fetch_one(db.as_ref())
        .await
        .unwrap();
    assert_eq!(inside, "1234ms");
    let after: String = sqlx::query_scalar("SHOW statement_timeout")
        .fetch_one(&one)
        .await
        .unwrap();
    assert_ne!(after, "1234ms", "SET LOCAL outlived its transaction");

    let failing = Db::new(one.clone(), session("SELECT 1 / 0"));
    assert!(failing.begin().await.is_err());
    // The connection is not left inside an aborted transaction.
    let answer: i32 = sqlx::query_scalar("SELECT 2")
        .fetch_one(&one)
        .await
        .unwrap();
    assert_eq!(answer, 2);
    let mut tx = db.begin().await.unwrap();
    let answer: i32 = sqlx::query_scalar("SELECT 3")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(answer, 3);
}

#[sqlx::test]
async fn two_workers_drain_the_queue_through_the_pooler_each_job_once(pool: PgPool) {
    use giftvec::pipeline::worker;
    // Debian's 1.18: the queue claims (FOR UPDATE SKIP LOCKED) run in the wrapped route.
    let bouncer = PgBouncer::start(Build::Debian118, &pool, "");
    let (one, two) = (pooled_app(&bouncer).await, pooled_app(&bouncer).await);
    // The triggers queue a job per product.
    store::products::upsert_batch(&pool, &crate::common::products(60))
        .await
        .unwrap();
    let settings = |id: &str| worker::WorkerSettings {
        id: id.into(),
        batch: 5,
        retry_base: Duration::ZERO,
        ..Default::default()
    };
    let (w1, w2) = (settings("w1"), settings("w2"));
    let (a, b) = tokio::join!(worker::drain(&one, &w1), worker::drain(&two, &w2));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.embedded + b.embedded, 60, "{a:?} {b:?}");
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let current = count(
        "SELECT count(*) FROM products p JOIN product_embeddings e ON e.product_id = p.id
         AND e.content_hash = giftvec_content_hash(giftvec_product_text(p))",
    )
    .await;
    assert_eq!(current, 60);
    assert_eq!(
        count("SELECT count(*) FROM embedding_jobs WHERE state <> 'done' OR attempts <> 1").await,
        0,
        "every job done, none run twice"
    );
}
