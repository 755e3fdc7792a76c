//! All SQL lives here: parameterised statements in consts, one module per table family, each
//! function `#[tracing::instrument]`ed. Callers get typed values and [`crate::Error`]s; SQL text
//! and database internals never leave this module except in logs.

pub mod abandoned;
pub mod bm25;
mod embedding;
pub mod embeddings;
pub mod events;
pub mod health;
pub mod hnsw;
pub mod jobs;
pub mod keyword;
pub mod migrate;
pub mod models;
pub mod people;
pub mod products;
pub mod queries;
pub mod recipients;
pub mod recommendations;
pub mod similarity;
pub mod storage;
pub mod usage;

pub use embedding::{Embedding, EmbeddingError};
pub use models::{Distance, EmbeddingModel, HnswParams, NewModel, Provider};
pub use products::{NewProduct, Product, UpsertCounts};
pub use similarity::{ProductFilters, SimilarityOptions, VectorSearchResult};

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};

use crate::Error;

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct DbSettings {
    /// `postgres://` URL; may hold a password, hence secret.
    pub url: SecretString,
    /// Upper bound of open connections in the pool.
    pub max_connections: u32,
    /// Connections of the separate pool for heavy queries (0: share the main pool).
    pub heavy_connections: u32,
    /// How long a caller waits for a free connection before getting [`Error::Busy`].
    pub acquire_timeout: Duration,
    /// Server-side `statement_timeout` for every statement ([`Error::Timeout`] past it).
    pub statement_timeout: Duration,
    /// How often PostgreSQL checks, while a statement runs, that giftvec is still connected
    /// (`client_connection_check_interval`): the statements of a cancelled call end within it
    /// ([`abandoned`]). Zero turns the check off.
    pub client_check_interval: Duration,
    /// `hnsw.ef_search` every connection starts with (the search default), so a vector query
    /// at that setting needs no transaction of its own ([`hnsw::session_ef_search`]).
    pub hnsw_ef_search: u32,
    /// `postgres://` URL of a read replica for the read-only tools (`DATABASE_READ_URL`).
    pub read_url: Option<SecretString>,
}

/// Opens a connection pool. Fails with a readable message when the URL is malformed or the
/// server cannot be reached.
pub async fn connect(settings: &DbSettings) -> Result<PgPool, Error> {
    let options: PgConnectOptions = settings
        .url
        .expose_secret()
        .parse()
        .map_err(|_| Error::Setup("DATABASE_URL is not a valid postgres:// URL".into()))?;
    let timeout_ms = settings.statement_timeout.as_millis().to_string();
    let check_ms = settings.client_check_interval.as_millis().to_string();
    let ef_search = settings.hnsw_ef_search.clamp(1, 1000).to_string();
    let options = options
        .application_name("giftvec")
        .options([
            ("statement_timeout", timeout_ms.as_str()),
            (hnsw::EF_SEARCH, ef_search.as_str()),
            (hnsw::ITERATIVE_SCAN, hnsw::RELAXED_ORDER),
        ])
        .log_statements(tracing::log::LevelFilter::Trace);
    // PostgreSQL 14 and later; an interval of 0 leaves the setting out for older servers.
    let options = if settings.client_check_interval.is_zero() {
        options
    } else {
        options.options([("client_connection_check_interval", check_ms.as_str())])
    };
    PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .after_release(|conn, _| abandoned::keep_on_release(conn))
        .connect_with(options)
        .await
        .map_err(|err| {
            tracing::debug!(error = %err, "database connection failed");
            Error::Setup(format!(
                "cannot connect to the database at DATABASE_URL: {}",
                connection_hint(&err)
            ))
        })
}

fn connection_hint(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Io(io) => {
            format!("{io} (is PostgreSQL running? for development: tools/devdb start)")
        }
        sqlx::Error::Database(db) => db.message().to_string(),
        sqlx::Error::PoolTimedOut => "timed out".into(),
        other => other.to_string(),
    }
}

/// Maps a database error to the caller-facing [`Error`], logging internals. Errors raised on
/// purpose by giftvec's SQL functions and constraints keep their message; anything else
/// becomes [`Error::Internal`].
pub(crate) fn classify(err: sqlx::Error) -> Error {
    match &err {
        sqlx::Error::PoolTimedOut => return Error::Busy,
        sqlx::Error::Database(db) => {
            let message = db.message().to_string();
            match db.code().as_deref() {
                // query_canceled: statement_timeout fired
                Some("57014") => return Error::Timeout,
                // no_data_found, raised by giftvec functions for unknown ids and models
                Some("P0002") => return Error::NotFound(message),
                // data_exception, invalid_parameter_value, check_violation, raise_exception
                Some("22000" | "22023" | "23514" | "P0001") => {
                    return Error::invalid(
                        db.constraint()
                            .map(str::to_owned)
                            .unwrap_or_else(|| "input".into()),
                        message,
                    );
                }
                _ => {}
            }
        }
        _ => {}
    }
    tracing::error!(error = %err, "database error");
    Error::Internal(Box::new(err))
}

/// Quotes `value` as an SQL string literal. Only for values that come from giftvec's own
/// registry (model names, already restricted by a CHECK constraint), never for client input.
pub(crate) fn sql_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}
