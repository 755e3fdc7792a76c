//! Two-level embedding cache: L1 in-process (`moka`), L2 shared by every sidecar (Redis,
//! optional). Keys are the model name plus the sha256 of the normalised text (whitespace
//! collapsed), so "Fishing  rod" and "Fishing rod" share an entry. A Redis outage degrades to
//! L1 only: errors are logged, Redis is skipped for a cool-down, and no request fails.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moka::future::Cache;
use secrecy::SecretString;
use sha2::{Digest, Sha256};

use super::redis_cache::RedisCache;
use crate::observe::names;

/// Cache settings.
#[derive(Debug, Clone)]
pub struct CacheSettings {
    /// L1 entries.
    pub capacity: u64,
    /// L1 time to live.
    pub ttl: Duration,
    /// Redis URL for L2 (`GIFTVEC_REDIS_URL`); `None` disables L2.
    pub redis_url: Option<SecretString>,
    /// L2 time to live.
    pub redis_ttl: Duration,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            capacity: 100_000,
            ttl: Duration::from_secs(24 * 3600),
            redis_url: None,
            redis_ttl: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// Cache key: model + sha256 of the normalised text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    /// Model name.
    pub model: Arc<str>,
    /// sha256 of the normalised text.
    pub hash: [u8; 32],
}

impl CacheKey {
    /// The key of `text` under `model`.
    pub fn new(model: &Arc<str>, text: &str) -> Self {
        let normalised = text.split_whitespace().collect::<Vec<_>>().join(" ");
        Self {
            model: Arc::clone(model),
            hash: Sha256::digest(normalised.as_bytes()).into(),
        }
    }
}

/// A cached embedding with what is known about its input.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedEmbedding {
    /// The vector.
    pub vector: Arc<[f32]>,
    /// Tokens of the (possibly truncated) input.
    pub tokens: u32,
    /// Whether the input was truncated.
    pub truncated: bool,
}

/// Where a cached embedding was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheLevel {
    /// In-process.
    L1,
    /// Redis.
    L2,
}

/// Hit and miss counters per level.
#[derive(Debug, Default)]
pub struct CacheCounters {
    /// L1 hits.
    pub l1_hits: AtomicU64,
    /// L1 misses.
    pub l1_misses: AtomicU64,
    /// L2 hits.
    pub l2_hits: AtomicU64,
    /// L2 misses (including lookups skipped while Redis is down).
    pub l2_misses: AtomicU64,
    /// Redis errors.
    pub l2_errors: AtomicU64,
}

/// The two-level cache.
pub struct EmbeddingCache {
    l1: Cache<CacheKey, CachedEmbedding>,
    l2: Option<RedisCache>,
    /// Counters for metrics and tests.
    pub counters: CacheCounters,
}

impl EmbeddingCache {
    /// Whether a Redis second level is configured.
    pub fn has_l2(&self) -> bool {
        self.l2.is_some()
    }

    /// Builds the cache. Redis is connected lazily: an outage at start only means L1 until it
    /// answers.
    pub fn new(settings: &CacheSettings) -> Self {
        let l1 = Cache::builder()
            .max_capacity(settings.capacity)
            .time_to_live(settings.ttl)
            .support_invalidation_closures()
            .build();
        let l2 = match &settings.redis_url {
            Some(url) => RedisCache::connect(url, settings.redis_ttl),
            None => None,
        };
        Self {
            l1,
            l2,
            counters: CacheCounters::default(),
        }
    }

    /// Looks up every key: L1 first, then L2 for the L1 misses (filling L1 from L2).
    pub async fn get_many(&self, keys: &[CacheKey]) -> Vec<Option<(CachedEmbedding, CacheLevel)>> {
        let mut found = Vec::with_capacity(keys.len());
        let mut l1_missing = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let hit = self.l1.get(key).await;
            let (counter, result) = if hit.is_some() {
                (&self.counters.l1_hits, "hit")
            } else {
                (&self.counters.l1_misses, "miss")
            };
            counter.fetch_add(1, Ordering::Relaxed);
            metrics::counter!(names::CACHE_REQUESTS, "level" => "l1", "result" => result)
                .increment(1);
            if hit.is_none() {
                l1_missing.push(i);
            }
            found.push(hit.map(|e| (e, CacheLevel::L1)));
        }
        if l1_missing.is_empty() {
            return found;
        }
        if self.l2.is_none() {
            // No Redis configured: there is no second level to count lookups for.
            return found;
        }
        let wanted: Vec<&CacheKey> = l1_missing.iter().map(|&i| &keys[i]).collect();
        let from_l2 = self.l2_get(&wanted).await;
        for (&i, hit) in l1_missing.iter().zip(from_l2) {
            let (counter, result) = if hit.is_some() {
                (&self.counters.l2_hits, "hit")
            } else {
                (&self.counters.l2_misses, "miss")
            };
            counter.fetch_add(1, Ordering::Relaxed);
            metrics::counter!(names::CACHE_REQUESTS, "level" => "l2", "result" => result)
                .increment(1);
            if let Some(entry) = hit {
                self.l1.insert(keys[i].clone(), entry.clone()).await;
                found[i] = Some((entry, CacheLevel::L2));
            }
        }
        found
    }

    /// Stores entries in L1 and L2.
    pub async fn put_many(&self, entries: &[(CacheKey, CachedEmbedding)]) {
        for (key, entry) in entries {
            self.l1.insert(key.clone(), entry.clone()).await;
        }
        if let Some(redis) = self.l2_available() {
            let outcome = redis.put_many(entries).await;
            self.l2_outcome(redis, outcome);
        }
    }

    /// Forgets one text of one model, in both levels.
    pub async fn invalidate(&self, key: &CacheKey) {
        self.l1.invalidate(key).await;
        if let Some(redis) = self.l2_available() {
            let outcome = redis.delete(key).await;
            self.l2_outcome(redis, outcome);
        }
    }

    /// Forgets every text of `model`, in both levels.
    pub async fn invalidate_model(&self, model: &str) {
        let model_owned: Arc<str> = model.into();
        let _ = self
            .l1
            .invalidate_entries_if(move |key, _| key.model == model_owned);
        if let Some(redis) = self.l2_available() {
            let outcome = redis.delete_model(model).await;
            self.l2_outcome(redis, outcome);
        }
    }

    async fn l2_get(&self, keys: &[&CacheKey]) -> Vec<Option<CachedEmbedding>> {
        let Some(redis) = self.l2_available() else {
            return vec![None; keys.len()];
        };
        let outcome = redis.get_many(keys).await;
        self.l2_outcome(redis, outcome)
            .unwrap_or_else(|| vec![None; keys.len()])
    }

    fn l2_available(&self) -> Option<&RedisCache> {
        self.l2.as_ref().filter(|redis| redis.is_available())
    }

    /// Passes a Redis result on; an error is counted, logged and starts the cool-down.
    fn l2_outcome<T>(&self, redis: &RedisCache, outcome: redis::RedisResult<T>) -> Option<T> {
        match outcome {
            Ok(value) => Some(value),
            Err(err) => {
                self.counters.l2_errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %err, "redis cache unavailable; using the in-process cache only");
                redis.cool_down();
                None
            }
        }
    }
}
