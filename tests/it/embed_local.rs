//! The local all-MiniLM-L6-v2 embedder: its vectors match sentence-transformers', related
//! texts score above unrelated ones, and the `embed_text` tool's limits.

use std::path::PathBuf;

use giftvec::app::App;
use giftvec::embed::local::default_model_dir;
use giftvec::embed::{Embedder, EmbedderSettings, ProviderSettings};
use giftvec::tools::embed_text;
use sqlx::PgPool;

/// The model directory: GIFTVEC_MODEL_DIR (tools/test sets it) or giftvec's default.
pub fn model_dir() -> PathBuf {
    std::env::var_os("GIFTVEC_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(default_model_dir)
}

pub fn local_settings() -> EmbedderSettings {
    EmbedderSettings::local(model_dir())
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    1.0 - crate::common::cosine_distance(a, b)
}

#[derive(serde::Deserialize)]
struct Reference {
    texts: Vec<ReferenceText>,
}

#[derive(serde::Deserialize)]
struct ReferenceText {
    text: String,
    vector: Vec<f32>,
}

#[tokio::test]
async fn vectors_match_sentence_transformers() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/minilm_reference.json"
    );
    let reference: Reference =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(reference.texts.len() >= 20);
    let embedder = Embedder::new(&local_settings(), None).unwrap();
    let texts: Vec<String> = reference.texts.iter().map(|r| r.text.clone()).collect();
    let out = embedder.embed(&texts).await.unwrap();
    assert_eq!(out.model, "all-MiniLM-L6-v2");
    assert_eq!(out.dimensions, 384);
    for (r, item) in reference.texts.iter().zip(&out.items) {
        let similarity = cosine(&r.vector, item.embedding.as_slice());
        assert!(similarity >= 0.999, "{:?}: cosine {similarity}", r.text);
        let norm: f32 = item.embedding.as_slice().iter().map(|x| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-4, "unit length");
    }
    let long = out.items.last().unwrap();
    assert!(
        long.truncated,
        "the 30-sentence text is past the 256-token window"
    );
    assert_eq!(long.tokens, 256);
}

#[tokio::test]
async fn related_texts_score_clearly_above_unrelated_ones() {
    let embedder = Embedder::new(&local_settings(), None).unwrap();
    let texts: Vec<String> = [
        "espresso machine",
        "gift for a coffee lover",
        "children's bike helmet",
        "fly fishing starter kit",
        "present for my dad who loves fishing",
        "scented soy candle",
    ]
    .map(String::from)
    .to_vec();
    let v: Vec<Vec<f32>> = embedder
        .embed(&texts)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|i| i.embedding.into())
        .collect();
    let coffee = cosine(&v[0], &v[1]);
    let fishing = cosine(&v[3], &v[4]);
    for unrelated in [
        cosine(&v[0], &v[2]),
        cosine(&v[0], &v[4]),
        cosine(&v[3], &v[5]),
        cosine(&v[1], &v[2]),
    ] {
        assert!(
            coffee > unrelated + 0.15,
            "coffee {coffee} vs unrelated {unrelated}"
        );
        assert!(
            fishing > unrelated + 0.15,
            "fishing {fishing} vs unrelated {unrelated}"
        );
    }
}

#[tokio::test]
async fn a_missing_model_says_what_to_run() {
    let settings = EmbedderSettings {
        provider: ProviderSettings::Local {
            model_dir: "/nonexistent/models/minilm".into(),
        },
        ..local_settings()
    };
    let err = Embedder::new(&settings, None).err().unwrap();
    assert_eq!(err.code(), "not_ready");
    assert!(err.to_string().contains("run tools/fetch-model"), "{err}");
    assert!(err.to_string().contains("GIFTVEC_MODEL_DIR"), "{err}");
}

#[sqlx::test]
async fn embed_text_returns_vectors_and_checks_its_input(pool: PgPool) {
    let app = App::from_pool(pool, &local_settings()).await.unwrap();
    let input = embed_text::Input {
        texts: vec!["yoga mat".into(), "cork yoga mat".into()],
    };
    let out = embed_text::call(&app, input.clone()).await.unwrap();
    assert_eq!(
        (out.model.as_str(), out.dimensions, out.embeddings.len()),
        ("all-MiniLM-L6-v2", 384, 2)
    );
    assert_eq!(out.cache_hits, 0);
    assert!(out.tokens > 4);
    assert!(out.truncated.is_empty());
    let again = embed_text::call(&app, input).await.unwrap();
    assert_eq!(again.cache_hits, 2);
    assert_eq!(again.embeddings, out.embeddings);

    let bad = |texts: Vec<String>| {
        crate::common::call_tool::<serde_json::Value>(
            &app,
            "embed_text",
            serde_json::json!({"texts": texts}),
        )
    };
    let err = bad(vec![]).await.unwrap_err();
    assert_eq!(err.to_string(), "texts: must hold 1 to 256 entries, got 0");
    let err = bad(vec!["ok".into(); 257]).await.unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    let err = bad(vec!["ok".into(), "   ".into()]).await.unwrap_err();
    assert!(err.to_string().starts_with("texts[1]: is blank"), "{err}");
    let err = bad(vec!["x".repeat(1 << 20)]).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "texts[0]: must be 1 to 32000 characters, got 1048576"
    );

    let active = giftvec::store::models::active(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (active.name.as_str(), active.dimensions),
        ("all-MiniLM-L6-v2", 384)
    );
}
