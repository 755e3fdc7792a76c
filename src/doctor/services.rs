//! The checks of what giftvec talks to besides its database: the read replica, the embedder
//! and Redis.

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};

use super::Check;
use crate::embed::Embedder;
use crate::store::{DbSettings, health};

/// The read replica (`DATABASE_READ_URL`): reachable, and really a standby.
pub(super) async fn replica(primary: &DbSettings, url: &SecretString) -> Check {
    let settings = DbSettings {
        url: url.clone(),
        ..primary.clone()
    };
    let pool = match super::database::connect(&settings).await {
        Ok(pool) => pool,
        Err(err) => {
            return Check::fail(
                "read replica",
                err,
                "check DATABASE_READ_URL, or unset it to serve reads from the primary",
            );
        }
    };
    match health::replication(&pool).await {
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

/// The embedder: it embeds a test text.
pub(super) async fn embedder(built: crate::Result<Embedder>) -> Check {
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

/// Redis, when configured: it answers PING.
pub(super) async fn redis(url: Option<&SecretString>) -> Check {
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
