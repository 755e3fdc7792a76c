//! Results of hot identical calls, kept in process for a short while and dropped the moment
//! the catalog changes. The database announces every change to products, embeddings and the
//! active model on the `giftvec_catalog` channel (statement triggers); a listener bumps a
//! generation number that is part of every key, so an entry computed before a change can
//! never be read after it, even if it is stored after the change arrived. While the listener
//! is not connected nothing is cached, and each (re)connection starts a new generation.
//!
//! `LISTEN` needs a session of its own. Behind a transaction pooler, without a direct URL to
//! listen on, entries instead expire after [`UNLISTENED_TTL`] at most: a catalog change is
//! seen within that, and hot identical calls are still answered once per interval.

use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use moka::future::Cache;
use serde::Serialize;
use sqlx::PgPool;
use sqlx::postgres::PgListener;

use crate::observe::names;

/// The channel the catalog triggers notify.
pub const CHANNEL: &str = "giftvec_catalog";

/// Longest an entry lives when no notifications can arrive.
pub const UNLISTENED_TTL: Duration = Duration::from_secs(2);

/// How entries learn the catalog changed.
#[derive(Debug, Clone)]
pub enum Invalidation {
    /// `LISTEN` on a pool whose connections are sessions of their own with PostgreSQL.
    Listen(PgPool),
    /// No session to listen on (a transaction pooler, no direct URL): entries expire.
    Expiry,
}

type Entry = Arc<dyn Any + Send + Sync>;

/// The cache (cheap to clone; disabled when built with capacity 0).
#[derive(Clone)]
pub struct ResultCache {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    entries: Cache<String, Entry>,
    generation: AtomicU64,
    listening: AtomicBool,
    /// Entries expire after this, notifications or not.
    ttl: Duration,
    /// Whether notifications invalidate entries (`false`: expiry only).
    listens: bool,
}

impl ResultCache {
    /// A cache that never holds anything.
    pub fn disabled() -> Self {
        Self { inner: None }
    }

    /// Up to `capacity` results, each kept at most `ttl`, invalidated as `invalidation` says
    /// (a background task listens for as long as the cache lives).
    pub fn start(invalidation: Invalidation, capacity: u64, ttl: Duration) -> Self {
        if capacity == 0 {
            return Self::disabled();
        }
        let listens = matches!(invalidation, Invalidation::Listen(_));
        let ttl = if listens {
            ttl
        } else {
            ttl.min(UNLISTENED_TTL)
        };
        let inner = Arc::new(Inner {
            entries: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build(),
            generation: AtomicU64::new(0),
            listening: AtomicBool::new(!listens),
            ttl,
            listens,
        });
        if let Invalidation::Listen(pool) = invalidation {
            tokio::spawn(listen(pool, Arc::downgrade(&inner)));
        }
        Self { inner: Some(inner) }
    }

    /// How entries are invalidated now, for `/readyz` and `doctor`.
    pub fn describe(&self) -> String {
        match &self.inner {
            None => "off".into(),
            Some(inner) if !inner.listens => format!(
                "entries expire after {} s (no session to LISTEN on behind the transaction \
                 pooler: set DATABASE_DIRECT_URL to drop them on every catalog change instead)",
                inner.ttl.as_secs()
            ),
            Some(inner) if inner.listening.load(Ordering::Acquire) => {
                "dropped on every catalog change (LISTEN)".into()
            }
            Some(_) => "not caching: the LISTEN connection is down".into(),
        }
    }

    /// The key of a call: the tool, the model and the call's canonical arguments, under the
    /// current generation. `None` when caching is off or not safe right now.
    pub fn key(&self, tool: &str, model: &str, input: &impl Serialize) -> Option<String> {
        let inner = self.inner.as_ref()?;
        if !inner.listening.load(Ordering::Acquire) {
            return None;
        }
        let generation = inner.generation.load(Ordering::Acquire);
        let args = serde_json::to_string(input).ok()?;
        Some(format!("{generation}\u{1f}{tool}\u{1f}{model}\u{1f}{args}"))
    }

    /// The stored result under `key`, if any.
    pub async fn get<T: Clone + Send + Sync + 'static>(&self, key: &str) -> Option<T> {
        let found = match self.inner.as_ref()?.entries.get(key).await {
            Some(entry) => entry.downcast_ref::<T>().cloned(),
            None => None,
        };
        let result = if found.is_some() { "hit" } else { "miss" };
        metrics::counter!(names::CACHE_REQUESTS, "level" => "result", "result" => result)
            .increment(1);
        found
    }

    /// Stores `value` under `key` (from [`ResultCache::key`], taken before computing it).
    pub async fn put<T: Send + Sync + 'static>(&self, key: String, value: T) {
        if let Some(inner) = &self.inner {
            inner.entries.insert(key, Arc::new(value)).await;
        }
    }

    /// Entries held now (tests, metrics).
    pub async fn entry_count(&self) -> u64 {
        match &self.inner {
            None => 0,
            Some(inner) => {
                inner.entries.run_pending_tasks().await;
                inner.entries.entry_count()
            }
        }
    }

    /// Whether results are being cached right now (enabled and listening).
    pub fn is_active(&self) -> bool {
        self.inner
            .as_ref()
            .is_some_and(|i| i.listening.load(Ordering::Acquire))
    }
}

impl Inner {
    fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate_all();
    }
}

async fn listen(pool: PgPool, cache: std::sync::Weak<Inner>) {
    loop {
        let Some(inner) = cache.upgrade() else { return };
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => {
                    inner.invalidate();
                    inner.listening.store(true, Ordering::Release);
                    drop(inner);
                    follow(&mut listener, &cache).await;
                }
                Err(err) => tracing::warn!(error = %err, "result cache: LISTEN failed"),
            },
            Err(err) => tracing::warn!(error = %err, "result cache: cannot connect to listen"),
        }
        let Some(inner) = cache.upgrade() else { return };
        inner.listening.store(false, Ordering::Release);
        inner.invalidate();
        drop(inner);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Invalidates on every notification until the connection is lost or the cache is dropped.
async fn follow(listener: &mut PgListener, cache: &std::sync::Weak<Inner>) {
    loop {
        let received = listener.try_recv().await;
        let Some(inner) = cache.upgrade() else { return };
        match received {
            Ok(Some(_)) => inner.invalidate(),
            Ok(None) | Err(_) => {
                tracing::warn!("result cache: lost the notification connection; not caching");
                return;
            }
        }
    }
}
