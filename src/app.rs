//! [`App`]: what every command and tool runs on, built once and cloned cheaply.

use sqlx::PgPool;

use crate::Result;
use crate::store::{self, DbSettings};

/// Shared state: the database pool (more parts join as the sidecar grows).
#[derive(Debug, Clone)]
pub struct App {
    /// Connection pool to PostgreSQL + pgvector.
    pub db: PgPool,
}

impl App {
    /// Connects, and refuses a database whose schema is older than this build (the error names
    /// `giftvec migrate`).
    pub async fn build(settings: &DbSettings) -> Result<Self> {
        let db = store::connect(settings).await?;
        store::migrate::ensure_current(&db).await?;
        Ok(Self { db })
    }
}
