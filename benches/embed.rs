//! Local embedder throughput (texts per second) for batch sizes 1, 8 and 32 on short and long
//! texts, through the [`Embedder`] as giftvec uses it (batches spread over one forward pass per
//! core; the cache emptied before every call), and the latency of an L1 cache hit. Run through
//! `tools/bench-embed`, which also runs sentence-transformers on the same texts and prints the
//! ratio.
//!
//! Texts: evals/bench/embed_texts.json. Model: GIFTVEC_MODEL_DIR or the default directory.

use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use giftvec::embed::local::default_model_dir;
use giftvec::embed::{Embedder, EmbedderSettings};

fn texts() -> (Vec<String>, Vec<String>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/evals/bench/embed_texts.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let list = |key: &str| -> Vec<String> {
        json[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    (list("short"), list("long"))
}

fn model_dir() -> PathBuf {
    std::env::var_os("GIFTVEC_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(default_model_dir)
}

fn embedder() -> Embedder {
    Embedder::new(&EmbedderSettings::local(model_dir()), None).unwrap()
}

fn throughput(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let embedder = embedder();
    let (short, long) = texts();
    let mut group = c.benchmark_group("local_embed");
    group.sample_size(10);
    for (length, texts) in [("short", &short), ("long", &long)] {
        for batch in [1usize, 8, 32] {
            // Embed `texts` in batches of `batch`: one iteration = the whole list.
            let chunks: Vec<Vec<String>> = texts.chunks(batch).map(<[String]>::to_vec).collect();
            group.throughput(Throughput::Elements(texts.len() as u64));
            group.bench_with_input(BenchmarkId::new(length, batch), &chunks, |b, chunks| {
                b.iter(|| {
                    runtime.block_on(async {
                        for chunk in chunks {
                            for text in chunk {
                                embedder.invalidate_text(text).await;
                            }
                            embedder.embed(chunk).await.unwrap();
                        }
                    })
                })
            });
        }
    }
    group.finish();
}

fn cache_hit(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let embedder = embedder();
    let text = vec!["something for my dad who loves fishing under $50".to_string()];
    runtime.block_on(embedder.embed(&text)).unwrap();
    c.bench_function("l1_hit", |b| {
        b.iter(|| runtime.block_on(embedder.embed(&text)).unwrap())
    });
}

criterion_group!(benches, throughput, cache_hit);
criterion_main!(benches);
