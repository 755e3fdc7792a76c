//! [`App`]: what every command and tool runs on, built once and cloned cheaply.

use std::sync::Arc;

use sqlx::PgPool;

use crate::Result;
use crate::embed::{Embedder, EmbedderSettings};
use crate::store::{self, DbSettings, EmbeddingModel};
use crate::tools::dispatch::CallGate;

/// Shared state: the database pool, the embedding service, the call limits.
#[derive(Clone)]
pub struct App {
    /// Connection pool to PostgreSQL + pgvector.
    pub db: PgPool,
    /// The embedding service.
    pub embedder: Embedder,
    /// The registry row of the embedder's model.
    pub model: EmbeddingModel,
    /// Limits on tool calls in flight.
    pub gate: Arc<CallGate>,
}

impl App {
    /// Connects, refuses a database whose schema is older than this build (the error names
    /// `giftvec migrate`), builds the embedder and registers its model (activating it when
    /// no model is active yet).
    pub async fn build(db: &DbSettings, embed: &EmbedderSettings) -> Result<Self> {
        let pool = store::connect(db).await?;
        Self::from_pool(pool, embed).await
    }

    /// [`App::build`] on an existing pool (tests, tools).
    pub async fn from_pool(db: PgPool, embed: &EmbedderSettings) -> Result<Self> {
        store::migrate::ensure_current(&db).await?;
        let embedder = Embedder::new(embed, Some(db.clone()))?;
        Self::with_embedder(db, embedder).await
    }

    /// [`App::build`] with an already built embedder.
    pub async fn with_embedder(db: PgPool, embedder: Embedder) -> Result<Self> {
        let mut model = store::models::register(&db, &embedder.model_spec()).await?;
        if store::models::active(&db).await?.is_none() {
            model = store::models::activate(&db, &model.name).await?;
        }
        Ok(Self {
            db,
            embedder,
            model,
            gate: Arc::new(CallGate::default()),
        })
    }
}
