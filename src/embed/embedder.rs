//! [`Embedder`]: the service's front door — caches, then one shared computation per text
//! however many requests want it at once, which stops (provider calls, retries and all) when
//! the last request that wants it is dropped.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::store::Db;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared, WeakShared};
use tokio::sync::Semaphore;
use tokio_util::task::AbortOnDropHandle;

use super::budget::{Budget, BudgetStatus};
use super::cache::{CacheCounters, CacheKey, CacheLevel, CachedEmbedding, EmbeddingCache};
use super::provider::{EmbeddingProvider, ModelInfo, ProviderError};
use super::resilience::{CircuitState, Guard};
use super::{EmbedOutput, Embedded, EmbedderSettings, ProviderSettings, Source, local, openai};
use crate::Error;
use crate::store::{Embedding, NewModel};

/// Cloneable failure of a shared batch (every waiter gets a copy).
#[derive(Debug, Clone)]
pub(super) enum Failure {
    Circuit(Duration),
    Provider(ProviderError),
    Budget(String),
    Internal(String),
}

pub(super) type Computed = Arc<HashMap<CacheKey, CachedEmbedding>>;
type SharedBatch = Shared<BoxFuture<'static, Result<Computed, Failure>>>;

/// A computation in flight as the in-flight table holds it: the table alone does not keep it
/// running (its waiters do), and `id` tells this computation's entries from a later one's.
struct InFlight {
    id: u64,
    batch: WeakShared<BoxFuture<'static, Result<Computed, Failure>>>,
}

/// The embedding service; cheap to clone.
#[derive(Clone)]
pub struct Embedder {
    inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) provider: Box<dyn EmbeddingProvider>,
    pub(super) model: Arc<str>,
    pub(super) cache: EmbeddingCache,
    pub(super) guard: Guard,
    pub(super) budget: Budget,
    pub(super) calls: Semaphore,
    pub(super) concurrency: usize,
    index: crate::store::HnswParams,
    inflight: Mutex<HashMap<CacheKey, InFlight>>,
    next_batch: AtomicU64,
}

impl Embedder {
    /// Builds the provider named by `settings` (loading the local model, or checking the
    /// OpenAI settings); `pool` persists usage and shares the budget across sidecars.
    pub fn new(settings: &EmbedderSettings, pool: Option<Db>) -> Result<Self, Error> {
        settings.index.check()?;
        let (provider, default_concurrency): (Box<dyn EmbeddingProvider>, usize) =
            match &settings.provider {
                ProviderSettings::Local { model_dir } => (
                    Box::new(local::LocalProvider::load(model_dir)?),
                    local::default_concurrency(),
                ),
                ProviderSettings::OpenAi(openai) => (
                    Box::new(openai::OpenAiProvider::new(
                        openai,
                        settings.resilience.timeout,
                    )?),
                    4,
                ),
            };
        Ok(Self::with_provider(
            provider,
            settings,
            default_concurrency,
            pool,
        ))
    }

    /// Wraps an already built provider.
    pub fn with_provider(
        provider: Box<dyn EmbeddingProvider>,
        settings: &EmbedderSettings,
        default_concurrency: usize,
        pool: Option<Db>,
    ) -> Self {
        let concurrency = match settings.concurrency {
            0 => default_concurrency,
            n => n,
        };
        Self {
            inner: Arc::new(Inner {
                model: provider.info().name.as_str().into(),
                provider,
                cache: EmbeddingCache::new(&settings.cache),
                guard: Guard::new(settings.resilience.clone()),
                budget: Budget::new(pool, settings.budget),
                calls: Semaphore::new(concurrency.max(1)),
                concurrency: concurrency.max(1),
                index: settings.index,
                inflight: Mutex::new(HashMap::new()),
                next_batch: AtomicU64::new(0),
            }),
        }
    }

    /// The model behind this embedder.
    pub fn info(&self) -> &ModelInfo {
        self.inner.provider.info()
    }

    /// The registry row this model needs (see `store::models::register`).
    pub fn model_spec(&self) -> NewModel {
        let info = self.info();
        NewModel {
            name: info.name.clone(),
            provider: info.provider,
            dimensions: info.dimensions as i32,
            distance: crate::store::Distance::Cosine,
            hnsw: self.inner.index,
        }
    }

    /// Tokens of `text` as the model counts them (after truncation at its limit).
    pub fn count_tokens(&self, text: &str) -> usize {
        self.inner.provider.prepare(text).tokens
    }

    /// The circuit breaker's state (search falls back to keyword mode when it is not closed).
    pub fn circuit(&self) -> CircuitState {
        self.inner.guard.circuit()
    }

    /// Today's spend against the budget.
    pub fn budget(&self) -> BudgetStatus {
        self.inner.budget.status()
    }

    /// Cache hit and miss counters.
    pub fn cache_counters(&self) -> &CacheCounters {
        &self.inner.cache.counters
    }

    /// Whether the Redis second cache level is configured.
    pub fn has_redis_cache(&self) -> bool {
        self.inner.cache.has_l2()
    }

    /// Forgets the cached embedding of `text` (both levels).
    pub async fn invalidate_text(&self, text: &str) {
        let key = CacheKey::new(&self.inner.model, text);
        self.inner.cache.invalidate(&key).await;
    }

    /// Forgets every cached embedding of this model (both levels).
    pub async fn invalidate_model(&self) {
        self.inner.cache.invalidate_model(&self.inner.model).await;
    }

    /// Embeds `texts`; results are in input order.
    pub async fn embed(&self, texts: &[String]) -> Result<EmbedOutput, Error> {
        let inner = &self.inner;
        let keys: Vec<CacheKey> = texts
            .iter()
            .map(|t| CacheKey::new(&inner.model, t))
            .collect();
        let found = inner.cache.get_many(&keys).await;
        let mut missing: Vec<(CacheKey, String)> = Vec::new();
        for ((key, text), hit) in keys.iter().zip(texts).zip(&found) {
            if hit.is_none() && !missing.iter().any(|(k, _)| k == key) {
                missing.push((key.clone(), text.clone()));
            }
        }
        let computed = if missing.is_empty() {
            HashMap::new()
        } else {
            self.compute(missing).await?
        };
        let dimensions = self.info().dimensions;
        let items = keys
            .iter()
            .zip(found)
            .map(|(key, hit)| {
                let (entry, source) = match hit {
                    Some((entry, CacheLevel::L1)) => (entry, Source::L1),
                    Some((entry, CacheLevel::L2)) => (entry, Source::L2),
                    None => (computed[key].clone(), Source::Provider),
                };
                Ok(Embedded {
                    embedding: Embedding::new(entry.vector.to_vec(), dimensions)?,
                    tokens: entry.tokens,
                    truncated: entry.truncated,
                    source,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(EmbedOutput {
            model: inner.model.to_string(),
            dimensions,
            items,
        })
    }

    /// Claims the keys nobody is computing, joins the computations of the others. A
    /// computation runs as its own task, so one waiter going away does not stop it for the
    /// others; when the last one goes, the task is aborted.
    async fn compute(
        &self,
        missing: Vec<(CacheKey, String)>,
    ) -> Result<HashMap<CacheKey, CachedEmbedding>, Error> {
        let mut waits: Vec<SharedBatch> = Vec::new();
        {
            let mut inflight = self
                .inner
                .inflight
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let mut mine = Vec::new();
            for (key, text) in missing {
                match inflight.get(&key).and_then(|f| f.batch.upgrade()) {
                    Some(batch) => waits.push(batch),
                    None => mine.push((key, text)),
                }
            }
            if !mine.is_empty() {
                let keys: Vec<CacheKey> = mine.iter().map(|(k, _)| k.clone()).collect();
                let inner = Arc::clone(&self.inner);
                let id = self.inner.next_batch.fetch_add(1, Ordering::Relaxed);
                let claim = Claim {
                    inner: Arc::clone(&inner),
                    keys: keys.clone(),
                    id,
                };
                let task = AbortOnDropHandle::new(tokio::spawn(async move {
                    let _claim = claim;
                    inner.run(mine).await
                }));
                let batch: SharedBatch = async move {
                    task.await
                        .unwrap_or_else(|e| Err(Failure::Internal(e.to_string())))
                }
                .boxed()
                .shared();
                if let Some(weak) = batch.downgrade() {
                    for key in keys {
                        inflight.insert(
                            key,
                            InFlight {
                                id,
                                batch: weak.clone(),
                            },
                        );
                    }
                }
                waits.push(batch);
            }
        }
        let mut merged = HashMap::new();
        for batch in waits {
            let computed = batch.await.map_err(|f| self.inner.error(f))?;
            merged.extend(computed.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        Ok(merged)
    }
}

/// Releases claimed keys when a computation ends, however it ends (finished, failed or
/// aborted), unless a later computation has claimed them since.
struct Claim {
    inner: Arc<Inner>,
    keys: Vec<CacheKey>,
    id: u64,
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut inflight = self
            .inner
            .inflight
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for key in &self.keys {
            if inflight.get(key).is_some_and(|f| f.id == self.id) {
                inflight.remove(key);
            }
        }
    }
}
