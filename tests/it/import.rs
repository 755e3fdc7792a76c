//! Catalog import: good files, bad rows, idempotent re-import, hostile input.

use std::io::Write;

use giftvec::catalog::{ImportOptions, ImportReport, import_file};
use giftvec::store::{self, Product};
use sqlx::PgPool;

fn file(name: &str, content: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(content)
        .unwrap();
    (dir, path)
}

async fn import(pool: &PgPool, name: &str, content: &[u8]) -> ImportReport {
    let (_dir, path) = file(name, content);
    let options = ImportOptions {
        batch_size: 2,
        ..Default::default()
    };
    import_file(pool, &path, &options).await.unwrap()
}

async fn all(pool: &PgPool) -> Vec<Product> {
    sqlx::query_as(
        "SELECT p.id, p.sku, p.title, p.description, p.category, p.tags, p.price::float8 AS price,
                p.currency, p.in_stock, p.attributes, p.created_at, p.updated_at
         FROM products p ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

const GOOD: &str = r#"{"id":"mug-1","title":"Barista Mug","category":"Coffee","price":14.5,"tags":["coffee","mug"],"description":"Double-walled.","image_url":"https://example.test/mug.jpg"}
{"id":"rod-1","sku":"ROD-1","title":"Travel Fishing Rod","category":"Outdoors","price":"49.99","currency":"eur","in_stock":false}

{"id":"tea-1","title":"Tea Sampler","category":"Tea","price":22,"attributes":{"brand":"Leafy"}}
"#;

#[sqlx::test]
async fn a_good_file_lands_and_re_importing_it_changes_nothing(pool: PgPool) {
    let report = import(&pool, "catalog.jsonl", GOOD.as_bytes()).await;
    assert_eq!(report.rows, 3);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.counts.inserted, 3);

    let rod = store::products::get(&pool, "rod-1").await.unwrap().unwrap();
    assert_eq!(
        (rod.price, rod.currency.as_str(), rod.in_stock),
        (49.99, "EUR", false)
    );
    let mug = store::products::get(&pool, "mug-1").await.unwrap().unwrap();
    assert_eq!(mug.attributes["image_url"], "https://example.test/mug.jpg");
    assert_eq!(mug.tags, vec!["coffee", "mug"]);

    let before = all(&pool).await;
    let again = import(&pool, "catalog.jsonl", GOOD.as_bytes()).await;
    assert_eq!(
        (
            again.counts.inserted,
            again.counts.updated,
            again.counts.unchanged
        ),
        (0, 0, 3)
    );
    assert_eq!(all(&pool).await, before, "not even updated_at moves");

    let changed = GOOD.replace("\"price\":22", "\"price\":25");
    let third = import(&pool, "catalog.jsonl", changed.as_bytes()).await;
    assert_eq!((third.counts.updated, third.counts.unchanged), (1, 2));
    assert_eq!(
        store::products::get(&pool, "tea-1")
            .await
            .unwrap()
            .unwrap()
            .price,
        25.0
    );
}

#[sqlx::test]
async fn csv_imports_the_same_fields(pool: PgPool) {
    let csv = "id,title,category,price,tags,in_stock,attributes,brand\n\
               c1,\"Chess Set, Walnut\",Games,89,chess|wood,yes,\"{\"\"pieces\"\":32}\",Acme\n\
               c2,Puzzle,Games,abc,,,,\n";
    let report = import(&pool, "catalog.csv", csv.as_bytes()).await;
    assert_eq!(report.counts.inserted, 1);
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].line, 3);
    assert_eq!(report.errors[0].field.as_deref(), Some("price"));
    let chess = store::products::get(&pool, "c1").await.unwrap().unwrap();
    assert_eq!(chess.title, "Chess Set, Walnut");
    assert_eq!(chess.tags, vec!["chess", "wood"]);
    assert_eq!(
        chess.attributes,
        serde_json::json!({"pieces": 32, "brand": "Acme"})
    );
}

#[sqlx::test]
async fn bad_rows_are_reported_by_line_and_good_rows_still_land(pool: PgPool) {
    let mut content = Vec::new();
    content.extend_from_slice(
        b"{\"id\":\"ok-1\",\"title\":\"Candle\",\"category\":\"Home\",\"price\":12}\n",
    );
    content.extend_from_slice(
        b"{\"id\":\"bad-price\",\"title\":\"X\",\"category\":\"Home\",\"price\":-3}\n",
    );
    content.extend_from_slice(
        b"{\"id\":\"bad-utf8\",\"title\":\"\xff\xfe\",\"category\":\"Home\",\"price\":1}\n",
    );
    content.extend_from_slice(
        b"{\"id\":\"ok-1\",\"title\":\"Dup\",\"category\":\"Home\",\"price\":1}\n",
    );
    content.extend_from_slice(b"{\"title\":\"no id\",\"category\":\"Home\",\"price\":1}\n");
    content.extend_from_slice(
        b"{\"id\":\"ok-2\",\"title\":\"Lamp\",\"category\":\"Home\",\"price\":30}\n",
    );
    let report = import(&pool, "mixed.jsonl", &content).await;
    let lines: Vec<u64> = report.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![2, 3, 4, 5]);
    assert_eq!(
        report.errors[0].to_string(),
        "line 2: price must be between 0 and 9999999999.99, got -3"
    );
    assert!(report.errors[1].reason.contains("UTF-8"));
    assert!(
        report.errors[2]
            .reason
            .contains("repeats id \"ok-1\" from line 1")
    );
    assert_eq!(report.errors[3].field.as_deref(), Some("id"));
    assert_eq!(report.counts.inserted, 2);
    assert_eq!(
        store::products::get(&pool, "ok-1")
            .await
            .unwrap()
            .unwrap()
            .title,
        "Candle"
    );
}

#[sqlx::test]
async fn hostile_strings_are_data_and_nothing_stored_is_lost(pool: PgPool) {
    import(&pool, "catalog.jsonl", GOOD.as_bytes()).await;
    let before = all(&pool).await;
    let huge = "x".repeat(1 << 20);
    let rows = [
        serde_json::json!({"id": "q'1", "title": "It's \"quoted\"", "category": "Home", "price": 5}),
        serde_json::json!({"id": "x'); DROP TABLE products; --", "title": "'; DROP TABLE products; --",
                           "category": "Robert'); DROP TABLE students;--", "price": 1,
                           "tags": ["' OR 1=1 --"], "description": "$1 $$ \\x00"}),
        serde_json::json!({"id": "huge", "title": "Huge", "category": "Home", "price": 5, "description": huge}),
        serde_json::json!({"id": "mug-1", "title": "Replaced?", "category": "Coffee", "price": "NaN"}),
    ];
    let content: String = rows.iter().map(|r| format!("{r}\n")).collect();
    let report = import(&pool, "hostile.jsonl", content.as_bytes()).await;
    assert_eq!(report.counts.inserted, 2, "{:?}", report.errors);
    let reasons: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        reasons[0],
        "line 3: description is 1048576 characters long; the limit is 20000"
    );
    assert!(reasons[1].starts_with("line 4: price"), "{reasons:?}");

    let sneaky = store::products::get(&pool, "x'); DROP TABLE products; --")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sneaky.title, "'; DROP TABLE products; --");
    assert_eq!(sneaky.tags, vec!["' OR 1=1 --"]);
    let quoted = store::products::get(&pool, "q'1").await.unwrap().unwrap();
    assert_eq!(quoted.title, "It's \"quoted\"");
    let now = all(&pool).await;
    for product in &before {
        assert!(now.contains(product), "{} changed", product.id);
    }
    assert_eq!(now.len(), before.len() + 2);
}

#[sqlx::test]
async fn a_missing_file_is_a_clear_error(pool: PgPool) {
    let err = import_file(
        &pool,
        std::path::Path::new("/nonexistent/catalog.jsonl"),
        &ImportOptions::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(
        err.to_string()
            .starts_with("file: cannot open /nonexistent/catalog.jsonl"),
        "{err}"
    );
}

#[sqlx::test]
async fn the_demo_catalog_imports_cleanly_and_is_searchable(pool: PgPool) {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("evals/data/demo_catalog.jsonl");
    let report = import_file(&pool, &path, &ImportOptions::default())
        .await
        .unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.counts.inserted >= 500);
    let (categories, undescribed): (i64, i64) = sqlx::query_as(
        "SELECT count(DISTINCT category), count(*) FILTER (WHERE description = '' OR cardinality(tags) = 0) FROM products",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(categories >= 15, "{categories} categories");
    assert_eq!(undescribed, 0);
    let top: Vec<String> = sqlx::query_scalar(
        "SELECT category FROM products, giftvec_keyword_query('gift for my dad who loves fishing') q
         WHERE search_tsv @@ q ORDER BY ts_rank(search_tsv, q) DESC, id LIMIT 5",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(top.iter().all(|c| c == "Fishing"), "{top:?}");
}
