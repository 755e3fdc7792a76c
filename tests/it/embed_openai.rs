//! The OpenAI provider against a local server that speaks its API: batching, order, retries,
//! timeouts, bad answers, circuit breaker, budget, cache and single flight.

use std::time::{Duration, Instant};

use giftvec::embed::{BudgetSettings, CircuitState, Embedder, Source};
use sqlx::PgPool;
use wiremock::ResponseTemplate;

use crate::fake_openai::{Fake, texts, vector_for};

const DIMS: usize = 4;

fn unit(v: &[f32]) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / n).collect()
}

fn assert_belongs(text: &str, got: &[f32]) {
    let want = unit(&vector_for(text, DIMS));
    let got = unit(got);
    for (a, b) in want.iter().zip(&got) {
        assert!((a - b).abs() < 1e-5, "vector of {text:?} is not its own");
    }
}

#[tokio::test]
async fn embeds_in_input_order_with_usage() {
    let fake = Fake::start(DIMS).await;
    let embedder = fake.embedder(DIMS);
    let inputs = texts(3);
    let out = embedder.embed(&inputs).await.unwrap();
    assert_eq!(out.model, "text-embedding-3-small@4");
    assert_eq!(out.dimensions, DIMS);
    for (text, item) in inputs.iter().zip(&out.items) {
        assert_belongs(text, item.embedding.as_slice());
        assert_eq!(item.source, Source::Provider);
        assert!(!item.truncated);
    }
    assert_eq!(fake.calls(), 1);
}

#[tokio::test]
async fn splits_batches_by_the_provider_limit_and_keeps_order() {
    let fake = Fake::start(DIMS).await;
    let mut settings = fake.settings(DIMS);
    if let giftvec::embed::ProviderSettings::OpenAi(openai) = &mut settings.provider {
        openai.max_batch_inputs = 2;
    }
    let embedder = Embedder::new(&settings, None).unwrap();
    let inputs = texts(7);
    let out = embedder.embed(&inputs).await.unwrap();
    assert_eq!(fake.calls(), 4);
    assert!(fake.batch_sizes.lock().unwrap().iter().all(|&n| n <= 2));
    for (text, item) in inputs.iter().zip(&out.items) {
        assert_belongs(text, item.embedding.as_slice());
    }
}

#[tokio::test]
async fn over_long_text_is_truncated_and_says_so() {
    let fake = Fake::start(DIMS).await;
    let mut settings = fake.settings(DIMS);
    if let giftvec::embed::ProviderSettings::OpenAi(openai) = &mut settings.provider {
        openai.max_input_tokens = 16;
    }
    let embedder = Embedder::new(&settings, None).unwrap();
    let long = "fishing rod for dad ".repeat(50);
    let out = embedder.embed(&["short text".into(), long]).await.unwrap();
    assert!(!out.items[0].truncated);
    assert!(out.items[1].truncated);
    assert_eq!(out.items[1].tokens, 16);
}

#[tokio::test]
async fn a_429_is_retried_after_the_time_the_provider_asks() {
    let fake = Fake::start(DIMS).await;
    let limited = ResponseTemplate::new(429)
        .insert_header("retry-after", "1")
        .set_body_json(
            serde_json::json!({"error": {"message": "slow down", "type": "rate_limit_error"}}),
        );
    fake.fail_next(1, limited).await;
    let started = Instant::now();
    let out = fake.embedder(DIMS).embed(&texts(2)).await.unwrap();
    assert_eq!(out.items.len(), 2);
    assert_eq!(fake.calls(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let fake = Fake::start(DIMS).await;
    fake.fail_next(
        2,
        ResponseTemplate::new(503).set_body_string("upstream overloaded"),
    )
    .await;
    let out = fake.embedder(DIMS).embed(&texts(1)).await.unwrap();
    assert_eq!(out.items.len(), 1);
    assert_eq!(fake.calls(), 3);
}

#[tokio::test]
async fn a_slow_provider_times_out_with_a_clear_error() {
    let fake = Fake::start_with_delay(DIMS, Duration::from_secs(3)).await;
    let mut settings = fake.settings(DIMS);
    settings.resilience.timeout = Duration::from_millis(200);
    settings.resilience.max_retries = 1;
    let err = Embedder::new(&settings, None)
        .unwrap()
        .embed(&texts(1))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "upstream_unavailable");
    assert!(err.to_string().contains("did not answer within"), "{err}");
    assert_eq!(fake.calls(), 2, "one retry");
}

#[tokio::test]
async fn malformed_json_is_an_upstream_error() {
    let fake = Fake::start(DIMS).await;
    fake.fail_next(
        1,
        ResponseTemplate::new(200).set_body_string("{\"data\": [oops"),
    )
    .await;
    let mut settings = fake.settings(DIMS);
    settings.resilience.max_retries = 0;
    let err = Embedder::new(&settings, None)
        .unwrap()
        .embed(&texts(1))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "upstream_unavailable");
    assert!(err.to_string().contains("invalid response"), "{err}");
}

#[tokio::test]
async fn a_vector_of_the_wrong_dimension_is_refused_and_not_cached() {
    let fake = Fake::start(3).await; // the server answers 3-d vectors; the model is 4-d
    let embedder = fake.embedder(DIMS);
    let err = embedder.embed(&texts(1)).await.unwrap_err();
    assert_eq!(err.code(), "upstream_unavailable");
    let message = err.to_string();
    assert!(
        message.contains("openai")
            && message.contains("3 dimensions")
            && message.contains("expects 4"),
        "{message}"
    );
    embedder.embed(&texts(1)).await.unwrap_err();
    assert_eq!(fake.calls(), 2, "nothing was cached");
}

#[tokio::test]
async fn bad_credentials_and_rejected_input_are_not_retried() {
    let fake = Fake::start(DIMS).await;
    fake.fail_next(
        1,
        ResponseTemplate::new(401)
            .set_body_json(serde_json::json!({"error": {"message": "Incorrect API key"}})),
    )
    .await;
    let embedder = fake.embedder(DIMS);
    let err = embedder.embed(&texts(1)).await.unwrap_err();
    assert_eq!(err.code(), "not_ready");
    assert!(err.to_string().contains("OPENAI_API_KEY"), "{err}");
    fake.fail_next(
        1,
        ResponseTemplate::new(400)
            .set_body_json(serde_json::json!({"error": {"message": "input is invalid"}})),
    )
    .await;
    let err = embedder.embed(&texts(1)).await.unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(err.to_string().contains("input is invalid"), "{err}");
    assert_eq!(fake.calls(), 2);
}

#[tokio::test]
async fn the_circuit_opens_after_consecutive_failures_and_recovers() {
    let fake = Fake::start(DIMS).await;
    fake.fail_next(2, ResponseTemplate::new(500)).await;
    let mut settings = fake.settings(DIMS);
    settings.resilience.max_retries = 0;
    settings.resilience.breaker_failures = 2;
    settings.resilience.breaker_cooldown = Duration::from_millis(300);
    let embedder = Embedder::new(&settings, None).unwrap();
    for i in 0..2 {
        assert!(embedder.embed(&[format!("t{i}")]).await.is_err());
    }
    assert_eq!(embedder.circuit(), CircuitState::Open);
    let err = embedder.embed(&["t3".into()]).await.unwrap_err();
    assert_eq!(err.code(), "upstream_unavailable");
    assert!(err.to_string().contains("circuit open"), "{err}");
    assert_eq!(fake.calls(), 2, "no request while open");

    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(embedder.circuit(), CircuitState::HalfOpen);
    embedder.embed(&["t4".into()]).await.unwrap();
    assert_eq!(embedder.circuit(), CircuitState::Closed);
}

#[tokio::test]
async fn a_cache_hit_avoids_the_provider() {
    let fake = Fake::start(DIMS).await;
    let embedder = fake.embedder(DIMS);
    embedder.embed(&["Fishing rod".into()]).await.unwrap();
    let again = embedder
        .embed(&["  Fishing   rod ".into(), "Fishing rod".into()])
        .await
        .unwrap();
    assert_eq!(fake.calls(), 1);
    assert!(again.items.iter().all(|i| i.source == Source::L1));
    assert_eq!(again.cache_hits(), 2);

    embedder.invalidate_text("Fishing rod").await;
    embedder.embed(&["Fishing rod".into()]).await.unwrap();
    assert_eq!(fake.calls(), 2);
    embedder.invalidate_model().await;
    embedder.embed(&["Fishing rod".into()]).await.unwrap();
    assert_eq!(fake.calls(), 3);
}

#[tokio::test]
async fn concurrent_requests_for_the_same_text_make_one_call() {
    let fake = Fake::start_with_delay(DIMS, Duration::from_millis(300)).await;
    let embedder = fake.embedder(DIMS);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let embedder = embedder.clone();
            tokio::spawn(async move { embedder.embed(&["a very popular query".into()]).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(fake.calls(), 1);
}

#[tokio::test]
async fn a_shared_computation_outlives_a_waiter_that_gives_up() {
    let fake = Fake::start_with_delay(DIMS, Duration::from_millis(500)).await;
    let embedder = fake.embedder(DIMS);
    let first = {
        let embedder = embedder.clone();
        tokio::spawn(async move { embedder.embed(&["a shared query".into()]).await })
    };
    while fake.calls() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let second = {
        let embedder = embedder.clone();
        tokio::spawn(async move { embedder.embed(&["a shared query".into()]).await })
    };
    // The second waiter joins the computation in flight as soon as it runs (the answer
    // takes 500 ms).
    tokio::time::sleep(Duration::from_millis(100)).await;
    first.abort();
    let embedded = second.await.unwrap().unwrap();
    assert_eq!(embedded.items.len(), 1);
    assert_eq!(
        fake.calls(),
        1,
        "the second waiter joined the first computation"
    );
}

#[sqlx::test]
async fn the_budget_refuses_paid_calls_once_spent_and_usage_is_recorded(pool: PgPool) {
    let fake = Fake::start(DIMS).await;
    let mut settings = fake.settings(DIMS);
    if let giftvec::embed::ProviderSettings::OpenAi(openai) = &mut settings.provider {
        openai.usd_per_million_tokens = Some(1000.0); // $0.001 per token
    }
    settings.budget = BudgetSettings {
        daily_usd: Some(0.01),
        warn_fraction: 0.8,
    };
    let embedder = Embedder::new(&settings, Some(pool.clone().into())).unwrap();

    // 9 words: the fake bills 9 tokens, $0.009 — past the 80% warning, under the budget.
    embedder
        .embed(&["one two three four five six seven eight nine".into()])
        .await
        .unwrap();
    let status = embedder.budget();
    assert!(status.warning && !status.exhausted, "{status:?}");
    let err = embedder
        .embed(&["ten eleven twelve".into()])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "budget_exceeded");
    assert!(
        err.to_string().contains("daily embedding budget of $0.01"),
        "{err}"
    );
    assert_eq!(
        fake.calls(),
        1,
        "the refused call never reached the provider"
    );
    // Cached texts cost nothing and still work.
    embedder
        .embed(&["one two three four five six seven eight nine".into()])
        .await
        .unwrap();

    let mut rows = Vec::new();
    for _ in 0..50 {
        rows = giftvec::store::usage::since(&pool, chrono::Utc::now().date_naive())
            .await
            .unwrap();
        if !rows.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].requests, rows[0].tokens), (1, 9));
    assert!((rows[0].cost_usd - 0.009).abs() < 1e-9);
}

#[tokio::test]
async fn a_missing_key_or_unknown_dimension_says_what_to_set() {
    let fake = Fake::start(DIMS).await;
    let mut settings = fake.settings(DIMS);
    if let giftvec::embed::ProviderSettings::OpenAi(openai) = &mut settings.provider {
        openai.api_key = None;
    }
    let err = Embedder::new(&settings, None).err().unwrap();
    assert!(err.to_string().contains("set OPENAI_API_KEY"), "{err}");
    if let giftvec::embed::ProviderSettings::OpenAi(openai) = &mut settings.provider {
        openai.api_key = Some("k".to_string().into());
        openai.model = "my-local-model".into();
        openai.dimensions = None;
    }
    let err = Embedder::new(&settings, None).err().unwrap();
    assert!(
        err.to_string().contains("GIFTVEC_OPENAI_DIMENSIONS"),
        "{err}"
    );
}

#[tokio::test]
async fn the_token_rate_limit_holds_calls_back() {
    let fake = Fake::start(DIMS).await;
    let mut settings = fake.settings(DIMS);
    settings.resilience.tokens_per_minute = std::num::NonZeroU32::new(10);
    let embedder = Embedder::new(&settings, None).unwrap();
    // 8 tokens: within the minute's allowance of 10.
    embedder
        .embed(&["one two three four five six seven eight".into()])
        .await
        .unwrap();
    // 8 more must wait for the allowance to refill (about 48 s at 10 tokens per minute).
    let held = embedder.clone();
    let second = tokio::spawn(async move {
        held.embed(&["nine ten eleven twelve thirteen fourteen fifteen sixteen".into()])
            .await
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !second.is_finished(),
        "the second call went through despite the limit"
    );
    assert_eq!(fake.calls(), 1);
    second.abort();
}
