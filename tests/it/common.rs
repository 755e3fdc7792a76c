//! Shared fixtures: test models, products, vectors and brute-force oracles.

use giftvec::store::{
    self, Distance, EmbeddingModel, HnswParams, NewModel, NewProduct, Provider,
    embeddings::NewEmbedding,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::PgPool;

/// Categories used by [`products`].
pub const CATEGORIES: [&str; 5] = ["Coffee", "Garden", "Gaming", "Books", "Outdoors"];

/// A seeded random generator, so failures reproduce.
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Registers and activates a cosine model of `dimensions`.
pub async fn model(pool: &PgPool, dimensions: i32) -> EmbeddingModel {
    let model = store::models::register(
        pool,
        &NewModel {
            name: format!("test-{dimensions}"),
            provider: Provider::Local,
            dimensions,
            distance: Distance::Cosine,
            hnsw: HnswParams::default(),
        },
    )
    .await
    .unwrap();
    store::models::activate(pool, &model.name).await.unwrap()
}

/// `n` products spread over [`CATEGORIES`], prices 5..500, every 7th out of stock.
pub fn products(n: usize) -> Vec<NewProduct> {
    (0..n)
        .map(|i| NewProduct {
            id: format!("p{i:05}"),
            sku: Some(format!("SKU-{i}")),
            title: format!("Product {i} {}", WORDS[i % WORDS.len()]),
            description: format!("A {} gift, number {i}.", WORDS[(i * 7 + 3) % WORDS.len()]),
            category: CATEGORIES[i % CATEGORIES.len()].to_string(),
            tags: vec![WORDS[(i * 3) % WORDS.len()].to_string()],
            price: 5.0 + ((i * 37) % 496) as f64,
            currency: "USD".into(),
            in_stock: i % 7 != 0,
            attributes: serde_json::json!({}),
        })
        .collect()
}

const WORDS: [&str; 12] = [
    "espresso", "fishing", "garden", "chess", "candle", "hiking", "novel", "puzzle", "tea",
    "camera", "yoga", "whisky",
];

/// A random vector with components in [-1, 1).
pub fn random_vector(rng: &mut StdRng, dimensions: usize) -> Vec<f32> {
    (0..dimensions)
        .map(|_| rng.random_range(-1.0f32..1.0))
        .collect()
}

/// Inserts `products` and one random embedding each for `model`; returns the vectors by index.
pub async fn seed(
    pool: &PgPool,
    model: &EmbeddingModel,
    products: &[NewProduct],
    rng: &mut StdRng,
) -> Vec<Vec<f32>> {
    store::products::upsert_batch(pool, products).await.unwrap();
    let vectors: Vec<Vec<f32>> = products
        .iter()
        .map(|_| random_vector(rng, model.dimensions as usize))
        .collect();
    let rows: Vec<NewEmbedding> = products
        .iter()
        .zip(&vectors)
        .map(|(p, v)| NewEmbedding {
            product_id: p.id.clone(),
            embedding: store::Embedding::new(v.clone(), v.len()).unwrap(),
            content_hash: vec![0; 32],
        })
        .collect();
    for chunk in rows.chunks(1000) {
        store::embeddings::upsert(pool, model, chunk).await.unwrap();
    }
    vectors
}

/// Cosine distance computed in f64, the oracle's metric.
pub fn cosine_distance(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    1.0 - dot / (na * nb)
}

/// Indexes of `vectors` (restricted to `keep`) nearest to `query`, exact.
pub fn brute_force(
    vectors: &[Vec<f32>],
    query: &[f32],
    k: usize,
    keep: impl Fn(usize) -> bool,
) -> Vec<usize> {
    let mut scored: Vec<(f64, usize)> = vectors
        .iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(i, v)| (cosine_distance(v, query), i))
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(k).map(|(_, i)| i).collect()
}

/// A `postgres://` URL for the database behind `pool` (for running the binary against it).
pub fn url_of(pool: &PgPool) -> String {
    let o = pool.connect_options();
    format!(
        "postgres://{}@{}:{}/{}",
        o.get_username(),
        o.get_host(),
        o.get_port(),
        o.get_database().unwrap_or("postgres")
    )
}

/// A JSON-RPC 2.0 call to `url` (a server's `/rpc`); the whole response object.
pub async fn rpc_at(url: &str, method: &str, params: serde_json::Value) -> serde_json::Value {
    reqwest::Client::new()
        .post(url)
        .json(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Calls the tool `name` the way every transport does (schema check, parse, run) and returns
/// its typed output.
pub async fn call_tool<T: serde::de::DeserializeOwned>(
    app: &giftvec::app::App,
    name: &str,
    arguments: serde_json::Value,
) -> giftvec::Result<T> {
    let tool = giftvec::tools::find(name).expect("a catalog tool");
    let value = tool.call(app.clone(), arguments).await?;
    Ok(serde_json::from_value(value).expect("the output parses as the tool's output type"))
}

/// One MCP request over plain HTTP, as a stateless client sends it.
pub async fn mcp_post(url: &str, body: serde_json::Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The last `n` lines of a tool's output, each cut to 400 characters (for failure messages).
pub fn last_lines(out: &str, n: usize) -> String {
    let lines: Vec<&str> = out.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| format!("{}\n", l.chars().take(400).collect::<String>()))
        .collect()
}
