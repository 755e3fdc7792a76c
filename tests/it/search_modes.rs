//! search_products modes: keyword, semantic, hybrid (RRF), and the fallback to keyword search
//! when the embedder is really down (its server stopped).

use giftvec::app::App;
use giftvec::embed::Embedder;
use giftvec::tools::Tool;
use giftvec::tools::search_products::{Input, Output, SearchProducts};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::embed_local::local_settings;
use crate::fake_openai::Fake;
use crate::server::seed;

async fn search(app: &App, args: Value) -> Output {
    let input: Input = serde_json::from_value(args).unwrap();
    SearchProducts::call(app, input).await.unwrap()
}

#[sqlx::test]
async fn keyword_semantic_and_hybrid_modes(pool: PgPool) {
    let app = App::from_pool(pool, &local_settings()).await.unwrap();
    seed(&app).await;

    let keyword = search(
        &app,
        json!({"query": "fishing rod", "mode": "keyword", "limit": 5}),
    )
    .await;
    assert_eq!(serde_json::to_value(keyword.mode).unwrap(), "keyword");
    assert!(!keyword.results.is_empty());
    for (i, hit) in keyword.results.iter().enumerate() {
        assert_eq!(hit.keyword_rank, Some(i as u32 + 1));
        assert_eq!(hit.semantic_rank, None);
        let text = format!(
            "{} {} {:?}",
            hit.product.title, hit.product.description, hit.product.tags
        )
        .to_lowercase();
        assert!(text.contains("fish") || text.contains("rod"), "{text}");
    }
    let cheap = search(
        &app,
        json!({"query": "gift", "mode": "keyword", "limit": 50, "filters": {"max_price": 20}}),
    )
    .await;
    assert!(cheap.results.iter().all(|h| h.product.price <= 20.0));

    let hybrid = search(
        &app,
        json!({"query": "present for my dad who loves fishing", "limit": 5}),
    )
    .await;
    assert_eq!(
        serde_json::to_value(hybrid.mode).unwrap(),
        "hybrid",
        "hybrid is the default"
    );
    assert!(!hybrid.degraded);
    assert_eq!(hybrid.results[0].product.category, "Fishing");
    assert!(hybrid.results.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(
        hybrid
            .results
            .iter()
            .all(|h| h.keyword_rank.is_some() || h.semantic_rank.is_some())
    );
    assert!(
        hybrid
            .results
            .iter()
            .any(|h| h.keyword_rank.is_some() && h.semantic_rank.is_some()),
        "both sources contribute"
    );

    let semantic = search(
        &app,
        json!({"query": "present for my dad who loves fishing", "mode": "semantic", "limit": 5}),
    )
    .await;
    assert!(
        semantic
            .results
            .iter()
            .all(|h| h.keyword_rank.is_none() && h.semantic_rank.is_some())
    );
}

#[sqlx::test]
async fn an_embedder_that_is_down_falls_back_to_keyword_search(pool: PgPool) {
    let fake = Fake::start(4).await;
    let embedder = Embedder::new(&fake.settings(4), Some(pool.clone().into())).unwrap();
    let mut app = App::with_embedder(pool.clone(), embedder).await.unwrap();
    giftvec::store::products::upsert_batch(&pool, &crate::common::products(40))
        .await
        .unwrap();
    app.results = giftvec::tools::result_cache::ResultCache::start(
        giftvec::tools::result_cache::Invalidation::Listen(pool.clone()),
        100,
        std::time::Duration::from_secs(600),
    );
    crate::result_cache::listening(&app.results).await;
    drop(fake); // the OpenAI-speaking server is gone

    for mode in ["hybrid", "semantic"] {
        let out = search(
            &app,
            json!({"query": "espresso gift", "mode": mode, "limit": 5}),
        )
        .await;
        assert!(out.degraded, "{mode}");
        assert_eq!(serde_json::to_value(out.mode).unwrap(), "keyword");
        let reason = out.degraded_reason.unwrap();
        assert!(
            reason.contains(&format!("{mode} search is unavailable"))
                && reason.contains("keyword results"),
            "{reason}"
        );
        assert!(!out.results.is_empty(), "keyword results still come back");
    }
    assert_eq!(
        app.results.entry_count().await,
        0,
        "a fallback answer is not cached: it must not outlive the outage"
    );
    // Without a fallback (keyword asked for), nothing is degraded, and the answer is cached.
    let out = search(&app, json!({"query": "espresso gift", "mode": "keyword"})).await;
    assert!(!out.degraded);
    assert_eq!(app.results.entry_count().await, 1);
}

#[sqlx::test]
async fn five_pages_equal_one_big_page(pool: PgPool) {
    use giftvec::tools::similar_products::{self, SimilarProducts};
    let app = App::from_pool(pool, &local_settings()).await.unwrap();
    seed(&app).await;

    let whole = search(
        &app,
        json!({"query": "gift for someone who likes the outdoors", "limit": 20}),
    )
    .await;
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let page = search(&app, json!({"query": "gift for someone who likes the outdoors", "limit": 4, "cursor": cursor})).await;
        assert_eq!(page.results.len(), 4);
        paged.extend(page.results.into_iter().map(|h| h.product.id));
        cursor = page.next_cursor;
    }
    let whole_ids: Vec<String> = whole.results.into_iter().map(|h| h.product.id).collect();
    assert_eq!(paged, whole_ids, "no duplicates, no gaps");

    let similar = |args: Value| {
        let app = app.clone();
        async move {
            let input: similar_products::Input = serde_json::from_value(args).unwrap();
            SimilarProducts::call(&app, input).await
        }
    };
    let whole = similar(json!({"product_id": "fishing-002", "limit": 15}))
        .await
        .unwrap();
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let page = similar(json!({"product_id": "fishing-002", "limit": 3, "cursor": cursor}))
            .await
            .unwrap();
        paged.extend(page.results.into_iter().map(|h| h.product.id));
        cursor = page.next_cursor;
    }
    assert_eq!(
        paged,
        whole
            .results
            .into_iter()
            .map(|h| h.product.id)
            .collect::<Vec<_>>()
    );

    // The last page says so; a cursor of another search is refused.
    let last = search(
        &app,
        json!({"query": "fishing", "mode": "keyword", "limit": 100}),
    )
    .await;
    assert!(last.next_cursor.is_none());
    let err = similar(json!({"product_id": "books-006", "limit": 3, "cursor": cursor}))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cursor: belongs to a different search"),
        "{err}"
    );
}

#[sqlx::test]
async fn similar_products_category_scope_and_metric(pool: PgPool) {
    use giftvec::tools::similar_products::{self, SimilarProducts};
    let app = App::from_pool(pool, &local_settings()).await.unwrap();
    seed(&app).await;
    let similar = |args: Value| {
        let app = app.clone();
        async move {
            let input: similar_products::Input = serde_json::from_value(args).unwrap();
            SimilarProducts::call(&app, input).await
        }
    };
    let same = similar(json!({"product_id": "fishing-002", "limit": 5, "category_scope": "same"}))
        .await
        .unwrap();
    assert!(!same.results.is_empty());
    assert!(same.results.iter().all(|h| h.product.category == "Fishing"));
    let other =
        similar(json!({"product_id": "fishing-002", "limit": 10, "category_scope": "other"}))
            .await
            .unwrap();
    assert_eq!(other.results.len(), 10);
    assert!(
        other
            .results
            .iter()
            .all(|h| h.product.category != "Fishing")
    );

    // Unit-length vectors rank the same under cosine, L2 and inner product.
    let ids = |out: similar_products::Output| {
        out.results
            .into_iter()
            .map(|h| h.product.id)
            .collect::<Vec<_>>()
    };
    let cosine = similar(json!({"product_id": "books-006", "limit": 8}))
        .await
        .unwrap();
    let cosine_top = cosine.results[0].score;
    let l2 = similar(json!({"product_id": "books-006", "limit": 8, "metric": "l2"}))
        .await
        .unwrap();
    assert!(l2.results[0].score > 0.0 && l2.results[0].score <= 1.0);
    let ip = similar(json!({"product_id": "books-006", "limit": 8, "metric": "inner_product"}))
        .await
        .unwrap();
    assert!(
        (ip.results[0].score - cosine_top).abs() < 1e-5,
        "inner product of unit vectors is their cosine"
    );
    let cosine_ids = ids(cosine);
    assert_eq!(ids(l2), cosine_ids);
    assert_eq!(ids(ip), cosine_ids);

    let err = similar(json!({"text": "tea", "category_scope": "same"}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(
        err.to_string()
            .starts_with("category_scope: needs product_id"),
        "{err}"
    );
    let err = similar(json!({"product_id": "fishing-002", "category_scope": "same", "filters": {"category": "Books & Reading"}})).await.unwrap_err();
    assert!(
        err.to_string().contains("filters.category asks for"),
        "{err}"
    );
}

#[sqlx::test]
async fn words_in_most_products_do_not_make_keyword_candidates_alone(pool: PgPool) {
    use giftvec::search::SearchSettings;
    use giftvec::store::products::upsert_batch;

    // "gift" is in every product; "coffee" in two.
    let mut rows = crate::common::products(40);
    for (i, row) in rows.iter_mut().enumerate() {
        row.title = format!("Garden gift set {i}");
        row.description = "A thoughtful gift for the garden.".into();
        row.category = "Garden".into();
        row.tags = vec![];
    }
    rows[7].title = "Coffee gift box".into();
    rows[7].description = "A gift for the coffee lover.".into();
    rows[8].title = "Coffee grinder".into();
    rows[8].description = "Grinds beans by hand.".into();
    rows[7].category = "Coffee".into();
    rows[8].category = "Coffee".into();
    upsert_batch(&pool, &rows).await.unwrap();
    sqlx::query("ANALYZE products")
        .execute(&pool)
        .await
        .unwrap();

    let mut app = App::from_pool(pool, &local_settings()).await.unwrap();
    let keyword = |app: &App, query: &str| {
        let app = app.clone();
        let query = query.to_string();
        async move {
            // As written: this is about the gate, not the gift boilerplate left out of the
            // keyword side by query understanding.
            search(
                &app,
                json!({"query": query, "mode": "keyword", "limit": 10, "interpret": false}),
            )
            .await
            .results
            .into_iter()
            .map(|h| h.product.id)
            .collect::<Vec<_>>()
        }
    };
    app.search = std::sync::Arc::new(SearchSettings {
        common_term_share: 0.5,
        ..SearchSettings::default()
    });
    // The coffee products come first, the one that also says "gift" on top; products saying
    // only "gift" follow because fewer than 10 matched an informative word.
    let gated = keyword(&app, "gift for a coffee lover").await;
    assert_eq!(gated[..2], [rows[7].id.clone(), rows[8].id.clone()]);
    assert_eq!(gated.len(), 10);
    let coffee: Vec<&String> = vec![&rows[7].id, &rows[8].id];
    assert!(gated[2..].iter().all(|id| !coffee.contains(&id)));
    // A request of common words only still finds them.
    assert_eq!(keyword(&app, "gift").await.len(), 10);
    // Hybrid search keeps the gate on its keyword side and still fuses the semantic one.
    let hybrid = search(
        &app,
        json!({"query": "gift for a coffee lover", "limit": 5}),
    )
    .await;
    assert_eq!(
        hybrid.results[0].product.id, rows[7].id,
        "{:?}",
        hybrid.results
    );

    // With the gate off every product saying "gift" is a candidate again.
    app.search = std::sync::Arc::new(SearchSettings {
        common_term_share: 0.0,
        ..SearchSettings::default()
    });
    let ungated = keyword(&app, "gift for a coffee lover").await;
    assert_eq!(ungated.len(), 10);
    assert_eq!(ungated[0], rows[7].id);
}
