//! The embedding service: one [`Embedder`] in front of a provider (local MiniLM or an
//! OpenAI-compatible API) that every search, recommendation and pipeline feature calls.
//!
//! A call goes: normalise and key each text → L1, then L2 cache → texts nobody is computing
//! yet are claimed (concurrent requests for the same text wait for one provider call) →
//! budget check → token counting and truncation → length-sorted batches within the provider's
//! limits, run concurrently up to a bound → each batch under timeout, retries, circuit breaker
//! and rate limits → every vector validated → caches filled → results in input order.

mod breaker;
mod budget;
mod cache;
mod embedder;
pub mod local;
pub mod openai;
mod openai_http;
mod plan;
mod provider;
mod redis_cache;
pub mod resilience;
mod run;

pub use budget::{BudgetSettings, BudgetStatus};
pub use cache::{CacheCounters, CacheKey, CacheLevel, CacheSettings, CachedEmbedding};
pub use embedder::Embedder;
pub use provider::{EmbeddingProvider, ModelInfo, Prepared, ProviderBatch, ProviderError};
pub use resilience::{CircuitState, ResilienceSettings};

use std::path::PathBuf;

use serde::Serialize;

use crate::store::Embedding;

/// Which provider, and its settings.
#[derive(Debug, Clone)]
pub enum ProviderSettings {
    /// all-MiniLM-L6-v2 in-process, from this directory.
    Local {
        /// Model directory (`tools/fetch-model` prints it).
        model_dir: PathBuf,
    },
    /// An OpenAI-compatible API.
    OpenAi(openai::OpenAiSettings),
}

/// Everything the embedder is built from.
#[derive(Debug, Clone)]
pub struct EmbedderSettings {
    /// The provider.
    pub provider: ProviderSettings,
    /// Provider calls in flight at once, across all requests (0: one per core for local, 4 for
    /// remote).
    pub concurrency: usize,
    /// Caches.
    pub cache: CacheSettings,
    /// Timeout, retries, breaker, rate limits.
    pub resilience: ResilienceSettings,
    /// Daily budget.
    pub budget: BudgetSettings,
    /// HNSW build parameters of the model's index, used when the model is first registered.
    pub index: crate::store::HnswParams,
}

impl EmbedderSettings {
    /// The local model from `model_dir`, with default cache, resilience and budget.
    pub fn local(model_dir: PathBuf) -> Self {
        Self {
            provider: ProviderSettings::Local { model_dir },
            concurrency: 0,
            cache: CacheSettings::default(),
            resilience: ResilienceSettings::default(),
            budget: BudgetSettings::default(),
            index: crate::store::HnswParams::default(),
        }
    }
}

/// Where an embedding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The in-process cache.
    L1,
    /// The shared Redis cache.
    L2,
    /// A provider call (this request's or a concurrent one's).
    Provider,
}

/// One embedded text.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedded {
    /// The vector (validated: model dimension, finite, non-zero).
    pub embedding: Embedding,
    /// Tokens of the input, as the provider counts them.
    pub tokens: u32,
    /// Whether the input was cut at the model's token limit.
    pub truncated: bool,
    /// Where it came from.
    pub source: Source,
}

/// The result of [`Embedder::embed`].
#[derive(Debug, Clone, PartialEq)]
pub struct EmbedOutput {
    /// Model name.
    pub model: String,
    /// Vector dimension.
    pub dimensions: usize,
    /// One per input text, in input order.
    pub items: Vec<Embedded>,
}

impl EmbedOutput {
    /// How many inputs were served from a cache.
    pub fn cache_hits(&self) -> usize {
        self.items
            .iter()
            .filter(|i| i.source != Source::Provider)
            .count()
    }

    /// Tokens of the inputs that went to the provider.
    pub fn provider_tokens(&self) -> u64 {
        self.items
            .iter()
            .filter(|i| i.source == Source::Provider)
            .map(|i| u64::from(i.tokens))
            .sum()
    }
}
