//! How a pool's connections get their settings, by route. Direct, a connection starts with
//! them (startup options), and giftvec checks they arrived: a pooler that drops startup
//! options (PgBouncer's `ignore_startup_parameters = options`) would otherwise leave every
//! query without its `statement_timeout` and every vector query at pgvector's default
//! candidate list. Through a transaction pooler nothing set on a connection holds, so the
//! settings come from the role (`ALTER ROLE … SET`) when it already has them, and otherwise
//! from `SET LOCAL` at the start of each checkout's transaction ([`super::db`]).

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, Connection, PgConnection, PgPool};

use super::db::{Route, Session};
use super::hnsw;

/// Whether a connection pooler sits between giftvec and PostgreSQL (`GIFTVEC_DB_POOLER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pooler {
    /// giftvec connects to PostgreSQL itself (or through a session-mode pooler that passes
    /// startup options on).
    #[default]
    None,
    /// A transaction-mode pooler (PgBouncer `pool_mode = transaction`): nothing may outlive
    /// a transaction.
    Transaction,
}

impl FromStr for Pooler {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "none" | "" => Ok(Self::None),
            "transaction" => Ok(Self::Transaction),
            other => Err(format!(
                "unknown pooler {other:?}: use `none` (giftvec connects to PostgreSQL) or \
                 `transaction` (PgBouncer or another pooler in transaction mode)"
            )),
        }
    }
}

/// The settings each checkout must run with.
#[derive(Debug, Clone, Copy)]
pub(super) struct Wanted {
    pub statement_timeout: Duration,
    pub ef_search: u32,
    /// `client_connection_check_interval` (zero: whatever the server has). Behind a pooler
    /// it still matters: PgBouncer closes the server connection of a client that went away
    /// mid-statement, and this is how PostgreSQL notices.
    pub check_interval: Duration,
}

/// Which of the wanted settings a fresh session already has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Found {
    pub statement_timeout: bool,
    pub hnsw: bool,
    pub check_interval: bool,
}

impl Found {
    fn all(self) -> bool {
        self.statement_timeout && self.hnsw && self.check_interval
    }
}

/// Reads which of `wanted` a session of `executor` has.
pub(super) async fn found<'c>(
    executor: impl sqlx::Executor<'c, Database = sqlx::Postgres>,
    wanted: Wanted,
) -> sqlx::Result<Found> {
    let (timeout, hnsw, check): (bool, bool, bool) = sqlx::query_as(
        "SELECT current_setting('statement_timeout')::interval \
                    = make_interval(secs => $1::float8 / 1000), \
                coalesce(current_setting($2, true), '') = $3 \
                    AND coalesce(current_setting($4, true), '') = $5, \
                $6 = 0 OR current_setting('client_connection_check_interval')::interval \
                    = make_interval(secs => $6 / 1000)",
    )
    .bind(wanted.statement_timeout.as_millis() as f64)
    .bind(hnsw::EF_SEARCH)
    .bind(wanted.ef_search.to_string())
    .bind(hnsw::ITERATIVE_SCAN)
    .bind(hnsw::RELAXED_ORDER)
    .bind(wanted.check_interval.as_millis() as f64)
    // Unnamed: behind a pooler that passes names through, a name could clash with a statement
    // another client left on the server connection.
    .persistent(false)
    .fetch_one(executor)
    .await?;
    Ok(Found {
        statement_timeout: timeout,
        hnsw,
        check_interval: check,
    })
}

/// A direct pool's session, once its startup options are seen to have arrived; a readable
/// setup error naming the pooler setting when they did not.
pub(super) async fn direct(pool: &PgPool, wanted: Wanted) -> Result<Session, crate::Error> {
    let seen = found(pool, wanted).await.map_err(setup_error)?;
    if !seen.all() {
        return Err(crate::Error::Setup(
            "the settings giftvec starts its database sessions with (statement_timeout, \
             hnsw.ef_search) did not arrive: a connection pooler between giftvec and PostgreSQL \
             drops startup options (PgBouncer's ignore_startup_parameters). Behind a \
             transaction-mode pooler set GIFTVEC_DB_POOLER=transaction; otherwise connect to \
             PostgreSQL directly"
                .into(),
        ));
    }
    Ok(Session {
        route: Route::Direct,
        checkout_ef_search: Some(wanted.ef_search),
        wrap: None,
    })
}

/// The session of a pool behind a transaction pooler, found on one probe connection: whether
/// the pooler keeps named prepared statements, and which settings the role already gives.
pub(super) async fn pooled(
    options: &PgConnectOptions,
    wanted: Wanted,
) -> Result<Session, crate::Error> {
    let mut probe = PgConnection::connect_with(options)
        .await
        .map_err(setup_error)?;
    let probed = match keeps_prepared_statements(&mut probe).await {
        Ok(prepared) => session_defaults(&mut probe, wanted)
            .await
            .map(|seen| (prepared, seen)),
        Err(err) => Err(err),
    };
    // The probe may leave a named statement behind; its connection goes.
    let _ = probe.close().await;
    let (prepared, seen) = probed.map_err(setup_error)?;
    let route = if prepared {
        Route::PoolerPrepared
    } else {
        Route::PoolerUnprepared
    };
    let wrap = (route == Route::PoolerUnprepared || !seen.all())
        .then(|| checkout_setup(route, wanted, seen).into());
    Ok(Session {
        route,
        checkout_ef_search: Some(wanted.ef_search),
        wrap,
    })
}

/// [`found`] inside a transaction, which holds one server connection (a pooler without
/// prepared statements could otherwise parse and execute on different ones).
async fn session_defaults(conn: &mut PgConnection, wanted: Wanted) -> sqlx::Result<Found> {
    let mut tx = conn.begin().await?;
    let seen = found(&mut *tx, wanted).await?;
    tx.rollback().await?;
    Ok(seen)
}

/// Whether the pooler renames named prepared statements for its server connections (so they
/// survive across transactions), seen from the server: sqlx names its statements `sqlx_s_N`,
/// which PostgreSQL itself sees only when the pooler passes them through. The probe runs in a
/// transaction, so that its parse and execution meet one server connection whatever the
/// pooler, and finds itself by a nonce in its own text: a statement of another client's with
/// the same name can neither answer for it nor be mistaken for it. A name that "already
/// exists" there (another client's leftover) is the pass-through kind too.
async fn keeps_prepared_statements(conn: &mut PgConnection) -> sqlx::Result<bool> {
    let marker = format!("giftvec-probe-{:016x}", rand::random::<u64>());
    let sql =
        format!("SELECT name FROM pg_prepared_statements WHERE strpos(statement, '{marker}') > 0");
    let mut tx = conn.begin().await?;
    let seen: sqlx::Result<Vec<String>> = sqlx::query_scalar(AssertSqlSafe(sql))
        .fetch_all(&mut *tx)
        .await;
    match seen {
        Ok(names) => {
            tx.rollback().await?;
            Ok(!names.is_empty() && names.iter().all(|name| !name.starts_with("sqlx_s_")))
        }
        // duplicate_prepared_statement
        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42P05") => Ok(false),
        Err(err) => Err(err),
    }
}

/// What every checkout's transaction runs first: `DEALLOCATE ALL` where named statements
/// cannot outlive a transaction (so another client's leftovers on this server connection
/// never clash with ours), then `SET LOCAL` for each setting the role lacks.
fn checkout_setup(route: Route, wanted: Wanted, seen: Found) -> String {
    let mut sql = Vec::new();
    if route == Route::PoolerUnprepared {
        sql.push("DEALLOCATE ALL".to_string());
    }
    if !seen.statement_timeout {
        let ms = wanted.statement_timeout.as_millis();
        sql.push(format!("SET LOCAL statement_timeout = {ms}"));
    }
    if !seen.hnsw {
        let ef = wanted.ef_search.clamp(1, 1000);
        sql.push(format!("SET LOCAL {} = {ef}", hnsw::EF_SEARCH));
        sql.push(format!(
            "SET LOCAL {} = {}",
            hnsw::ITERATIVE_SCAN,
            hnsw::RELAXED_ORDER
        ));
    }
    if !seen.check_interval {
        let ms = wanted.check_interval.as_millis();
        sql.push(format!("SET LOCAL client_connection_check_interval = {ms}"));
    }
    sql.join("; ")
}

fn setup_error(err: sqlx::Error) -> crate::Error {
    tracing::debug!(error = %err, "database session check failed");
    crate::Error::Setup(format!(
        "cannot check the database session at DATABASE_URL: {}",
        super::connection_hint(&err)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WANTED: Wanted = Wanted {
        statement_timeout: Duration::from_secs(5),
        ef_search: 120,
        check_interval: Duration::from_secs(1),
    };

    #[test]
    fn a_checkout_sets_what_the_role_lacks_and_clears_statements_only_where_needed() {
        let none = Found {
            statement_timeout: false,
            hnsw: false,
            check_interval: false,
        };
        assert_eq!(
            checkout_setup(Route::PoolerUnprepared, WANTED, none),
            "DEALLOCATE ALL; SET LOCAL statement_timeout = 5000; \
             SET LOCAL hnsw.ef_search = 120; SET LOCAL hnsw.iterative_scan = relaxed_order; \
             SET LOCAL client_connection_check_interval = 1000"
        );
        let timeout_only = Found {
            statement_timeout: true,
            hnsw: false,
            check_interval: true,
        };
        assert_eq!(
            checkout_setup(Route::PoolerPrepared, WANTED, timeout_only),
            "SET LOCAL hnsw.ef_search = 120; SET LOCAL hnsw.iterative_scan = relaxed_order"
        );
        let all = Found {
            statement_timeout: true,
            hnsw: true,
            check_interval: true,
        };
        assert_eq!(
            checkout_setup(Route::PoolerUnprepared, WANTED, all),
            "DEALLOCATE ALL"
        );
    }

    #[test]
    fn the_pooler_setting_names_its_values() {
        assert_eq!("transaction".parse::<Pooler>(), Ok(Pooler::Transaction));
        assert_eq!("none".parse::<Pooler>(), Ok(Pooler::None));
        let err = "session".parse::<Pooler>().unwrap_err();
        assert!(err.contains("transaction"), "{err}");
    }
}
