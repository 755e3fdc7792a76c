//! Storing vectors: exact round trips, one dimension per model, bad vectors refused.

use giftvec::store::{
    self, Distance, Embedding, HnswParams, NewModel, Provider, embeddings::NewEmbedding,
};
use sqlx::PgPool;

use crate::common::{self, products, rng};

fn model_spec(name: &str, dimensions: i32) -> NewModel {
    NewModel {
        name: name.into(),
        provider: Provider::Openai,
        dimensions,
        distance: Distance::Cosine,
        hnsw: HnswParams::default(),
    }
}

#[sqlx::test]
async fn vectors_round_trip_exactly_for_models_of_different_dimensions(pool: PgPool) {
    let catalog = products(3);
    store::products::upsert_batch(&pool, &catalog)
        .await
        .unwrap();
    let mut rng = rng(10);
    for (name, dims) in [("all-MiniLM-L6-v2", 384), ("text-embedding-3-small", 1536)] {
        let model = store::models::register(&pool, &model_spec(name, dims))
            .await
            .unwrap();
        let texts = store::embeddings::product_texts(&pool, &[catalog[1].id.clone()])
            .await
            .unwrap();
        let values = common::random_vector(&mut rng, dims as usize);
        let row = NewEmbedding {
            product_id: catalog[1].id.clone(),
            embedding: Embedding::new(values.clone(), dims as usize).unwrap(),
            content_hash: texts[0].content_hash.clone(),
        };
        store::embeddings::upsert(&pool, &model, &[row])
            .await
            .unwrap();
        let back = store::embeddings::get(&pool, &model, &catalog[1].id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(back.as_slice(), values.as_slice());
    }
    let per_model: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT model) FROM product_embeddings WHERE product_id = $1",
    )
    .bind(&catalog[1].id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(per_model, 2);
}

#[sqlx::test]
async fn the_embedding_text_and_hash_come_from_the_product(pool: PgPool) {
    let mut catalog = products(1);
    catalog[0].title = "Pour-over coffee set".into();
    catalog[0].tags = vec!["coffee".into(), "barista".into()];
    store::products::upsert_batch(&pool, &catalog)
        .await
        .unwrap();
    let texts = store::embeddings::product_texts(&pool, &[catalog[0].id.clone()])
        .await
        .unwrap();
    let text = &texts[0].text;
    assert!(
        text.starts_with("Pour-over coffee set\nCategory: Coffee\nTags: coffee, barista\n"),
        "{text}"
    );
    assert_eq!(texts[0].content_hash.len(), 32);
    catalog[0].price = 99.0;
    store::products::upsert_batch(&pool, &catalog)
        .await
        .unwrap();
    let again = store::embeddings::product_texts(&pool, &[catalog[0].id.clone()])
        .await
        .unwrap();
    assert_eq!(
        again[0].content_hash, texts[0].content_hash,
        "price is not embedded"
    );
    catalog[0].description = "Now with a kettle.".into();
    store::products::upsert_batch(&pool, &catalog)
        .await
        .unwrap();
    let changed = store::embeddings::product_texts(&pool, &[catalog[0].id.clone()])
        .await
        .unwrap();
    assert_ne!(changed[0].content_hash, texts[0].content_hash);
}

#[sqlx::test]
async fn wrong_dimensions_are_refused_in_rust_and_in_the_database(pool: PgPool) {
    let model = common::model(&pool, 8).await;
    store::products::upsert_batch(&pool, &products(1))
        .await
        .unwrap();
    let row = NewEmbedding {
        product_id: "p00000".into(),
        embedding: Embedding::new(vec![1.0; 4], 4).unwrap(),
        content_hash: vec![0; 32],
    };
    let err = store::embeddings::upsert(&pool, &model, &[row])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(err.to_string().contains("4 dimensions"), "{err}");

    // Written by someone else, straight into the table: the trigger refuses it too.
    let err = sqlx::query(
        "INSERT INTO product_embeddings (product_id, model, embedding, content_hash)
         VALUES ('p00000', $1, '[1,2,3]', sha256('x'))",
    )
    .bind(&model.name)
    .execute(&pool)
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("has 3 dimensions; the model has 8"),
        "{err}"
    );
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM product_embeddings")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

#[sqlx::test]
async fn nan_and_empty_vectors_never_reach_the_database(pool: PgPool) {
    common::model(&pool, 3).await;
    for bad in [vec![], vec![f32::NAN, 0.0, 1.0], vec![0.0, 0.0, 0.0]] {
        let err = store::Embedding::new(bad, 3)
            .map_err(giftvec::Error::from)
            .unwrap_err();
        assert_eq!(err.code(), "invalid_input");
        assert!(err.to_string().starts_with("embedding: "), "{err}");
    }
    // pgvector itself refuses NaN, should anything bypass the type.
    let err = sqlx::query("SELECT '[NaN,1,2]'::vector")
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("NaN not allowed"), "{err}");
}

#[sqlx::test]
async fn re_registering_a_model_with_another_dimension_is_refused(pool: PgPool) {
    store::models::register(&pool, &model_spec("m", 384))
        .await
        .unwrap();
    store::models::register(&pool, &model_spec("m", 384))
        .await
        .unwrap();
    let err = store::models::register(&pool, &model_spec("m", 1536))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("registered with 384 dimensions"),
        "{err}"
    );
    let err = store::models::register(&pool, &model_spec("bad name'; --", 3))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    let models = store::models::list(&pool).await.unwrap();
    assert_eq!(models.len(), 1);
    assert_eq!(store::models::active(&pool).await.unwrap(), None);
    let active = store::models::activate(&pool, "m").await.unwrap();
    assert!(active.is_active);
    let err = store::models::activate(&pool, "missing").await.unwrap_err();
    assert_eq!(err.code(), "not_found");
}

#[sqlx::test]
async fn a_new_models_index_is_built_with_the_configured_hnsw_parameters(pool: PgPool) {
    let fake = crate::fake_openai::Fake::start(8).await;
    let mut settings = fake.settings(8);
    settings.index = HnswParams {
        m: 8,
        ef_construction: 40,
    };
    let embedder = giftvec::embed::Embedder::new(&settings, None).unwrap();
    let app = giftvec::app::App::with_embedder(pool.clone(), embedder)
        .await
        .unwrap();
    assert_eq!(app.model.hnsw, settings.index);
    let definition: String = sqlx::query_scalar(
        "SELECT indexdef FROM pg_indexes WHERE indexname = giftvec_model_index_name($1)",
    )
    .bind(&app.model.name)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        definition.contains("m='8'") && definition.contains("ef_construction='40'"),
        "{definition}"
    );

    settings.index.ef_construction = 10;
    let err = giftvec::embed::Embedder::new(&settings, None)
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "GIFTVEC_HNSW_EF_CONSTRUCTION must be between 2 × GIFTVEC_HNSW_M (16) and 1000, got 10"
    );
}
