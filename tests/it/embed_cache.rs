//! The shared L2 cache on a real Redis: sidecars share embeddings, entries expire, a Redis
//! outage never fails a request.

use std::sync::atomic::Ordering;
use std::time::Duration;

use giftvec::embed::{Embedder, Source};

use crate::fake_openai::Fake;
use crate::redis_server::RedisServer;

const DIMS: usize = 4;

fn sidecar(fake: &Fake, redis_url: &str, ttl: Duration) -> Embedder {
    let mut settings = fake.settings(DIMS);
    settings.cache.redis_url = Some(redis_url.to_string().into());
    settings.cache.redis_ttl = ttl;
    Embedder::new(&settings, None).unwrap()
}

#[tokio::test]
async fn a_second_sidecar_reads_what_the_first_embedded() {
    let redis = RedisServer::start();
    let fake = Fake::start(DIMS).await;
    let first = sidecar(&fake, &redis.url(), Duration::from_secs(60));
    let second = sidecar(&fake, &redis.url(), Duration::from_secs(60));
    let text = vec!["hand-poured soy candle".to_string()];
    let a = first.embed(&text).await.unwrap();
    let b = second.embed(&text).await.unwrap();
    assert_eq!(b.items[0].source, Source::L2);
    assert_eq!(b.items[0].embedding, a.items[0].embedding);
    assert_eq!(
        second.embed(&text).await.unwrap().items[0].source,
        Source::L1
    );
    assert_eq!(fake.calls(), 1);
}

#[tokio::test]
async fn l2_entries_expire_after_their_ttl() {
    let redis = RedisServer::start();
    let fake = Fake::start(DIMS).await;
    let first = sidecar(&fake, &redis.url(), Duration::from_secs(1));
    first.embed(&["bee hotel".into()]).await.unwrap();
    let mut conn = redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("giftvec:emb:v1:*")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1);
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&keys[0])
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(ttl > 0 && ttl <= 1000, "ttl {ttl} ms");
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let second = sidecar(&fake, &redis.url(), Duration::from_secs(1));
    let out = second.embed(&["bee hotel".into()]).await.unwrap();
    assert_eq!(out.items[0].source, Source::Provider);
    assert_eq!(fake.calls(), 2);
}

#[tokio::test]
async fn redis_going_down_degrades_to_the_in_process_cache() {
    let mut redis = RedisServer::start();
    let fake = Fake::start(DIMS).await;
    let embedder = sidecar(&fake, &redis.url(), Duration::from_secs(60));
    embedder.embed(&["before the outage".into()]).await.unwrap();
    redis.stop();
    let out = embedder.embed(&["during the outage".into()]).await.unwrap();
    assert_eq!(out.items[0].source, Source::Provider);
    assert!(embedder.cache_counters().l2_errors.load(Ordering::Relaxed) > 0);
    let again = embedder
        .embed(&["during the outage".into(), "before the outage".into()])
        .await
        .unwrap();
    assert!(again.items.iter().all(|i| i.source == Source::L1));
}

#[tokio::test]
async fn an_unreachable_redis_at_start_is_not_an_error() {
    let fake = Fake::start(DIMS).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let embedder = sidecar(
        &fake,
        &format!("redis://127.0.0.1:{port}/"),
        Duration::from_secs(60),
    );
    let out = embedder.embed(&["no redis here".into()]).await.unwrap();
    assert_eq!(out.items.len(), 1);
}

#[tokio::test]
async fn invalidating_a_model_clears_both_levels() {
    let redis = RedisServer::start();
    let fake = Fake::start(DIMS).await;
    let first = sidecar(&fake, &redis.url(), Duration::from_secs(60));
    let texts = vec!["a".to_string(), "b".to_string()];
    first.embed(&texts).await.unwrap();
    first.invalidate_model().await;
    let second = sidecar(&fake, &redis.url(), Duration::from_secs(60));
    let out = second.embed(&texts).await.unwrap();
    assert!(out.items.iter().all(|i| i.source == Source::Provider));
    assert_eq!(
        first.embed(&texts).await.unwrap().items[0].source,
        Source::L2
    );
}
