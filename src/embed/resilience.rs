//! Keeping a flaky provider from taking giftvec down: a per-request timeout, retries with
//! exponential backoff and jitter (honouring `Retry-After`), a circuit breaker whose state
//! callers can read (search falls back to keyword mode while it is open), and request / token
//! rate limits.

use std::num::NonZeroU32;
use std::time::Duration;

use super::breaker::CircuitBreaker;
pub use super::breaker::CircuitState;
use super::provider::{EmbeddingProvider, ProviderBatch, ProviderError};
use backon::{BackoffBuilder, ExponentialBuilder};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// Resilience settings.
#[derive(Debug, Clone)]
pub struct ResilienceSettings {
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retries after the first attempt, for transient failures.
    pub max_retries: usize,
    /// First backoff delay (doubled each retry, with jitter).
    pub backoff_min: Duration,
    /// Longest backoff delay (and longest `Retry-After` honoured).
    pub backoff_max: Duration,
    /// Consecutive failures that open the circuit.
    pub breaker_failures: u32,
    /// How long the circuit stays open before one probe call is let through.
    pub breaker_cooldown: Duration,
    /// Requests per minute to the provider, if limited.
    pub requests_per_minute: Option<NonZeroU32>,
    /// Tokens per minute to the provider, if limited.
    pub tokens_per_minute: Option<NonZeroU32>,
}

impl Default for ResilienceSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(20),
            max_retries: 4,
            backoff_min: Duration::from_millis(200),
            backoff_max: Duration::from_secs(10),
            breaker_failures: 5,
            breaker_cooldown: Duration::from_secs(30),
            requests_per_minute: None,
            tokens_per_minute: None,
        }
    }
}

/// Why a guarded call did not return vectors.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// The circuit is open; retry after the duration.
    CircuitOpen(Duration),
    /// The provider failed (after retries when transient).
    Provider(ProviderError),
}

/// Timeout, retries, breaker and rate limits around one provider.
pub struct Guard {
    settings: ResilienceSettings,
    breaker: CircuitBreaker,
    requests: Option<DefaultDirectRateLimiter>,
    tokens: Option<DefaultDirectRateLimiter>,
}

impl Guard {
    /// A guard with fresh state.
    pub fn new(settings: ResilienceSettings) -> Self {
        Self {
            breaker: CircuitBreaker::new(settings.breaker_failures, settings.breaker_cooldown),
            requests: settings
                .requests_per_minute
                .map(|n| RateLimiter::direct(Quota::per_minute(n))),
            tokens: settings
                .tokens_per_minute
                .map(|n| RateLimiter::direct(Quota::per_minute(n))),
            settings,
        }
    }

    /// The breaker's state.
    pub fn circuit(&self) -> CircuitState {
        self.breaker.state()
    }

    /// Calls `provider.embed(texts)` under every protection.
    pub async fn call(
        &self,
        provider: &dyn EmbeddingProvider,
        texts: Vec<String>,
        tokens: usize,
    ) -> Result<ProviderBatch, CallError> {
        let mut delays = ExponentialBuilder::default()
            .with_min_delay(self.settings.backoff_min)
            .with_max_delay(self.settings.backoff_max)
            .with_max_times(self.settings.max_retries)
            .with_jitter()
            .build();
        loop {
            let _permit = self.breaker.permit().map_err(CallError::CircuitOpen)?;
            self.wait_for_capacity(tokens).await;
            let outcome =
                match tokio::time::timeout(self.settings.timeout, provider.embed(texts.clone()))
                    .await
                {
                    Ok(outcome) => outcome,
                    Err(_) => Err(ProviderError::Timeout(self.settings.timeout)),
                };
            let err = match outcome {
                Ok(batch) => {
                    self.breaker.on_success();
                    return Ok(batch);
                }
                Err(err) => err,
            };
            if err.is_provider_fault() {
                self.breaker.on_failure();
            } else {
                self.breaker.release();
            }
            let Some(backoff) = delays.next().filter(|_| err.is_transient()) else {
                return Err(CallError::Provider(err));
            };
            let delay = err
                .retry_after()
                .map_or(backoff, |asked| asked.min(self.settings.backoff_max));
            tracing::debug!(error = %err, ?delay, "embedding call failed; retrying");
            tokio::time::sleep(delay).await;
        }
    }

    async fn wait_for_capacity(&self, tokens: usize) {
        if let Some(limiter) = &self.requests {
            limiter.until_ready().await;
        }
        if let (Some(limiter), Some(per_minute)) = (&self.tokens, self.settings.tokens_per_minute) {
            // A request larger than a whole minute's allowance waits for the full allowance.
            let n =
                NonZeroU32::new((tokens as u32).clamp(1, per_minute.get())).unwrap_or(per_minute);
            let _ = limiter.until_n_ready(n).await;
        }
    }
}
