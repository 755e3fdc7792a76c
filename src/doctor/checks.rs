//! The checks of `giftvec doctor`, in the order they are printed. Database checks run on
//! plain catalog queries, so they work on a database that giftvec has never migrated.

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;

use super::Check;
use crate::embed::{Embedder, EmbedderSettings};
use crate::store::{self, DbSettings, migrate};

/// Oldest pgvector giftvec runs on: 0.8.0 added iterative index scans
/// (`hnsw.iterative_scan`), without which a filtered search returns fewer results than asked.
const MIN_PGVECTOR: (u32, u32) = (0, 8);
/// Oldest PostgreSQL giftvec runs on.
const MIN_POSTGRES: i32 = 150_000;

/// What to check.
#[derive(Debug, Clone)]
pub struct DoctorSettings {
    /// The primary database; `None` when DATABASE_URL is not set.
    pub db: Option<DbSettings>,
    /// The read replica (`DATABASE_READ_URL`), if any.
    pub read_url: Option<SecretString>,
    /// The configured embedder.
    pub embed: EmbedderSettings,
    /// Checks to leave out, by name (`embedder`, `redis`, `replica`).
    pub skip: Vec<String>,
}

/// Runs every check.
pub async fn run_checks(settings: &DoctorSettings) -> Vec<Check> {
    let mut checks = Vec::new();
    let built = Embedder::new(&settings.embed, None);
    let configured = built.as_ref().ok().map(|e| e.info().name.clone());
    match &settings.db {
        None => checks.push(Check::fail(
            "database",
            "DATABASE_URL is not set",
            "set DATABASE_URL to a PostgreSQL >= 15 with pgvector >= 0.8 (for development: \
             tools/devdb start prints one)",
        )),
        Some(db) => database_checks(db, configured.as_deref(), &mut checks).await,
    }
    let skipped = |name: &str| settings.skip.iter().any(|s| s == name);
    if !skipped("replica")
        && let (Some(url), Some(db)) = (&settings.read_url, &settings.db)
    {
        checks.push(replica(db, url).await);
    }
    if !skipped("embedder") {
        checks.push(embedder(built).await);
    }
    if !skipped("redis") {
        checks.push(redis(settings.embed.cache.redis_url.as_ref()).await);
    }
    checks
}

async fn connect(db: &DbSettings) -> Result<PgPool, String> {
    let quick = DbSettings {
        max_connections: 2,
        acquire_timeout: Duration::from_secs(5),
        ..db.clone()
    };
    store::connect(&quick).await.map_err(|e| e.to_string())
}

async fn database_checks(db: &DbSettings, configured: Option<&str>, checks: &mut Vec<Check>) {
    let pool = match connect(db).await {
        Ok(pool) => pool,
        Err(err) => {
            checks.push(Check::fail(
                "database",
                err,
                "check DATABASE_URL (host, port, user, password, database) and that the server \
                 accepts connections from here",
            ));
            return;
        }
    };
    checks.push(postgres(&pool).await);
    let pgvector = pgvector(&pool).await;
    let has_vector = pgvector.verdict == super::Verdict::Ok;
    checks.push(pgvector);
    let migrations = migrations(&pool).await;
    let migrated = migrations.verdict == super::Verdict::Ok;
    checks.push(migrations);
    if has_vector && migrated {
        models(&pool, configured, checks).await;
    }
}

async fn postgres(pool: &PgPool) -> Check {
    let row: Result<(String, i32), _> = sqlx::query_as(
        "SELECT current_setting('server_version'), current_setting('server_version_num')::int",
    )
    .fetch_one(pool)
    .await;
    match row {
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

async fn pgvector(pool: &PgPool) -> Check {
    let row: Result<(Option<String>, Option<String>), _> = sqlx::query_as(
        "SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector'),
                (SELECT default_version FROM pg_available_extensions WHERE name = 'vector')",
    )
    .fetch_one(pool)
    .await;
    let too_old = |v: &str| major_minor(v).is_none_or(|mm| mm < MIN_PGVECTOR);
    match row {
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
            "install pgvector >= 0.8 (Debian: postgresql-<major>-pgvector; containers: the \
             pgvector/pgvector image; CloudNativePG: an image with pgvector; managed services: \
             allow the \"vector\" extension), then run giftvec migrate",
        ),
    }
}

async fn migrations(pool: &PgPool) -> Check {
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

async fn models(pool: &PgPool, configured: Option<&str>, checks: &mut Vec<Check>) {
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

async fn coverage(pool: &PgPool, model: &str, products: i64) -> Check {
    let name = format!("coverage {model}");
    let current = match store::embeddings::current_count(pool, model).await {
        Ok(n) => n,
        Err(err) => return Check::fail(name, err.to_string(), "check the database logs"),
    };
    let dead: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM embedding_jobs WHERE model = $1 AND state = 'dead'",
    )
    .bind(model)
    .fetch_one(pool)
    .await
    .unwrap_or(0);
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

async fn index(pool: &PgPool, model: &store::EmbeddingModel, products: i64) -> Check {
    let name = format!("index {}", model.name);
    let row: Result<Option<(String, bool, i64)>, _> = sqlx::query_as(
        "SELECT c.relname::text, i.indisvalid, pg_relation_size(c.oid)
         FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
         WHERE c.relname = giftvec_model_index_name($1)",
    )
    .bind(&model.name)
    .fetch_optional(pool)
    .await;
    let ef_search: String = sqlx::query_scalar("SELECT current_setting('hnsw.ef_search', true)")
        .fetch_one(pool)
        .await
        .unwrap_or_default();
    match row {
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
        Ok(Some((index, false, _))) => Check::fail(
            name,
            format!("{index} is INVALID (an interrupted concurrent build): searches skip it"),
            format!(
                "DROP INDEX CONCURRENTLY {index}; then run the statement that SELECT \
                 giftvec_model_index_ddl('{}', true) returns (docs/runbook.md)",
                model.name
            ),
        ),
        Ok(Some((index, true, bytes))) => Check::ok(
            name,
            format!(
                "{index} valid, {:.1} MB, m {} ef_construction {}, ef_search {ef_search} for \
                 {products} products",
                bytes as f64 / 1e6,
                model.hnsw.m,
                model.hnsw.ef_construction
            ),
        ),
    }
}

async fn replica(primary: &DbSettings, url: &SecretString) -> Check {
    let settings = DbSettings {
        url: url.clone(),
        ..primary.clone()
    };
    let pool = match connect(&settings).await {
        Ok(pool) => pool,
        Err(err) => {
            return Check::fail(
                "read replica",
                err,
                "check DATABASE_READ_URL, or unset it to serve reads from the primary",
            );
        }
    };
    let row: Result<(bool, Option<f64>), _> = sqlx::query_as(
        "SELECT pg_is_in_recovery(),
                extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8",
    )
    .fetch_one(&pool)
    .await;
    match row {
        Ok((true, lag)) => Check::ok(
            "read replica",
            match lag {
                Some(lag) => format!("streaming replica, last replayed change {lag:.1} s ago"),
                None => "streaming replica, nothing replayed yet".to_string(),
            },
        ),
        Ok((false, _)) => Check::warn(
            "read replica",
            "DATABASE_READ_URL points at a server that is not a replica",
            "point it at a hot standby (or leave it unset); reads work, but nothing is offloaded",
        ),
        Err(err) => Check::fail("read replica", err.to_string(), "check the replica's logs"),
    }
}

async fn embedder(built: crate::Result<Embedder>) -> Check {
    let embedder = match built {
        Ok(e) => e,
        Err(err) => {
            return Check::fail(
                "embedder",
                err.to_string(),
                "for the local model: tools/fetch-model, or mount it and set GIFTVEC_MODEL_DIR; \
                 for OpenAI: set GIFTVEC_EMBEDDER=openai and OPENAI_API_KEY",
            );
        }
    };
    let info = embedder.info().clone();
    let started = Instant::now();
    let answer = tokio::time::timeout(
        Duration::from_secs(30),
        embedder.embed(&["a gift for a coffee lover".to_string()]),
    )
    .await;
    let name = format!("embedder {}", info.name);
    match answer {
        Ok(Ok(_)) => Check::ok(
            name,
            format!(
                "{} ({} dimensions) embedded a test text in {} ms",
                info.provider.as_str(),
                info.dimensions,
                started.elapsed().as_millis()
            ),
        ),
        Ok(Err(err)) => Check::fail(
            name,
            err.to_string(),
            "check the provider's URL and key (GIFTVEC_OPENAI_BASE_URL, OPENAI_API_KEY) or the \
             model directory (GIFTVEC_MODEL_DIR)",
        ),
        Err(_) => Check::fail(
            name,
            "no answer within 30 s",
            "check that the provider is reachable from this pod (NetworkPolicy egress, proxy)",
        ),
    }
}

async fn redis(url: Option<&SecretString>) -> Check {
    let Some(url) = url else {
        return Check::ok(
            "redis",
            "not configured: embeddings are cached in this process only (GIFTVEC_REDIS_URL \
             shares them between sidecars)",
        );
    };
    let client = match redis::Client::open(url.expose_secret()) {
        Ok(client) => client,
        Err(err) => {
            return Check::fail(
                "redis",
                format!("GIFTVEC_REDIS_URL is not a Redis URL: {err}"),
                "use redis://host:6379/0 (or rediss:// for TLS)",
            );
        }
    };
    let started = Instant::now();
    let ping = tokio::time::timeout(Duration::from_secs(5), async {
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    })
    .await;
    match ping {
        Ok(Ok(pong)) => Check::ok(
            "redis",
            format!("{pong} in {} ms", started.elapsed().as_millis()),
        ),
        Ok(Err(err)) => Check::fail(
            "redis",
            format!("unreachable: {err}"),
            "start Redis or fix GIFTVEC_REDIS_URL; giftvec serves without it (cache misses \
             cost embedding calls)",
        ),
        Err(_) => Check::fail(
            "redis",
            "no answer within 5 s",
            "check Redis and the network path; giftvec serves without it",
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
