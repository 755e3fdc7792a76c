//! A local HTTP server that speaks the OpenAI embeddings API (wiremock), with knobs for the
//! failures the embedder must survive. Its vectors are a deterministic function of the text,
//! so tests can check that each result belongs to its input.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use giftvec::embed::openai::OpenAiSettings;
use giftvec::embed::{
    BudgetSettings, CacheSettings, Embedder, EmbedderSettings, ProviderSettings, ResilienceSettings,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The vector the fake server returns for `text` in `dims` dimensions.
pub fn vector_for(text: &str, dims: usize) -> Vec<f32> {
    let seed = text
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    (0..dims)
        .map(|i| {
            ((seed.wrapping_add((i as u32).wrapping_mul(2654435761)) % 1000) as f32 + 1.0) / 1000.0
        })
        .collect()
}

/// Answers like OpenAI: one embedding per input, listed in reverse index order (clients must
/// use `index`), `usage.prompt_tokens` = words in the inputs.
pub struct Embeddings {
    pub dims: usize,
    pub calls: Arc<AtomicUsize>,
    pub inputs: Arc<std::sync::Mutex<Vec<usize>>>,
    pub delay: Duration,
}

impl Respond for Embeddings {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let inputs: Vec<String> = match &body["input"] {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect(),
            other => panic!("unexpected input {other}"),
        };
        self.inputs.lock().unwrap().push(inputs.len());
        let tokens: usize = inputs
            .iter()
            .map(|t| t.split_whitespace().count().max(1))
            .sum();
        let data: Vec<Value> = inputs
            .iter()
            .enumerate()
            .rev()
            .map(|(i, t)| json!({"object": "embedding", "index": i, "embedding": vector_for(t, self.dims)}))
            .collect();
        ResponseTemplate::new(200)
            .set_body_json(json!({
                "object": "list", "model": body["model"], "data": data,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens}
            }))
            .set_delay(self.delay)
    }
}

/// A running fake with its request counter.
pub struct Fake {
    pub server: MockServer,
    pub calls: Arc<AtomicUsize>,
    pub batch_sizes: Arc<std::sync::Mutex<Vec<usize>>>,
}

impl Fake {
    /// A server that answers every embeddings request normally.
    pub async fn start(dims: usize) -> Self {
        Self::start_with_delay(dims, Duration::ZERO).await
    }

    /// Same, each answer delayed by `delay`.
    pub async fn start_with_delay(dims: usize, delay: Duration) -> Self {
        let fake = Self {
            // Not from wiremock's pool: a dropped server must really stop listening.
            server: MockServer::builder().start().await,
            calls: Arc::default(),
            batch_sizes: Arc::default(),
        };
        fake.mount_ok(dims, delay).await;
        fake
    }

    /// Mounts the normal responder (lowest priority: failure mocks mounted later win first).
    pub async fn mount_ok(&self, dims: usize, delay: Duration) {
        Mock::given(method("POST"))
            .and(path("/v1/embeddings"))
            .respond_with(Embeddings {
                dims,
                calls: Arc::clone(&self.calls),
                inputs: Arc::clone(&self.batch_sizes),
                delay,
            })
            .with_priority(10)
            .mount(&self.server)
            .await;
    }

    /// The next `times` requests get `response` (and count as calls).
    pub async fn fail_next(&self, times: u64, response: ResponseTemplate) {
        let calls = Arc::clone(&self.calls);
        Mock::given(method("POST"))
            .and(path("/v1/embeddings"))
            .respond_with(move |_: &Request| {
                calls.fetch_add(1, Ordering::SeqCst);
                response.clone()
            })
            .up_to_n_times(times)
            .with_priority(1)
            .mount(&self.server)
            .await;
    }

    /// Requests received so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Embedder settings pointing at this server: fast retries, no breaker surprises.
    pub fn settings(&self, dims: usize) -> EmbedderSettings {
        EmbedderSettings {
            provider: ProviderSettings::OpenAi(OpenAiSettings {
                base_url: format!("{}/v1", self.server.uri()),
                api_key: Some("sk-test".to_string().into()),
                model: "text-embedding-3-small".into(),
                dimensions: Some(dims),
                ..OpenAiSettings::default()
            }),
            concurrency: 4,
            cache: CacheSettings::default(),
            resilience: ResilienceSettings {
                timeout: Duration::from_secs(5),
                max_retries: 3,
                backoff_min: Duration::from_millis(10),
                backoff_max: Duration::from_secs(2),
                breaker_failures: 100,
                ..ResilienceSettings::default()
            },
            budget: BudgetSettings::default(),
            index: Default::default(),
        }
    }

    /// An embedder on [`Fake::settings`].
    pub fn embedder(&self, dims: usize) -> Embedder {
        Embedder::new(&self.settings(dims), None).unwrap()
    }
}

/// `n` distinct texts.
pub fn texts(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("gift idea number {i} for someone"))
        .collect()
}
