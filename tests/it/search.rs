//! Vector search: the HNSW index is used, and the SQL functions and the Rust store agree with
//! brute-force oracles computed here over the same rows.

use std::collections::HashMap;

use giftvec::store::{self, Embedding, ProductFilters, SimilarityOptions};
use sqlx::PgPool;

use crate::common::{self, brute_force, products, rng, seed};

#[sqlx::test]
async fn explain_shows_the_hnsw_index_for_top_k(pool: PgPool) {
    let model = common::model(&pool, 32).await;
    let mut rng = rng(1);
    seed(&pool, &model, &products(3000), &mut rng).await;
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    let query = Embedding::new(common::random_vector(&mut rng, 32), 32).unwrap();
    let plan = store::similarity::explain(&pool, &model, &query, &SimilarityOptions::default())
        .await
        .unwrap();
    let index: String = sqlx::query_scalar("SELECT giftvec_model_index_name($1)")
        .bind(&model.name)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        plan.contains(&format!("Index Scan using {index}")),
        "{plan}"
    );
}

#[sqlx::test]
async fn find_similar_products_matches_brute_force(pool: PgPool) {
    // 100 rows and the function's ef_search of 100: the HNSW beam covers every node, so the
    // approximate search must be exact.
    let model = common::model(&pool, 16).await;
    let mut rng = rng(2);
    let catalog = products(100);
    let vectors = seed(&pool, &model, &catalog, &mut rng).await;

    for _ in 0..5 {
        let query = common::random_vector(&mut rng, 16);
        let got: Vec<String> =
            sqlx::query_scalar("SELECT product_id FROM find_similar_products($1::vector, 10)")
                .bind(pgvector::Vector::from(query.clone()))
                .fetch_all(&pool)
                .await
                .unwrap();
        let want: Vec<String> = brute_force(&vectors, &query, 10, |_| true)
            .into_iter()
            .map(|i| catalog[i].id.clone())
            .collect();
        assert_eq!(got, want);
    }

    let got: Vec<(String, f64)> =
        sqlx::query_as("SELECT product_id, similarity FROM find_similar_products('p00007', 5)")
            .fetch_all(&pool)
            .await
            .unwrap();
    let want = brute_force(&vectors, &vectors[7], 6, |i| i != 7);
    let want_ids: Vec<&str> = want
        .iter()
        .take(5)
        .map(|&i| catalog[i].id.as_str())
        .collect();
    assert_eq!(
        got.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        want_ids
    );
    let expected_similarity = 1.0 - common::cosine_distance(&vectors[want[0]], &vectors[7]);
    assert!((got[0].1 - expected_similarity).abs() < 1e-5);
}

#[sqlx::test]
async fn find_similar_products_explains_unknown_ids_and_bad_k(pool: PgPool) {
    let model = common::model(&pool, 4).await;
    seed(&pool, &model, &products(3), &mut rng(3)).await;
    let err = sqlx::query("SELECT * FROM find_similar_products('nope', 5)")
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unknown product nope"), "{err}");
    let err = sqlx::query("SELECT * FROM find_similar_products('p00001', 0)")
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("k must be between 1 and 1000"),
        "{err}"
    );
    let err = sqlx::query("SELECT * FROM find_similar_products('[1,2]'::vector, 5)")
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("has 2 dimensions"), "{err}");
}

#[sqlx::test]
async fn hybrid_search_fuses_keyword_and_vector_ranks_with_rrf(pool: PgPool) {
    let model = common::model(&pool, 16).await;
    let mut rng = rng(4);
    let catalog = products(90);
    let vectors = seed(&pool, &model, &catalog, &mut rng).await;
    let text = "espresso for a fishing fan";
    let query = common::random_vector(&mut rng, 16);
    let (k, candidates, rrf_k, w_kw, w_sem) = (10usize, 50usize, 60.0, 0.5, 1.0);

    // Oracle: exact keyword ranking (ts_rank over every matching row) and exact semantic
    // ranking, fused here.
    let keyword: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM products, giftvec_keyword_query($1) q
         WHERE search_tsv @@ q ORDER BY ts_rank(search_tsv, q) DESC, id LIMIT $2",
    )
    .bind(text)
    .bind(candidates as i64)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(keyword.len() > 5, "the keyword side must match something");
    let semantic = brute_force(&vectors, &query, candidates, |_| true);
    let mut fused: HashMap<String, f64> = HashMap::new();
    for (rank, id) in keyword.iter().enumerate() {
        *fused.entry(id.clone()).or_default() += w_kw / (rrf_k + rank as f64 + 1.0);
    }
    for (rank, &i) in semantic.iter().enumerate() {
        *fused.entry(catalog[i].id.clone()).or_default() += w_sem / (rrf_k + rank as f64 + 1.0);
    }
    let mut want: Vec<(String, f64)> = fused.into_iter().collect();
    want.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    want.truncate(k);

    let got: Vec<(String, f64)> = sqlx::query_as(
        "SELECT product_id, score FROM hybrid_search_products($1, $2, $3, NULL, $4, $5, $6, $7)",
    )
    .bind(text)
    .bind(pgvector::Vector::from(query))
    .bind(k as i32)
    .bind(w_kw)
    .bind(w_sem)
    .bind(rrf_k as i32)
    .bind(candidates as i32)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(got.len(), k);
    for ((got_id, got_score), (want_id, want_score)) in got.iter().zip(&want) {
        assert_eq!(got_id, want_id);
        assert!((got_score - want_score).abs() < 1e-12);
    }
}

fn keep(catalog: &[store::NewProduct], f: &ProductFilters) -> impl Fn(usize) -> bool {
    move |i| {
        let p = &catalog[i];
        f.category.as_ref().is_none_or(|c| &p.category == c)
            && f.exclude_category.as_ref().is_none_or(|c| &p.category != c)
            && f.min_price.is_none_or(|min| p.price >= min)
            && f.max_price.is_none_or(|max| p.price <= max)
            && f.in_stock.is_none_or(|s| p.in_stock == s)
            && !f.exclude_ids.contains(&p.id)
    }
}

#[sqlx::test]
async fn filtered_search_matches_a_brute_force_oracle(pool: PgPool) {
    let model = common::model(&pool, 24).await;
    let mut rng = rng(5);
    let catalog = products(600);
    let vectors = seed(&pool, &model, &catalog, &mut rng).await;
    let cases = [
        ProductFilters::default(),
        ProductFilters {
            category: Some("Garden".into()),
            ..Default::default()
        },
        ProductFilters {
            exclude_category: Some("Garden".into()),
            ..Default::default()
        },
        ProductFilters {
            min_price: Some(50.0),
            max_price: Some(120.0),
            ..Default::default()
        },
        ProductFilters {
            in_stock: Some(false),
            ..Default::default()
        },
        ProductFilters {
            category: Some("Books".into()),
            in_stock: Some(true),
            max_price: Some(300.0),
            exclude_ids: vec!["p00003".into(), "p00008".into(), "p00013".into()],
            ..Default::default()
        },
    ];
    for filters in cases {
        let query = common::random_vector(&mut rng, 24);
        // ef_search above the row count: the approximate search is exact, so it must equal
        // the oracle item for item.
        let options = SimilarityOptions {
            k: 15,
            ef_search: 1000,
            filters: filters.clone(),
            ..Default::default()
        };
        let hits = store::similarity::nearest(
            &pool,
            &model,
            &Embedding::new(query.clone(), 24).unwrap(),
            &options,
        )
        .await
        .unwrap();
        let got: Vec<&str> = hits.iter().map(|h| h.product.id.as_str()).collect();
        let want: Vec<&str> = brute_force(&vectors, &query, 15, keep(&catalog, &filters))
            .into_iter()
            .map(|i| catalog[i].id.as_str())
            .collect();
        assert_eq!(got, want, "filters {filters:?}");
        assert!(hits.windows(2).all(|w| w[0].distance <= w[1].distance));
    }
}

#[sqlx::test]
async fn a_selective_filter_still_fills_k_with_a_small_candidate_list(pool: PgPool) {
    let model = common::model(&pool, 24).await;
    let mut rng = rng(6);
    let catalog = products(10_000);
    seed(&pool, &model, &catalog, &mut rng).await;
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    // 1 in 5 products is "Gaming", and 6 in 7 of those are in stock. With an ef_search of 10,
    // filtering after the index scan would keep about 2 of the 10 candidates.
    let filters = ProductFilters {
        category: Some("Gaming".into()),
        in_stock: Some(true),
        ..Default::default()
    };
    let options = SimilarityOptions {
        k: 40,
        ef_search: 10,
        filters,
        ..Default::default()
    };
    let query = Embedding::new(common::random_vector(&mut rng, 24), 24).unwrap();
    let plan = store::similarity::explain(&pool, &model, &query, &options)
        .await
        .unwrap();
    assert!(
        plan.contains("Index Scan using product_embeddings_hnsw_"),
        "{plan}"
    );
    let hits = store::similarity::nearest(&pool, &model, &query, &options)
        .await
        .unwrap();
    assert_eq!(hits.len(), 40);
    assert!(
        hits.iter()
            .all(|h| h.product.category == "Gaming" && h.product.in_stock)
    );
}

#[sqlx::test]
async fn min_similarity_and_k_limits(pool: PgPool) {
    let model = common::model(&pool, 8).await;
    let mut rng = rng(7);
    let vectors = seed(&pool, &model, &products(200), &mut rng).await;
    let query = Embedding::new(vectors[0].clone(), 8).unwrap();
    let options = SimilarityOptions {
        k: 50,
        min_similarity: Some(0.6),
        ef_search: 400,
        ..Default::default()
    };
    let hits = store::similarity::nearest(&pool, &model, &query, &options)
        .await
        .unwrap();
    let expected = vectors
        .iter()
        .filter(|v| 1.0 - common::cosine_distance(v, &vectors[0]) >= 0.6)
        .count();
    assert_eq!(hits.len(), expected.min(50));
    assert!(hits.iter().all(|h| h.similarity >= 0.6));
    assert_eq!(hits[0].product.id, "p00000");
    assert!((hits[0].similarity - 1.0).abs() < 1e-6);

    for k in [0, 1001] {
        let options = SimilarityOptions {
            k,
            ..Default::default()
        };
        let err = store::similarity::nearest(&pool, &model, &query, &options)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "invalid_input");
        assert!(
            err.to_string().starts_with("k: must be between 1 and 1000"),
            "{err}"
        );
    }
    let wrong = Embedding::new(vec![1.0; 3], 3).unwrap();
    let err = store::similarity::nearest(&pool, &model, &wrong, &SimilarityOptions::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("3 dimensions"), "{err}");
}
