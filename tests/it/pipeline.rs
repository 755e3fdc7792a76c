//! The embedding pipeline: triggers queue jobs in the product change's own transaction,
//! workers embed them (several side by side, a killed one's work taken over after its lease),
//! poison inputs end in the dead-letter state, the backfill counts what is missing.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use giftvec::app::App;
use giftvec::embed::Embedder;
use giftvec::pipeline::{backfill, worker};
use giftvec::store::{self, jobs};
use serde_json::json;
use sqlx::PgPool;
use wiremock::matchers::{body_string_contains, method};
use wiremock::{Mock, ResponseTemplate};

use crate::common::{products, url_of};
use crate::fake_openai::Fake;

const DIMS: usize = 4;

async fn app(pool: &PgPool, fake: &Fake) -> App {
    let embedder = Embedder::new(&fake.settings(DIMS), Some(pool.clone().into())).unwrap();
    App::with_embedder(pool.clone(), embedder).await.unwrap()
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Environment for a `giftvec` child process on `pool` embedding through `fake`.
fn child_env(pool: &PgPool, fake: &Fake) -> Vec<(String, String)> {
    vec![
        ("DATABASE_URL".into(), url_of(pool)),
        ("GIFTVEC_EMBEDDER".into(), "openai".into()),
        ("OPENAI_API_KEY".into(), "sk-test".into()),
        (
            "GIFTVEC_OPENAI_BASE_URL".into(),
            format!("{}/v1", fake.server.uri()),
        ),
        ("GIFTVEC_OPENAI_DIMENSIONS".into(), DIMS.to_string()),
        ("GIFTVEC_LOG".into(), "warn".into()),
    ]
}

fn fast() -> worker::WorkerSettings {
    worker::WorkerSettings {
        batch: 50,
        retry_base: Duration::ZERO,
        ..Default::default()
    }
}

/// Every product has an embedding of its current text; every job is done.
async fn assert_all_current(pool: &PgPool, n: i64) {
    let current = count(
        pool,
        "SELECT count(*) FROM products p JOIN product_embeddings e ON e.product_id = p.id
        AND e.content_hash = giftvec_content_hash(giftvec_product_text(p))",
    )
    .await;
    assert_eq!(current, n);
    assert_eq!(
        count(
            pool,
            "SELECT count(*) FROM embedding_jobs WHERE state <> 'done'"
        )
        .await,
        0
    );
}

#[sqlx::test]
async fn triggers_queue_relevant_changes_only(pool: PgPool) {
    let fake = Fake::start(DIMS).await;
    let app = app(&pool, &fake).await;
    let mut catalog = products(10);
    store::products::upsert_batch(&pool, &catalog)
        .await
        .unwrap();
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM embedding_jobs WHERE state = 'pending'"
        )
        .await,
        10,
        "insert"
    );
    worker::drain(&app, &fast()).await.unwrap();
    assert_all_current(&pool, 10).await;

    catalog[0].price += 10.0;
    catalog[1].in_stock = !catalog[1].in_stock;
    store::products::upsert_batch(&pool, &catalog)
        .await
        .unwrap();
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM embedding_jobs WHERE state = 'pending'"
        )
        .await,
        0,
        "price and stock are not embedded"
    );

    catalog[2].title = "Renamed product".into();
    catalog[3].tags.push("new-tag".into());
    store::products::upsert_batch(&pool, &catalog)
        .await
        .unwrap();
    sqlx::query("UPDATE products SET description = 'edited by hand in psql' WHERE id = 'p00004'")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE products SET description = 'edited twice' WHERE id = 'p00004'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM embedding_jobs WHERE state = 'pending'"
        )
        .await,
        3,
        "one job per changed product"
    );
    let stats = worker::drain(&app, &fast()).await.unwrap();
    assert_eq!(stats.embedded, 3);
    assert_all_current(&pool, 10).await;

    sqlx::query("DELETE FROM products WHERE id = 'p00005'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM product_embeddings WHERE product_id = 'p00005'"
        )
        .await,
        0,
        "delete removes embeddings"
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM embedding_jobs WHERE product_id = 'p00005'"
        )
        .await,
        0
    );
}

#[sqlx::test]
async fn a_rolled_back_change_queues_nothing(pool: PgPool) {
    let fake = Fake::start(DIMS).await;
    let _app = app(&pool, &fake).await;
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO products (id, title, category, price) VALUES ('t1', 'Mug', 'Kitchen', 9)",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(count(&pool, "SELECT count(*) FROM embedding_jobs").await, 0);
}

#[sqlx::test]
async fn two_workers_process_each_job_once(pool: PgPool) {
    let fake = Fake::start(DIMS).await;
    let app = app(&pool, &fake).await;
    let catalog = products(2000);
    for chunk in catalog.chunks(500) {
        store::products::upsert_batch(&pool, chunk).await.unwrap();
    }
    let other_pool = sqlx::postgres::PgPoolOptions::new()
        .connect_with((*pool.connect_options()).clone())
        .await
        .unwrap();
    let other = App::with_embedder(other_pool, app.embedder.clone())
        .await
        .unwrap();
    let one = worker::WorkerSettings {
        id: "w1".into(),
        batch: 40,
        ..fast()
    };
    let two = worker::WorkerSettings {
        id: "w2".into(),
        batch: 40,
        ..fast()
    };
    let (a, b) = tokio::join!(worker::drain(&app, &one), worker::drain(&other, &two));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.embedded + b.embedded, 2000, "{a:?} {b:?}");
    assert!(a.embedded > 0 && b.embedded > 0, "both worked: {a:?} {b:?}");
    assert_all_current(&pool, 2000).await;
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM embedding_jobs WHERE attempts <> 1"
        )
        .await,
        0,
        "no job ran twice"
    );
}

/// Matches while the flag is up (a provider policy that can be fixed mid-test).
struct Rejecting(Arc<AtomicBool>);

impl wiremock::Match for Rejecting {
    fn matches(&self, _: &wiremock::Request) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

#[sqlx::test]
async fn a_poison_input_is_dead_lettered_and_the_rest_proceed(pool: PgPool) {
    let fake = Fake::start(DIMS).await;
    let rejecting = Arc::new(AtomicBool::new(true));
    Mock::given(method("POST"))
        .and(body_string_contains("POISON"))
        // The provider rejects it until its policy is fixed (below).
        .and(Rejecting(rejecting.clone()))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"error": {"message": "input contains forbidden content"}})),
        )
        .with_priority(1)
        .mount(&fake.server)
        .await;
    let app = app(&pool, &fake).await;
    let mut catalog = products(20);
    catalog[7].title = "POISON pill".into();
    store::products::upsert_batch(&pool, &catalog)
        .await
        .unwrap();
    let settings = worker::WorkerSettings {
        max_attempts: 2,
        ..fast()
    };
    worker::drain(&app, &settings).await.unwrap();
    let (state, error): (String, String) =
        sqlx::query_as("SELECT state, last_error FROM embedding_jobs WHERE product_id = 'p00007'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(state, "dead");
    assert!(error.contains("forbidden content"), "{error}");
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM embedding_jobs WHERE state = 'done'"
        )
        .await,
        19
    );
    let status = jobs::counts(&pool, &app.model.name).await.unwrap();
    assert_eq!((status.dead, status.pending, status.running), (1, 0, 0));
    assert!(status.failure_rate_1h > 0.0);

    // Once the cause is fixed, replaying the dead letter embeds it.
    rejecting.store(false, Ordering::SeqCst);
    assert_eq!(jobs::replay_dead(&pool, &app.model.name).await.unwrap(), 1);
    assert_eq!(
        jobs::replay_dead(&pool, &app.model.name).await.unwrap(),
        0,
        "nothing left"
    );
    worker::drain(&app, &settings).await.unwrap();
    let state: String =
        sqlx::query_scalar("SELECT state FROM embedding_jobs WHERE product_id = 'p00007'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(state, "done");
    assert_all_current(&pool, 20).await;
}

#[sqlx::test]
async fn a_worker_killed_mid_batch_loses_nothing(pool: PgPool) {
    // Every provider call takes 300 ms, so the kill lands with a batch in flight.
    let fake = Fake::start_with_delay(DIMS, Duration::from_millis(300)).await;
    // The model is registered first, so the product inserts below queue their jobs.
    app(&pool, &fake).await;
    store::products::upsert_batch(&pool, &products(200))
        .await
        .unwrap();
    let mut env = child_env(&pool, &fake);
    env.push(("GIFTVEC_WORKER_BATCH".into(), "10".into()));
    env.push(("GIFTVEC_WORKER_LEASE_MS".into(), "1000".into()));
    let mut first = Command::new(env!("CARGO_BIN_EXE_giftvec"))
        .arg("worker")
        .envs(env.clone())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while count(
        &pool,
        "SELECT count(*) FROM embedding_jobs WHERE state = 'done'",
    )
    .await
        < 30
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the worker made no progress"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Command::new("kill")
        .args(["-KILL", &first.id().to_string()])
        .status()
        .unwrap();
    first.wait().unwrap();
    let done_at_kill = count(
        &pool,
        "SELECT count(*) FROM embedding_jobs WHERE state = 'done'",
    )
    .await;
    assert!(done_at_kill < 200);
    assert!(
        count(
            &pool,
            "SELECT count(*) FROM embedding_jobs WHERE state = 'running'"
        )
        .await
            > 0,
        "killed with a batch in hand"
    );

    tokio::time::sleep(Duration::from_millis(1100)).await; // the lease expires
    let second = Command::new(env!("CARGO_BIN_EXE_giftvec"))
        .args(["worker", "--once"])
        .envs(env)
        .output()
        .unwrap();
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_all_current(&pool, 200).await;
    let per_product = count(
        &pool,
        "SELECT max(n) FROM (SELECT count(*) AS n FROM embedding_jobs GROUP BY product_id) c",
    )
    .await;
    assert_eq!(
        per_product, 1,
        "one job, hence one stored version, per product"
    );
}

#[sqlx::test]
async fn backfill_dry_run_counts_what_the_backfill_embeds(pool: PgPool) {
    let fake = Fake::start(DIMS).await;
    let app = app(&pool, &fake).await;
    store::products::upsert_batch(&pool, &products(30))
        .await
        .unwrap();
    worker::drain(&app, &fast()).await.unwrap();
    sqlx::query(
        "DELETE FROM product_embeddings WHERE product_id IN ('p00001', 'p00002', 'p00003')",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("UPDATE products SET title = 'changed' WHERE id = 'p00004'")
        .execute(&pool)
        .await
        .unwrap();
    let estimate = backfill::estimate(&app).await.unwrap();
    assert_eq!(estimate.products, 4);
    assert!(estimate.tokens > 0);
    let report = backfill::run(&app, 2, false).await.unwrap();
    assert_eq!(report.embedded, 4);
    assert_eq!(
        backfill::estimate(&app).await.unwrap().products,
        0,
        "a second run has nothing left"
    );
}

#[sqlx::test]
async fn status_reports_coverage_queue_and_dead_letters(pool: PgPool) {
    let fake = Fake::start(DIMS).await;
    let app = app(&pool, &fake).await;
    store::products::upsert_batch(&pool, &products(10))
        .await
        .unwrap();
    let before = giftvec::pipeline::status::embedding_status(&app)
        .await
        .unwrap();
    let model = &before.models[0];
    assert_eq!(
        (model.coverage, model.pending, model.embedded),
        (0.0, 10, 0)
    );
    assert!(model.oldest_pending_secs.is_some());
    worker::drain(&app, &fast()).await.unwrap();
    let after = giftvec::pipeline::status::embedding_status(&app)
        .await
        .unwrap();
    let model = &after.models[0];
    assert_eq!((model.coverage, model.pending, model.dead), (1.0, 0, 0));
    assert!(after.alerts.is_empty(), "{:?}", after.alerts);
    let mut tokens = 0;
    for _ in 0..50 {
        tokens = giftvec::pipeline::status::embedding_status(&app)
            .await
            .unwrap()
            .models[0]
            .tokens;
        if tokens > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(tokens > 0, "usage is recorded");
}

#[sqlx::test]
async fn models_activate_only_at_full_coverage_and_drop_only_inactive(pool: PgPool) {
    let fake = Fake::start(DIMS).await;
    let app = app(&pool, &fake).await;
    store::products::upsert_batch(&pool, &products(5))
        .await
        .unwrap();
    worker::drain(&app, &fast()).await.unwrap();
    // A second model: registered, its jobs queued, nothing embedded yet.
    store::models::register(
        &pool,
        &store::NewModel {
            name: "second".into(),
            ..app.embedder.model_spec()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM embedding_jobs WHERE model = 'second' AND state = 'pending'"
        )
        .await,
        5
    );
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_giftvec"))
            .args(args)
            .env("DATABASE_URL", url_of(&pool))
            .env("GIFTVEC_LOG", "warn")
            .output()
            .unwrap()
    };
    let listed = run(&["models"]);
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(
        text.contains("second") && text.contains("0.0%") && text.contains("100.0%"),
        "{text}"
    );
    let refused = run(&["models", "activate", "second"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("has embedded 0 of 5 products"));
    let dropped_active = run(&["models", "drop", &app.model.name]);
    assert_eq!(dropped_active.status.code(), Some(1));
    assert!(
        run(&["models", "activate", "second", "--force"])
            .status
            .success()
    );
    assert!(store::models::get(&pool, "second").await.unwrap().is_active);
    assert!(run(&["models", "drop", &app.model.name]).status.success());
    assert_eq!(
        count(&pool, "SELECT count(*) FROM product_embeddings").await,
        0,
        "its embeddings went with it"
    );
}

#[sqlx::test]
async fn a_model_switch_never_fails_a_search_on_the_old_model(pool: PgPool) {
    use giftvec::tools::Tool;
    use giftvec::tools::search_products::{Input, SearchProducts};

    let old_fake = Fake::start(DIMS).await;
    let old = app(&pool, &old_fake).await;
    store::products::upsert_batch(&pool, &products(300))
        .await
        .unwrap();
    worker::drain(&old, &fast()).await.unwrap();

    // Searches run against the old model for the whole switch.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let searcher = {
        let old = old.clone();
        tokio::spawn(async move {
            let (mut ok, mut i) = (0, 0);
            while !*stopped.borrow() {
                i += 1;
                let input: Input =
                    serde_json::from_value(json!({"query": format!("gift idea {i}"), "limit": 5}))
                        .unwrap();
                let out = SearchProducts::call(&old, input)
                    .await
                    .expect("a search failed during the switch");
                assert_eq!(out.results.len(), 5);
                ok += 1;
            }
            ok
        })
    };

    // A new model (8-d) is registered, built by its own worker, then activated.
    let new_fake = Fake::start(8).await;
    let new_embedder = Embedder::new(&new_fake.settings(8), Some(pool.clone().into())).unwrap();
    let new = App::with_embedder(pool.clone(), new_embedder)
        .await
        .unwrap();
    assert!(!new.model.is_active, "registering does not switch");
    worker::drain(&new, &fast()).await.unwrap();
    assert_eq!(
        giftvec::store::embeddings::current_count(&pool, &new.model.name)
            .await
            .unwrap(),
        300
    );
    store::models::activate(&pool, &new.model.name)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(true).unwrap();
    let searches = searcher.await.unwrap();
    assert!(searches > 10, "{searches} searches ran during the switch");
    assert_eq!(
        store::models::active(&pool).await.unwrap().unwrap().name,
        new.model.name
    );
}

#[sqlx::test]
async fn configured_attributes_join_the_embedded_text(pool: PgPool) {
    let fake = Fake::start(DIMS).await;
    let app = app(&pool, &fake).await;
    let mut catalog = products(4);
    catalog[0].attributes = json!({"brand": "Acme", "colour": "red"});
    store::products::upsert_batch(&pool, &catalog)
        .await
        .unwrap();
    worker::drain(&app, &fast()).await.unwrap();

    sqlx::query("INSERT INTO embedding_text_attributes (key, label) VALUES ('brand', 'Brand')")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM embedding_jobs WHERE state = 'pending'"
        )
        .await,
        1,
        "only the product with a brand changed text"
    );
    let text: String =
        sqlx::query_scalar("SELECT giftvec_product_text(p) FROM products p WHERE id = 'p00000'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(text.ends_with("\nBrand: Acme"), "{text}");
    worker::drain(&app, &fast()).await.unwrap();

    sqlx::query(r#"UPDATE products SET attributes = '{"brand": "Acme", "colour": "blue"}' WHERE id = 'p00000'"#).execute(&pool).await.unwrap();
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM embedding_jobs WHERE state = 'pending'"
        )
        .await,
        0,
        "colour is not embedded"
    );
    sqlx::query(r#"UPDATE products SET attributes = '{"brand": "Zenith", "colour": "blue"}' WHERE id = 'p00000'"#).execute(&pool).await.unwrap();
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM embedding_jobs WHERE state = 'pending'"
        )
        .await,
        1,
        "brand is"
    );
    worker::drain(&app, &fast()).await.unwrap();
    assert_all_current(&pool, 4).await;
}

#[sqlx::test]
async fn an_interrupted_backfill_resumes_without_redoing_work(pool: PgPool) {
    let fake = Fake::start_with_delay(DIMS, Duration::from_millis(200)).await;
    let app = app(&pool, &fake).await;
    store::products::upsert_batch(&pool, &products(100))
        .await
        .unwrap();
    let env = child_env(&pool, &fake);
    let embedded = || count(&pool, "SELECT count(*) FROM product_embeddings");
    let mut first = Command::new(env!("CARGO_BIN_EXE_giftvec"))
        .args(["backfill", "--batch-size", "10"])
        .envs(env.clone())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while embedded().await < 20 {
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Command::new("kill")
        .args(["-KILL", &first.id().to_string()])
        .status()
        .unwrap();
    first.wait().unwrap();
    let done = embedded().await;
    assert!(done < 100, "interrupted part-way ({done})");
    let calls_before = fake.calls();

    let second = Command::new(env!("CARGO_BIN_EXE_giftvec"))
        .args(["backfill", "--batch-size", "10"])
        .envs(env)
        .output()
        .unwrap();
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let report = String::from_utf8_lossy(&second.stdout);
    assert!(
        report.starts_with(&format!("embedded {} products", 100 - done)),
        "{report}"
    );
    assert_eq!(embedded().await, 100);
    assert_eq!(
        fake.calls() - calls_before,
        (100 - done as usize).div_ceil(10),
        "only the missing ones were sent"
    );
    assert_eq!(backfill::estimate(&app).await.unwrap().products, 0);
}
