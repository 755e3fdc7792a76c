//! The L2 half of the embedding cache: Redis, shared by every sidecar. Entries are stored
//! under `giftvec:emb:v1:<model>:<sha256 hex>` as little-endian bytes (token count, truncated
//! flag, then the f32 components). After an error Redis is left alone for a few seconds, so an
//! outage costs one short timeout, not one per request.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, RedisResult};
use secrecy::{ExposeSecret, SecretString};

use super::cache::{CacheKey, CachedEmbedding};

/// How long Redis is left alone after an error.
const COOL_DOWN: Duration = Duration::from_secs(5);

/// A lazily connected Redis with a cool-down after errors.
pub(super) struct RedisCache {
    conn: ConnectionManager,
    ttl: Duration,
    down_until: Mutex<Option<Instant>>,
}

fn redis_key(key: &CacheKey) -> String {
    let hex: String = key.hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}{hex}", model_prefix(&key.model))
}

fn model_prefix(model: &str) -> String {
    format!("giftvec:emb:v1:{model}:")
}

impl CachedEmbedding {
    pub(super) fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(5 + self.vector.len() * 4);
        bytes.extend_from_slice(&self.tokens.to_le_bytes());
        bytes.push(u8::from(self.truncated));
        for v in self.vector.iter() {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        bytes
    }

    pub(super) fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() < 5 || !(bytes.len() - 5).is_multiple_of(4) {
            return None;
        }
        let tokens = u32::from_le_bytes(bytes[..4].try_into().ok()?);
        let vector: Vec<f32> = bytes[5..]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Some(Self {
            vector: vector.into(),
            tokens,
            truncated: bytes[4] == 1,
        })
    }
}

impl RedisCache {
    /// Sets up the connection without connecting: an outage at start only means L1 until
    /// Redis answers. `None` when the URL is unusable.
    pub(super) fn connect(url: &SecretString, ttl: Duration) -> Option<Self> {
        let client = match redis::Client::open(url.expose_secret()) {
            Ok(client) => client,
            Err(err) => {
                tracing::error!(error = %err, "GIFTVEC_REDIS_URL is not a valid Redis URL; L2 cache off");
                return None;
            }
        };
        // Short timeouts: a cache that answers slowly is worse than no cache.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(Duration::from_millis(250)))
            .set_number_of_retries(1);
        match ConnectionManager::new_lazy_with_config(client, config) {
            Ok(conn) => Some(Self {
                conn,
                ttl,
                down_until: Mutex::new(None),
            }),
            Err(err) => {
                tracing::error!(error = %err, "cannot set up the Redis connection; L2 cache off");
                None
            }
        }
    }

    /// False during the cool-down after an error.
    pub(super) fn is_available(&self) -> bool {
        let mut down = self.down_until.lock().unwrap_or_else(|e| e.into_inner());
        match *down {
            Some(until) if Instant::now() < until => false,
            _ => {
                *down = None;
                true
            }
        }
    }

    /// Starts the cool-down.
    pub(super) fn cool_down(&self) {
        *self.down_until.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(Instant::now() + COOL_DOWN);
    }

    pub(super) async fn get_many(
        &self,
        keys: &[&CacheKey],
    ) -> RedisResult<Vec<Option<CachedEmbedding>>> {
        let names: Vec<String> = keys.iter().map(|k| redis_key(k)).collect();
        let mut conn = self.conn.clone();
        let values: Vec<Option<Vec<u8>>> = if names.len() == 1 {
            vec![conn.get(&names[0]).await?]
        } else {
            conn.mget(&names).await?
        };
        Ok(values
            .into_iter()
            .map(|v| v.and_then(|bytes| CachedEmbedding::decode(&bytes)))
            .collect())
    }

    pub(super) async fn put_many(
        &self,
        entries: &[(CacheKey, CachedEmbedding)],
    ) -> RedisResult<()> {
        let mut pipe = redis::pipe();
        for (key, entry) in entries {
            pipe.set_ex(redis_key(key), entry.encode(), self.ttl.as_secs().max(1))
                .ignore();
        }
        pipe.query_async(&mut self.conn.clone()).await
    }

    pub(super) async fn delete(&self, key: &CacheKey) -> RedisResult<()> {
        self.conn.clone().del(redis_key(key)).await
    }

    /// Deletes every key of `model` (SCAN, then DEL in chunks).
    pub(super) async fn delete_model(&self, model: &str) -> RedisResult<()> {
        let pattern = format!("{}*", model_prefix(model));
        let mut conn = self.conn.clone();
        let keys: Vec<String> = {
            let mut iter = conn.scan_match::<_, String>(&pattern).await?;
            let mut keys = Vec::new();
            while let Some(key) = futures::StreamExt::next(&mut iter).await {
                keys.push(key?);
            }
            keys
        };
        for chunk in keys.chunks(500) {
            self.conn.clone().del::<_, ()>(chunk).await?;
        }
        Ok(())
    }
}
