//! The database checks of `giftvec doctor`: server, pgvector, migrations, models, coverage
//! and indexes, in that order; the later ones only once the earlier pass.

use crate::store::DbRef;
use std::time::Duration;

use super::{Check, Verdict};
use crate::store::migrate::{self, INSTALL_PGVECTOR};
use crate::store::{self, DbSettings, health};

/// Oldest pgvector giftvec runs on: 0.8.0 added iterative index scans
/// (`hnsw.iterative_scan`), without which a filtered search returns fewer results than asked.
const MIN_PGVECTOR: (u32, u32) = (0, 8);
/// Oldest PostgreSQL giftvec runs on.
const MIN_POSTGRES: i32 = 150_000;

/// A small pool that gives up quickly: doctor must answer, not hang.
pub(super) async fn connect(db: &DbSettings) -> Result<store::Db, String> {
    let quick = DbSettings {
        max_connections: 2,
        acquire_timeout: Duration::from_secs(5),
        ..db.clone()
    };
    store::connect(&quick).await.map_err(|e| e.to_string())
}

/// The database checks, appended to `checks`.
pub(super) async fn checks(db: &DbSettings, configured: Option<&str>, out: &mut Vec<Check>) {
    let pool = match connect(db).await {
        Ok(pool) => pool,
        Err(err) => {
            out.push(Check::fail(
                "database",
                err,
                "check DATABASE_URL (host, port, user, password, database) and that the server \
                 accepts connections from here",
            ));
            return;
        }
    };
    out.push(super::connections::route(&pool, db));
    out.extend(super::connections::session_needs(db));
    out.push(postgres(&pool).await);
    let pgvector = pgvector(&pool).await;
    let has_vector = pgvector.verdict == Verdict::Ok;
    out.push(pgvector);
    let migrations = migrations(&pool).await;
    let migrated = migrations.verdict == Verdict::Ok;
    out.push(migrations);
    if has_vector && migrated {
        models(&pool, configured, out).await;
    }
}

async fn postgres(pool: impl Into<DbRef<'_>>) -> Check {
    let pool: DbRef<'_> = pool.into();
    match health::server_version(pool).await {
        Ok((version, num)) if num >= MIN_POSTGRES => {
            Check::ok("postgresql", format!("PostgreSQL {version}"))
        }
        Ok((version, _)) => Check::fail(
            "postgresql",
            format!("PostgreSQL {version} is older than 15"),
            "upgrade PostgreSQL to 15 or newer (giftvec is tested on 18)",
        ),
        Err(err) => Check::fail("postgresql", err.to_string(), "check the database logs"),
    }
}

/// `"0.8.6"` → (0, 8).
fn major_minor(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??))
}

async fn pgvector(pool: impl Into<DbRef<'_>>) -> Check {
    let pool: DbRef<'_> = pool.into();
    let too_old = |v: &str| major_minor(v).is_none_or(|mm| mm < MIN_PGVECTOR);
    match health::pgvector_versions(pool).await {
        Err(err) => Check::fail("pgvector", err.to_string(), "check the database logs"),
        Ok((Some(installed), _)) if too_old(&installed) => Check::fail(
            "pgvector",
            format!(
                "pgvector {installed} is older than 0.8: without iterative index scans a \
                 filtered search (category, price, stock) returns fewer results than asked"
            ),
            "install pgvector >= 0.8 on the server, then ALTER EXTENSION vector UPDATE",
        ),
        Ok((Some(installed), _)) => Check::ok("pgvector", format!("pgvector {installed}")),
        Ok((None, Some(available))) if too_old(&available) => Check::fail(
            "pgvector",
            format!("only pgvector {available} is available on the server; giftvec needs 0.8+"),
            "install pgvector >= 0.8 on the server, then run giftvec migrate",
        ),
        Ok((None, Some(available))) => Check::fail(
            "pgvector",
            format!("pgvector {available} is available but not created in this database"),
            "run giftvec migrate (it runs CREATE EXTENSION vector, which needs the CREATE \
             privilege on the database; on managed services allow the \"vector\" extension)",
        ),
        Ok((None, None)) => Check::fail(
            "pgvector",
            "the pgvector extension is not installed on this PostgreSQL server",
            format!("{INSTALL_PGVECTOR}, then run giftvec migrate"),
        ),
    }
}

async fn migrations(pool: impl Into<DbRef<'_>>) -> Check {
    let pool: DbRef<'_> = pool.into();
    let status = match migrate::status(pool).await {
        Ok(status) => status,
        Err(err) => return Check::fail("migrations", err.to_string(), "check the database logs"),
    };
    let known: Vec<i64> = migrate::MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| m.version)
        .collect();
    let newer = status.applied.iter().filter(|v| !known.contains(v)).count();
    match status.pending.len() {
        0 if newer > 0 => Check::ok(
            "migrations",
            format!(
                "current ({} applied, {newer} of them from a newer giftvec: fine during a \
                 rolling upgrade)",
                status.applied.len()
            ),
        ),
        0 => Check::ok(
            "migrations",
            format!("current ({} applied)", status.applied.len()),
        ),
        n => Check::fail(
            "migrations",
            format!("{n} of {} migrations not applied", known.len()),
            "run giftvec migrate (the chart's migration Job does this before an upgrade)",
        ),
    }
}

async fn models(pool: impl Into<DbRef<'_>>, configured: Option<&str>, checks: &mut Vec<Check>) {
    let pool: DbRef<'_> = pool.into();
    let models = match store::models::list(pool).await {
        Ok(models) => models,
        Err(err) => {
            checks.push(Check::fail(
                "models",
                err.to_string(),
                "check the database logs",
            ));
            return;
        }
    };
    let configured = configured.unwrap_or("the configured model");
    let Some(active) = models.iter().find(|m| m.is_active) else {
        checks.push(Check::warn(
            "models",
            "no embedding model is registered yet",
            format!(
                "giftvec serve, worker or backfill registers the configured model ({configured}) \
                 and embeds the catalog"
            ),
        ));
        return;
    };
    if active.name == configured {
        checks.push(Check::ok(
            "models",
            format!(
                "{} serves searches ({} registered)",
                active.name,
                models.len()
            ),
        ));
    } else {
        checks.push(Check::warn(
            "models",
            format!(
                "{} serves searches but this configuration embeds with {configured}",
                active.name
            ),
            format!(
                "queries must be embedded by the serving model: configure {} again, or switch \
                 with giftvec models activate {configured} once its coverage is full",
                active.name
            ),
        ));
    }
    let products = store::products::count(pool).await.unwrap_or(0);
    for model in &models {
        checks.push(coverage(pool, &model.name, products).await);
        checks.push(index(pool, model, products).await);
    }
}

async fn coverage(pool: impl Into<DbRef<'_>>, model: &str, products: i64) -> Check {
    let pool: DbRef<'_> = pool.into();
    let name = format!("coverage {model}");
    let current = match store::embeddings::current_count(pool, model).await {
        Ok(n) => n,
        Err(err) => return Check::fail(name, err.to_string(), "check the database logs"),
    };
    let dead = store::jobs::counts(pool, model).await.map_or(0, |q| q.dead);
    let share = if products == 0 {
        1.0
    } else {
        current as f64 / products as f64
    };
    let detail = format!(
        "{current} of {products} products embedded for their current text ({:.1}%){}",
        share * 100.0,
        if dead > 0 {
            format!(", {dead} dead-lettered jobs")
        } else {
            String::new()
        }
    );
    if dead > 0 {
        Check::warn(
            name,
            detail,
            "read the dead jobs' reasons (embedding_status, /status), fix the cause, then \
             giftvec replay-dead-jobs",
        )
    } else if current < products {
        Check::warn(
            name,
            detail,
            "a running worker (giftvec worker, or serve's) embeds the rest; giftvec backfill \
             does it in one go",
        )
    } else {
        Check::ok(name, detail)
    }
}

async fn index(pool: impl Into<DbRef<'_>>, model: &store::EmbeddingModel, products: i64) -> Check {
    let pool: DbRef<'_> = pool.into();
    let name = format!("index {}", model.name);
    let ef_search = health::setting(pool, store::hnsw::EF_SEARCH)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| "unset".into());
    match health::model_index(pool, &model.name).await {
        Err(err) => Check::fail(name, err.to_string(), "check the database logs"),
        Ok(None) => Check::fail(
            name,
            "the model's HNSW index is missing: every search is an exact scan",
            format!(
                "build it without blocking writes: run the statement that SELECT \
                 giftvec_model_index_ddl('{}', true) returns (docs/runbook.md, \"Rebuild an \
                 index\")",
                model.name
            ),
        ),
        Ok(Some(index)) if !index.valid => Check::fail(
            name,
            format!(
                "{} is INVALID (an interrupted concurrent build): searches skip it",
                index.name
            ),
            format!(
                "DROP INDEX CONCURRENTLY {}; then run the statement that SELECT \
                 giftvec_model_index_ddl('{}', true) returns (docs/runbook.md)",
                index.name, model.name
            ),
        ),
        Ok(Some(index)) => Check::ok(
            name,
            format!(
                "{} valid, {:.1} MB, m {} ef_construction {}, ef_search {ef_search} for \
                 {products} products",
                index.name,
                index.bytes as f64 / 1e6,
                model.hnsw.m,
                model.hnsw.ef_construction
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgvector_versions_compare_by_major_and_minor() {
        assert_eq!(major_minor("0.8.6"), Some((0, 8)));
        assert_eq!(major_minor("0.10.0"), Some((0, 10)));
        assert!(major_minor("0.7.4").unwrap() < MIN_PGVECTOR);
        assert!(major_minor("0.10.0").unwrap() >= MIN_PGVECTOR);
        assert_eq!(major_minor("x"), None);
    }
}
