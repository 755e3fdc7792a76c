//! [`App`]: what every command and tool runs on, built once and cloned cheaply.

use std::sync::Arc;

use crate::Result;
use crate::embed::{Embedder, EmbedderSettings};
use crate::recommend::{PreferenceSettings, RecommendSettings};
use crate::search::SearchSettings;
use crate::search::common_terms::CommonTerms;
use crate::store::{self, Db, DbSettings, EmbeddingModel};
use crate::tools::dispatch::CallGate;
use crate::tools::result_cache::ResultCache;

/// Shared state: the database pools, the embedding service, search defaults, the call limits.
#[derive(Clone)]
pub struct App {
    /// Connection pool to PostgreSQL + pgvector for interactive queries (lookups, searches).
    pub db: Db,
    /// Pool for the read-only tools' queries: a streaming replica when `DATABASE_READ_URL` is
    /// set, otherwise the same pool as `db`. Nothing is written through it, and nothing read
    /// right after a write (replication lag) goes through it.
    pub read: Db,
    /// Whether `read` is a replica of its own (`DATABASE_READ_URL`) rather than `db`.
    pub has_replica: bool,
    /// A small separate pool for heavy, non-interactive queries (analytics aggregates, the
    /// search log, find_similar_queries), so that they can never take every connection from
    /// the interactive tools. The same pool as `db` when not configured apart.
    pub heavy: Db,
    /// The embedding service.
    pub embedder: Embedder,
    /// The registry row of the embedder's model.
    pub model: EmbeddingModel,
    /// Limits on tool calls in flight.
    pub gate: Arc<CallGate>,
    /// Search defaults.
    pub search: Arc<SearchSettings>,
    /// Event weights and the preference half-life.
    pub preferences: Arc<PreferenceSettings>,
    /// Recommendation weights, defaults and experiments.
    pub recommend: Arc<RecommendSettings>,
    /// Results of hot identical calls (disabled unless started).
    pub results: ResultCache,
    /// The catalog's common words, which alone do not make a keyword candidate.
    pub common_terms: CommonTerms,
}

impl App {
    /// Connects, refuses a database whose schema is older than this build (the error names
    /// `giftvec migrate`), builds the embedder and registers its model (activating it when
    /// no model is active yet).
    pub async fn build(db: &DbSettings, embed: &EmbedderSettings) -> Result<Self> {
        let pool = store::connect(db).await?;
        let mut app = Self::from_pool(pool, embed).await?;
        if db.heavy_connections > 0 {
            let heavy = DbSettings {
                max_connections: db.heavy_connections,
                ..db.clone()
            };
            app.heavy = store::connect(&heavy).await?;
        }
        if let Some(url) = &db.read_url {
            let replica = DbSettings {
                url: url.clone(),
                ..db.clone()
            };
            app.read = store::connect(&replica)
                .await
                .map_err(|err| crate::Error::Setup(format!("DATABASE_READ_URL: {err}")))?;
            app.has_replica = true;
        }
        Ok(app)
    }

    /// [`App::build`] on an existing pool (tests, tools: a bare pool is a direct connection).
    pub async fn from_pool(db: impl Into<Db>, embed: &EmbedderSettings) -> Result<Self> {
        let db = db.into();
        store::migrate::ensure_current(&db).await?;
        let embedder = Embedder::new(embed, Some(db.clone()))?;
        Self::with_embedder(db, embedder).await
    }

    /// [`App::build`] with an already built embedder.
    pub async fn with_embedder(db: impl Into<Db>, embedder: Embedder) -> Result<Self> {
        let db = db.into();
        let mut model = store::models::register(&db, &embedder.model_spec()).await?;
        if store::models::active(&db).await?.is_none() {
            model = store::models::activate(&db, &model.name).await?;
        }
        Ok(Self {
            read: db.clone(),
            has_replica: false,
            heavy: db.clone(),
            db,
            embedder,
            model,
            gate: Arc::new(CallGate::default()),
            search: Arc::new(SearchSettings::default()),
            preferences: Arc::new(PreferenceSettings::default()),
            recommend: Arc::new(RecommendSettings::default()),
            results: ResultCache::disabled(),
            common_terms: CommonTerms::default(),
        })
    }
}
