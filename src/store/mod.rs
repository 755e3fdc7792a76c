//! All SQL lives here: parameterised statements in consts, one module per table family, each
//! function `#[tracing::instrument]`ed. Callers get typed values and [`crate::Error`]s; SQL text
//! and database internals never leave this module except in logs.

pub mod abandoned;
pub mod bm25;
mod db;
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
mod session;
pub mod similarity;
pub mod storage;
pub mod usage;

pub use db::{Db, DbRef, Route, Session};
pub use embedding::{Embedding, EmbeddingError};
pub use models::{Distance, EmbeddingModel, HnswParams, NewModel, Provider};
pub use products::{NewProduct, Product, UpsertCounts};
pub use session::Pooler;
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
    /// Whether `url` leads to a transaction pooler rather than PostgreSQL itself.
    pub pooler: Pooler,
    /// `postgres://` URL of PostgreSQL itself, bypassing the pooler, for what needs a session
    /// of its own: the result cache's `LISTEN` and migrations (`DATABASE_DIRECT_URL`).
    pub direct_url: Option<SecretString>,
}

impl DbSettings {
    /// The settings for a session of its own with PostgreSQL itself: these, or, behind a
    /// transaction pooler, the same on `DATABASE_DIRECT_URL`. `None` behind a pooler when no
    /// direct URL is set.
    pub fn direct(&self) -> Option<DbSettings> {
        match self.pooler {
            Pooler::None => Some(self.clone()),
            Pooler::Transaction => self.direct_url.as_ref().map(|url| DbSettings {
                url: url.clone(),
                pooler: Pooler::None,
                ..self.clone()
            }),
        }
    }
}

/// How the result cache hears of catalog changes: `LISTEN` on `db` when it reaches
/// PostgreSQL directly, on the direct URL behind a transaction pooler, and expiry when
/// there is none.
pub fn invalidation(
    settings: &DbSettings,
    db: &Db,
) -> Result<crate::tools::result_cache::Invalidation, Error> {
    use crate::tools::result_cache::Invalidation;
    if db.route() == Route::Direct {
        return Ok(Invalidation::Listen(db.pool().clone()));
    }
    let Some(direct) = settings.direct() else {
        return Ok(Invalidation::Expiry);
    };
    let options: PgConnectOptions =
        direct.url.expose_secret().parse().map_err(|_| {
            Error::Setup("DATABASE_DIRECT_URL is not a valid postgres:// URL".into())
        })?;
    let options = options.application_name("giftvec-listen");
    Ok(Invalidation::Listen(
        PgPoolOptions::new()
            .max_connections(1)
            .connect_lazy_with(options),
    ))
}

/// Opens a connection pool and finds how its connections get their settings ([`session`]).
/// Fails with a readable message when the URL is malformed, the server cannot be reached,
/// or the settings do not arrive.
pub async fn connect(settings: &DbSettings) -> Result<Db, Error> {
    let options: PgConnectOptions = settings
        .url
        .expose_secret()
        .parse()
        .map_err(|_| Error::Setup("DATABASE_URL is not a valid postgres:// URL".into()))?;
    let options = options
        .application_name("giftvec")
        .log_statements(tracing::log::LevelFilter::Trace);
    let wanted = session::Wanted {
        statement_timeout: settings.statement_timeout,
        ef_search: settings.hnsw_ef_search.clamp(1, 1000),
        check_interval: settings.client_check_interval,
    };
    match settings.pooler {
        Pooler::None => {
            let pool = open(settings, with_startup_options(options, settings)).await?;
            let session = session::direct(&pool, wanted).await?;
            Ok(Db::new(pool, session))
        }
        Pooler::Transaction => {
            // A pooler refuses startup parameters it does not know (unless told to ignore
            // them): send none it would not pass on.
            let options = options.extra_float_digits(None);
            let session = session::pooled(&options, wanted).await?;
            let options = if session.route == Route::PoolerUnprepared {
                // Named statements die with their transaction: keep none across checkouts.
                options.statement_cache_capacity(0)
            } else {
                options
            };
            tracing::info!(
                route = session.route.describe(),
                wrapped = session.wrap.is_some(),
                "database reached through a transaction pooler"
            );
            let pool = open(settings, options).await?;
            Ok(Db::new(pool, session))
        }
    }
}

/// `options` with the settings every direct session starts with.
fn with_startup_options(options: PgConnectOptions, settings: &DbSettings) -> PgConnectOptions {
    let timeout_ms = settings.statement_timeout.as_millis().to_string();
    let check_ms = settings.client_check_interval.as_millis().to_string();
    let ef_search = settings.hnsw_ef_search.clamp(1, 1000).to_string();
    let options = options.options([
        ("statement_timeout", timeout_ms.as_str()),
        (hnsw::EF_SEARCH, ef_search.as_str()),
        (hnsw::ITERATIVE_SCAN, hnsw::RELAXED_ORDER),
    ]);
    // PostgreSQL 14 and later; an interval of 0 leaves the setting out for older servers.
    if settings.client_check_interval.is_zero() {
        options
    } else {
        options.options([("client_connection_check_interval", check_ms.as_str())])
    }
}

async fn open(settings: &DbSettings, options: PgConnectOptions) -> Result<PgPool, Error> {
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

pub(crate) fn connection_hint(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Io(io) => {
            format!("{io} (is PostgreSQL running? for development: tools/devdb start)")
        }
        sqlx::Error::Database(db) if db.message().contains("unsupported startup parameter") => {
            format!(
                "{} (a connection pooler refuses giftvec's startup options: behind PgBouncer in \
                 transaction mode set GIFTVEC_DB_POOLER=transaction)",
                db.message()
            )
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
        // The connection broke mid-call (the server or a pooler in between restarted).
        sqlx::Error::Io(_) => {
            tracing::warn!(error = %err, "database connection lost");
            return connection_lost();
        }
        sqlx::Error::Database(db) => {
            let message = db.message().to_string();
            let code = db.code();
            // connection_exception (08…, also what PgBouncer reports), admin or crash
            // shutdown, cannot_connect_now, too_many_connections.
            if code.as_deref().is_some_and(|c| {
                c.starts_with("08") || matches!(c, "57P01" | "57P02" | "57P03" | "53300")
            }) {
                tracing::warn!(error = %err, "database unavailable");
                return connection_lost();
            }
            match code.as_deref() {
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

fn connection_lost() -> Error {
    Error::Upstream(
        "the product database connection was interrupted; retry in a few seconds (operators: \
         giftvec doctor says why)"
            .into(),
    )
}

/// Quotes `value` as an SQL string literal. Only for values that come from giftvec's own
/// registry (model names, already restricted by a CHECK constraint), never for client input.
pub(crate) fn sql_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}
