//! How giftvec reaches its database, for `giftvec doctor`: directly, or through a
//! transaction pooler, with what that costs per call and which settings would remove the cost,
//! and what needs a session of its own (LISTEN, migrations).

use secrecy::ExposeSecret;

use super::Check;
use crate::store::{Db, DbSettings, Pooler, Route};

/// The route the pool found at connect, and what it implies.
pub(super) fn route(db: &Db, settings: &DbSettings) -> Check {
    let session = db.session();
    match session.route {
        Route::Direct => Check::ok(
            "connections",
            "direct to PostgreSQL; every session starts with giftvec's settings",
        ),
        route => match &session.wrap {
            None => Check::ok(
                "connections",
                format!(
                    "{}; statement_timeout and the hnsw settings come from the role",
                    route.describe()
                ),
            ),
            Some(begin) => Check::warn(
                "connections",
                format!(
                    "{}; each checkout runs in a transaction of its own that first runs \
                     `{begin}`: two more round trips per statement (the setup, sent together \
                     with BEGIN, and the COMMIT)",
                    route.describe()
                ),
                fix(route, settings),
            ),
        },
    }
}

/// What removes the per-checkout transaction.
fn fix(route: Route, settings: &DbSettings) -> String {
    let role = role_settings(settings);
    match route {
        Route::PoolerUnprepared => format!(
            "only a pooler that keeps prepared statements (PgBouncer >= 1.22 with \
             max_prepared_statements = 200) lets statements run as they come, once the role \
             also has the settings (new server connections take them): {role}"
        ),
        _ => format!(
            "give the role the settings, renew the pooler's server connections (PgBouncer: \
             RECONNECT on its console) and restart giftvec: {role}"
        ),
    }
}

/// `ALTER ROLE` statements giving giftvec's role the settings each checkout needs.
fn role_settings(settings: &DbSettings) -> String {
    let url = settings.url.expose_secret();
    let options: Option<sqlx::postgres::PgConnectOptions> = url.parse().ok();
    let user = options.as_ref().map_or("giftvec", |o| o.get_username());
    let database = options
        .as_ref()
        .and_then(|o| o.get_database().map(str::to_owned))
        .unwrap_or_else(|| user.to_string());
    let on = format!("ALTER ROLE \"{user}\" IN DATABASE \"{database}\" SET");
    let mut sql = format!(
        "{on} statement_timeout = {}; {on} hnsw.ef_search = {}; {on} hnsw.iterative_scan = \
         relaxed_order;",
        settings.statement_timeout.as_millis(),
        settings.hnsw_ef_search.clamp(1, 1000),
    );
    if !settings.client_check_interval.is_zero() {
        let ms = settings.client_check_interval.as_millis();
        sql.push_str(&format!(" {on} client_connection_check_interval = {ms};"));
    }
    sql
}

/// What needs a session of its own behind a transaction pooler: the result cache's LISTEN and
/// migrations. `None` when giftvec connects directly.
pub(super) fn session_needs(settings: &DbSettings) -> Option<Check> {
    if settings.pooler == Pooler::None {
        return None;
    }
    Some(match &settings.direct_url {
        Some(_) => Check::ok(
            "direct session",
            "DATABASE_DIRECT_URL serves the result cache's LISTEN and giftvec migrate",
        ),
        None => Check::warn(
            "direct session",
            "no DATABASE_DIRECT_URL: cached results expire after 2 s instead of on every \
             catalog change, and giftvec migrate refuses to run through the pooler",
            "set DATABASE_DIRECT_URL to PostgreSQL itself (not the pooler); one connection per \
             sidecar for LISTEN",
        ),
    })
}
