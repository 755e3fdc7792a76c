//! Schema migrations (plain SQL under `migrations/`, embedded at build time). Every migration
//! has a `.down.sql`, so `giftvec migrate --to VERSION` rolls back to any earlier version.

use super::DbRef;
use sqlx::migrate::{MigrateError, Migrator};

use crate::{Error, Result};

/// The migrations compiled into this build.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Where the schema stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Versions applied in the database (successfully).
    pub applied: Vec<i64>,
    /// Versions this build has that the database lacks.
    pub pending: Vec<i64>,
}

impl MigrationStatus {
    /// The highest applied version known to this build, if any.
    pub fn current(&self) -> Option<i64> {
        self.applied
            .iter()
            .copied()
            .filter(|v| MIGRATOR.version_exists(*v))
            .max()
    }
}

/// Migrations hold a session-level advisory lock and set the session's statement timeout:
/// through a transaction pooler neither would stay with them.
fn needs_session(pool: DbRef<'_>) -> Result<()> {
    match pool.route() {
        super::Route::Direct => Ok(()),
        _ => Err(crate::Error::Setup(
            "migrations need a session of their own, which a transaction pooler does not give: \
             set DATABASE_DIRECT_URL to PostgreSQL itself (giftvec migrate then uses it), or run \
             giftvec migrate with DATABASE_URL pointing at PostgreSQL and GIFTVEC_DB_POOLER=none"
                .into(),
        )),
    }
}

/// Applies every pending migration (up to `target` when given) and returns the versions it
/// applied. Refuses with instructions when pgvector is missing. Safe to run from several
/// processes at once (sqlx takes an advisory lock). Migrations run without the serving
/// statement timeout: indexing an existing catalog (migration 17 at 100k products) takes
/// longer than any tool call may.
#[tracing::instrument(skip(pool))]
pub async fn run(pool: impl Into<DbRef<'_>>, target: Option<i64>) -> Result<Vec<i64>> {
    let pool: DbRef<'_> = pool.into();
    needs_session(pool)?;
    require_pgvector(pool).await?;
    let before = status(pool).await?;
    let mut conn = pool.pool().acquire().await?;
    sqlx::query("SET statement_timeout = 0")
        .execute(&mut *conn)
        .await?;
    let outcome = match target {
        Some(version) => MIGRATOR.run_to(version, &mut *conn).await,
        None => MIGRATOR.run(&mut *conn).await,
    };
    // Back to the connection's own setting (its startup value) before it serves anything else.
    let reset = sqlx::query("RESET statement_timeout")
        .execute(&mut *conn)
        .await;
    if reset.is_err() {
        conn.close_on_drop();
    }
    drop(conn);
    outcome.map_err(migrate_error)?;
    let after = status(pool).await?;
    Ok(after
        .applied
        .into_iter()
        .filter(|v| !before.applied.contains(v))
        .collect())
}

/// Rolls back every migration newer than `target` (0 rolls back everything) and returns the
/// versions it reverted.
#[tracing::instrument(skip(pool))]
pub async fn undo(pool: impl Into<DbRef<'_>>, target: i64) -> Result<Vec<i64>> {
    let pool: DbRef<'_> = pool.into();
    needs_session(pool)?;
    let before = status(pool).await?;
    MIGRATOR
        .undo(pool.pool(), target)
        .await
        .map_err(migrate_error)?;
    let after = status(pool).await?;
    Ok(before
        .applied
        .into_iter()
        .filter(|v| !after.applied.contains(v))
        .collect())
}

/// Which migrations are applied and which are pending.
#[tracing::instrument(skip(pool))]
pub async fn status(pool: impl Into<DbRef<'_>>) -> Result<MigrationStatus> {
    let pool: DbRef<'_> = pool.into();
    let table: Option<String> = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
        .fetch_one(pool)
        .await?;
    let applied: Vec<i64> = if table.is_some() {
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await?
    } else {
        Vec::new()
    };
    let pending = MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration() && !applied.contains(&m.version))
        .map(|m| m.version)
        .collect();
    Ok(MigrationStatus { applied, pending })
}

/// Fails with [`Error::NotMigrated`] unless every migration of this build is applied. A newer
/// schema (applied by a newer giftvec during a rolling upgrade) is accepted: migrations only
/// add.
pub async fn ensure_current(pool: impl Into<DbRef<'_>>) -> Result<()> {
    let pool: DbRef<'_> = pool.into();
    let status = status(pool).await?;
    match status.pending.len() {
        0 => Ok(()),
        n => Err(Error::NotMigrated(format!(
            "{n} of {} migrations are not applied",
            MIGRATOR
                .iter()
                .filter(|m| m.migration_type.is_up_migration())
                .count()
        ))),
    }
}

/// How to get pgvector onto a server (shared by `migrate` and `doctor`).
pub const INSTALL_PGVECTOR: &str = "install pgvector >= 0.8 on the server (Debian/Ubuntu: the \
    postgresql-<major>-pgvector package; containers: the pgvector/pgvector image; CloudNativePG: \
    an image with pgvector; managed services: allow the \"vector\" extension)";

/// Fails with an installation hint unless the server offers pgvector.
pub async fn require_pgvector(pool: impl Into<DbRef<'_>>) -> Result<()> {
    let pool: DbRef<'_> = pool.into();
    let version: Option<String> = sqlx::query_scalar(
        "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'",
    )
    .fetch_optional(pool)
    .await?;
    match version {
        Some(_) => Ok(()),
        None => Err(Error::Setup(format!(
            "the pgvector extension is not installed on this PostgreSQL server: \
             {INSTALL_PGVECTOR}, or for development use the embedded database: tools/devdb start"
        ))),
    }
}

fn migrate_error(err: MigrateError) -> Error {
    match err {
        MigrateError::Execute(inner) | MigrateError::ExecuteMigration(inner, _) => match &inner {
            sqlx::Error::Database(db) => {
                Error::Setup(format!("migration failed: {}", db.message()))
            }
            _ => Error::from(inner),
        },
        MigrateError::VersionMissing(v) => Error::Setup(format!(
            "the database has migration {v} applied, which this build does not know; use the \
             giftvec release that applied it"
        )),
        MigrateError::VersionMismatch(v) => Error::Setup(format!(
            "migration {v} in the database differs from this build's; do not edit applied migrations"
        )),
        MigrateError::Dirty(v) => Error::Setup(format!(
            "migration {v} failed part-way earlier; fix the cause, then delete its row from \
             _sqlx_migrations and run `giftvec migrate` again"
        )),
        other => Error::Setup(format!("migration failed: {other}")),
    }
}
