//! [`Db`]: a connection pool together with what giftvec knows about how its connections
//! behave, which a pool alone cannot tell. Reached directly, a connection keeps the settings
//! it started with (`statement_timeout`, `hnsw.ef_search`) and its prepared statements for
//! its whole life. Behind a transaction pooler (PgBouncer in transaction mode) a connection is
//! a different PostgreSQL session at every transaction: nothing set at startup holds, and
//! with a pooler that does not track prepared statements (PgBouncer before 1.21) a named
//! statement cannot outlive its transaction. There every checkout runs in one transaction of
//! its own, whose setup ([`Session::wrap`]) sets what the startup options would have.
//!
//! Store functions take `impl Into<DbRef>`: a [`Db`] in the sidecar, a bare [`PgPool`]
//! (a direct connection, settings read from its startup options) in tests and tools.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt, stream};
use sqlx::postgres::{PgQueryResult, PgRow, PgStatement, PgTypeInfo};
use sqlx::{
    AssertSqlSafe, ConnectOptions, Connection, Either, Execute, Executor, PgPool, Postgres, SqlStr,
    Transaction,
};

/// How giftvec reaches PostgreSQL, as configured (`GIFTVEC_DB_POOLER`) and found at connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// A session of its own per connection; settings from the startup options.
    Direct,
    /// A transaction pooler that keeps named prepared statements across transactions
    /// (PgBouncer ≥ 1.21 with `max_prepared_statements` > 0).
    PoolerPrepared,
    /// A transaction pooler that does not (PgBouncer 1.18, or `max_prepared_statements = 0`):
    /// every statement runs inside a transaction, and named statements die with it.
    PoolerUnprepared,
}

impl Route {
    /// A short description for `/readyz`, `doctor` and the log.
    pub fn describe(self) -> &'static str {
        match self {
            Route::Direct => "direct",
            Route::PoolerPrepared => "transaction pooler, prepared statements kept by the pooler",
            Route::PoolerUnprepared => {
                "transaction pooler without prepared statements: each statement in a \
                 transaction of its own"
            }
        }
    }
}

/// What every connection of a pool starts a checkout with.
#[derive(Debug, Clone)]
pub struct Session {
    /// How the connections reach PostgreSQL.
    pub route: Route,
    /// The `hnsw.ef_search` (with iterative scans on) each checkout starts with, if known.
    pub checkout_ef_search: Option<u32>,
    /// What each checkout's transaction runs first (`DEALLOCATE ALL`, `SET LOCAL …`), when a
    /// checkout must be one transaction; `None` when statements run as they come.
    pub wrap: Option<Arc<str>>,
}

/// A pool and its [`Session`] (cheap to clone).
#[derive(Debug, Clone)]
pub struct Db {
    pool: PgPool,
    session: Arc<Session>,
    /// The last [`Db::reachable`] answer and when it was found.
    reach: Arc<Mutex<Option<(Instant, bool)>>>,
}

/// How long a [`Db::reachable`] answer is reused, so that a burst of timed-out calls costs
/// one probe connection, not one each.
const REACH_REUSE: Duration = Duration::from_secs(2);
/// How long the probe connection may take to open.
const REACH_WAIT: Duration = Duration::from_millis(500);

impl Db {
    /// `pool` whose connections behave as `session` says.
    pub fn new(pool: PgPool, session: Session) -> Self {
        Self {
            pool,
            session: Arc::new(session),
            reach: Arc::default(),
        }
    }

    /// Whether the database answers a new connection: told apart from a busy pool (whose
    /// database answers, perhaps refusing with an error of its own), an unreachable one is
    /// worth another answer to the caller. Probed at most every [`REACH_REUSE`].
    pub async fn reachable(&self) -> bool {
        let cached = *self.reach.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, answer)) = cached
            && at.elapsed() < REACH_REUSE
        {
            return answer;
        }
        let options = self.pool.connect_options();
        let answer = match tokio::time::timeout(REACH_WAIT, options.connect()).await {
            Ok(Ok(conn)) => {
                let _ = conn.close().await;
                true
            }
            // The server answered (too many connections, starting up): it is there.
            Ok(Err(sqlx::Error::Database(_))) => true,
            _ => false,
        };
        *self.reach.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), answer));
        answer
    }

    /// The pool itself: for what must hold one connection (migrations, pool metrics).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// How the pool's connections reach PostgreSQL.
    pub fn route(&self) -> Route {
        self.session.route
    }

    /// What every checkout starts with.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Begins a transaction ([`DbRef::begin`]).
    pub async fn begin(&self) -> sqlx::Result<Transaction<'static, Postgres>> {
        self.as_ref().begin().await
    }

    /// A borrowed handle for store functions.
    pub fn as_ref(&self) -> DbRef<'_> {
        DbRef {
            pool: &self.pool,
            session: Some(&self.session),
        }
    }

    /// Closes the pool's connections.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl From<PgPool> for Db {
    /// A pool opened elsewhere (tests, tools): a direct connection.
    fn from(pool: PgPool) -> Self {
        let checkout_ef_search = super::hnsw::session_ef_search(&pool);
        Self::new(
            pool,
            Session {
                route: Route::Direct,
                checkout_ef_search,
                wrap: None,
            },
        )
    }
}

/// A borrowed [`Db`], or a bare pool taken as a direct connection. An [`Executor`]: queries
/// run on it as on a pool, each checkout wrapped in a transaction where the route needs it.
#[derive(Debug, Clone, Copy)]
pub struct DbRef<'a> {
    pool: &'a PgPool,
    session: Option<&'a Session>,
}

impl<'a> From<&'a Db> for DbRef<'a> {
    fn from(db: &'a Db) -> Self {
        db.as_ref()
    }
}

impl<'a> From<&'a PgPool> for DbRef<'a> {
    fn from(pool: &'a PgPool) -> Self {
        Self {
            pool,
            session: None,
        }
    }
}

impl<'a> DbRef<'a> {
    /// The pool underneath.
    pub fn pool(self) -> &'a PgPool {
        self.pool
    }

    /// An owned handle to the same pool and session (for spawned tasks).
    pub fn to_db(self) -> Db {
        match self.session {
            Some(session) => Db::new(self.pool.clone(), session.clone()),
            None => Db::from(self.pool.clone()),
        }
    }

    /// How the connections reach PostgreSQL (a bare pool: directly).
    pub fn route(self) -> Route {
        self.session.map_or(Route::Direct, |s| s.route)
    }

    /// The `hnsw.ef_search` a checkout starts with (iterative scans on), if known.
    pub fn checkout_ef_search(self) -> Option<u32> {
        match self.session {
            Some(session) => session.checkout_ef_search,
            None => super::hnsw::session_ef_search(self.pool),
        }
    }

    fn wrap(self) -> Option<Arc<str>> {
        self.session.and_then(|s| s.wrap.clone())
    }

    /// Begins a transaction, with the checkout's setup where the route needs one, in one
    /// round trip: `setup; BEGIN` as one simple query. PostgreSQL runs the statements before
    /// `BEGIN` in the transaction `BEGIN` then makes explicit, so `SET LOCAL` holds until its
    /// `COMMIT`; and should the setup fail, `BEGIN` never runs, so no aborted transaction is
    /// left on the connection for its next user.
    pub async fn begin(self) -> sqlx::Result<Transaction<'static, Postgres>> {
        match self.wrap() {
            Some(setup) => {
                let statement = format!("{setup}; BEGIN");
                self.pool.begin_with(AssertSqlSafe(statement)).await
            }
            None => self.pool.begin().await,
        }
    }
}

impl<'c> Executor<'c> for DbRef<'c> {
    type Database = Postgres;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<PgQueryResult, PgRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        if self.wrap().is_none() {
            return self.pool.fetch_many(query);
        }
        // One transaction per statement: the rows are collected before it commits.
        let this = self;
        stream::once(async move {
            let mut tx = this.begin().await?;
            let items: Vec<_> = (&mut *tx).fetch_many(query).try_collect().await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(stream::iter(items.into_iter().map(Ok)))
        })
        .try_flatten()
        .boxed()
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<PgRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        if self.wrap().is_none() {
            return self.pool.fetch_optional(query);
        }
        let this = self;
        Box::pin(async move {
            let mut tx = this.begin().await?;
            let row = (&mut *tx).fetch_optional(query).await?;
            tx.commit().await?;
            Ok(row)
        })
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [PgTypeInfo],
    ) -> BoxFuture<'e, Result<PgStatement, sqlx::Error>>
    where
        'c: 'e,
    {
        self.pool.prepare_with(sql, parameters)
    }

    fn describe<'e>(
        self,
        sql: SqlStr,
    ) -> BoxFuture<'e, Result<sqlx::Describe<Postgres>, sqlx::Error>>
    where
        'c: 'e,
    {
        self.pool.describe(sql)
    }
}
