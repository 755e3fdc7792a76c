//! Migrations: empty and populated databases, idempotence, rollback, refusal when behind.

use giftvec::store::{self, migrate};
use sqlx::PgPool;

use crate::common::products;

const PRODUCTS_VERSION: i64 = 20260101000002;

async fn all_versions() -> Vec<i64> {
    migrate::MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| m.version)
        .collect()
}

#[sqlx::test(migrations = false)]
async fn an_empty_database_migrates_and_a_second_run_is_a_no_op(pool: PgPool) {
    let err = migrate::ensure_current(&pool).await.unwrap_err();
    assert!(err.to_string().contains("run `giftvec migrate`"), "{err}");

    let applied = migrate::run(&pool, None).await.unwrap();
    assert_eq!(applied, all_versions().await);
    assert_eq!(migrate::run(&pool, None).await.unwrap(), Vec::<i64>::new());
    migrate::ensure_current(&pool).await.unwrap();

    let version: String =
        sqlx::query_scalar("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let parts: Vec<u32> = version.split('.').map(|p| p.parse().unwrap()).collect();
    assert!(parts[0] > 0 || parts[1] >= 8, "{version}");
    for function in [
        "find_similar_products",
        "find_similar_queries",
        "hybrid_search_products",
    ] {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_proc WHERE proname = $1")
            .bind(function)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert!(n >= 1, "{function} missing");
    }
    let gin: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE tablename = 'products' AND indexdef LIKE '%USING gin (search_tsv)%')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(gin);
}

#[sqlx::test(migrations = false)]
async fn a_populated_database_keeps_its_data_through_later_migrations(pool: PgPool) {
    // Someone else's table and data in the same database (the web app's).
    sqlx::query("CREATE TABLE orders (id int PRIMARY KEY, note text)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO orders VALUES (1, 'keep me')")
        .execute(&pool)
        .await
        .unwrap();
    migrate::run(&pool, Some(PRODUCTS_VERSION)).await.unwrap();
    let catalog = products(50);
    store::products::upsert_batch(&pool, &catalog)
        .await
        .unwrap();

    let applied = migrate::run(&pool, None).await.unwrap();
    assert!(!applied.is_empty() && applied.iter().all(|v| *v > PRODUCTS_VERSION));
    assert_eq!(store::products::count(&pool).await.unwrap(), 50);
    let p = store::products::get(&pool, "p00007")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.title, catalog[7].title);
    let note: String = sqlx::query_scalar("SELECT note FROM orders")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(note, "keep me");
    // Rows written before the later migrations are searchable by keyword.
    let hits: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM products WHERE search_tsv @@ giftvec_keyword_query('espresso')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(hits > 0);
}

#[sqlx::test(migrations = false)]
async fn every_migration_rolls_back_and_forward_again(pool: PgPool) {
    migrate::run(&pool, None).await.unwrap();
    let reverted = migrate::undo(&pool, 0).await.unwrap();
    assert_eq!(reverted.len(), all_versions().await.len());
    let left: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_sqlx_migrations'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(left, 0, "down migrations leave nothing behind");
    assert_eq!(
        migrate::run(&pool, None).await.unwrap(),
        all_versions().await
    );
    migrate::ensure_current(&pool).await.unwrap();
}

#[sqlx::test]
async fn updated_at_moves_only_on_real_changes(pool: PgPool) {
    let mut catalog = products(1);
    store::products::upsert_batch(&pool, &catalog)
        .await
        .unwrap();
    let first = store::products::get(&pool, "p00000")
        .await
        .unwrap()
        .unwrap();
    sqlx::query("UPDATE products SET title = title")
        .execute(&pool)
        .await
        .unwrap();
    let same = store::products::get(&pool, "p00000")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(same.updated_at, first.updated_at);
    catalog[0].in_stock = !catalog[0].in_stock;
    store::products::upsert_batch(&pool, &catalog)
        .await
        .unwrap();
    let changed = store::products::get(&pool, "p00000")
        .await
        .unwrap()
        .unwrap();
    assert!(changed.updated_at > first.updated_at);
}

#[sqlx::test]
async fn the_query_index_is_sized_from_the_row_count(pool: PgPool) {
    let model = crate::common::model(&pool, 8).await;
    let lists: i32 = sqlx::query_scalar("SELECT giftvec_build_query_index($1)")
        .bind(&model.name)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        lists, 0,
        "no index below 1,000 queries: an exact scan is better"
    );
    sqlx::query(
        "INSERT INTO search_queries (query, model, embedding, mode, latency_ms)
         SELECT 'q' || i, $1, ARRAY[sin(i), cos(i), 1, 0, 0, 0, 0, i % 7]::real[]::vector, 'semantic', 1
         FROM generate_series(1, 2500) i",
    )
    .bind(&model.name)
    .execute(&pool)
    .await
    .unwrap();
    let lists: i32 = sqlx::query_scalar("SELECT giftvec_build_query_index($1)")
        .bind(&model.name)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(lists, 2);
    let nearest: Vec<String> =
        sqlx::query_scalar("SELECT query FROM find_similar_queries(1::bigint, 3)")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(nearest.len(), 3);
    assert!(!nearest.contains(&"q1".to_string()));
}
