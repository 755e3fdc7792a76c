//! The provider contract: what the [`super::Embedder`] needs from a model, local or remote.

use futures::future::BoxFuture;
use serde::Serialize;

use crate::store::Provider;

/// What a provider's model is and what it accepts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelInfo {
    /// Registry name (e.g. `all-MiniLM-L6-v2`, `text-embedding-3-small`).
    pub name: String,
    /// Provider kind.
    pub provider: Provider,
    /// Vector dimension.
    pub dimensions: usize,
    /// Tokens one input may have; longer inputs are truncated to this.
    pub max_input_tokens: usize,
    /// Inputs one request may carry.
    pub max_batch_inputs: usize,
    /// Tokens one request may carry, summed over its inputs.
    pub max_batch_tokens: usize,
    /// US dollars per million tokens (0 for the local model).
    pub usd_per_million_tokens: f64,
    /// Spread a request's inputs over concurrent calls even when one call could take them all
    /// (a CPU-bound local model runs one call per core; a remote API is better served by few
    /// large requests).
    pub spread: bool,
}

impl ModelInfo {
    /// Whether calls cost money (and so count against the budget).
    pub fn is_paid(&self) -> bool {
        self.usd_per_million_tokens > 0.0
    }

    /// Cost of `tokens` tokens in US dollars.
    pub fn cost(&self, tokens: u64) -> f64 {
        tokens as f64 * self.usd_per_million_tokens / 1_000_000.0
    }
}

/// An input ready to send: possibly truncated, with its token count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The text to embed (cut at the model's token limit when it was longer).
    pub text: String,
    /// Its tokens, as the provider counts them.
    pub tokens: usize,
    /// Whether it was cut.
    pub truncated: bool,
}

/// What one provider call returned.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderBatch {
    /// One vector per input, in input order.
    pub vectors: Vec<Vec<f32>>,
    /// Tokens the provider billed (its `usage`), or counted locally.
    pub tokens: u64,
}

/// Why a provider call failed, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// 429: slow down; `retry_after` when the provider said.
    #[error("rate limited by the provider")]
    RateLimited {
        /// The provider's `Retry-After`.
        retry_after: Option<std::time::Duration>,
    },
    /// 5xx from the provider.
    #[error("the provider failed with HTTP {status}: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The provider's message.
        message: String,
    },
    /// No answer within the per-request timeout.
    #[error("the provider did not answer within {0:?}")]
    Timeout(std::time::Duration),
    /// The provider could not be reached.
    #[error("cannot reach the provider: {0}")]
    Unreachable(String),
    /// The provider answered with something that is not a valid embeddings response.
    #[error("the provider sent an invalid response: {0}")]
    InvalidResponse(String),
    /// The provider refused the credentials (401/403).
    #[error("the provider refused the credentials (HTTP {status}): {message}")]
    Unauthorized {
        /// HTTP status.
        status: u16,
        /// The provider's message.
        message: String,
    },
    /// The provider refused the input itself (other 4xx); retrying the same input will not help.
    #[error("the provider rejected the input (HTTP {status}): {message}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// The provider's message.
        message: String,
    },
    /// The local model failed to run.
    #[error("the local model failed: {0}")]
    Local(String),
}

impl ProviderError {
    /// A short stable name of the kind (a metrics label).
    pub fn kind(&self) -> &'static str {
        match self {
            ProviderError::RateLimited { .. } => "rate_limited",
            ProviderError::Server { .. } => "server_error",
            ProviderError::Timeout(_) => "timeout",
            ProviderError::Unreachable(_) => "unreachable",
            ProviderError::InvalidResponse(_) => "invalid_response",
            ProviderError::Unauthorized { .. } => "unauthorized",
            ProviderError::Rejected { .. } => "rejected",
            ProviderError::Local(_) => "local_model",
        }
    }

    /// Whether another attempt may succeed (rate limits, server errors, timeouts, network).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ProviderError::RateLimited { .. }
                | ProviderError::Server { .. }
                | ProviderError::Timeout(_)
                | ProviderError::Unreachable(_)
        )
    }

    /// Whether it says the provider is unhealthy (counts towards opening the circuit).
    pub fn is_provider_fault(&self) -> bool {
        self.is_transient() || matches!(self, ProviderError::InvalidResponse(_))
    }

    /// The wait the provider asked for, if any.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            ProviderError::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}

/// A source of embeddings.
pub trait EmbeddingProvider: Send + Sync + 'static {
    /// The model behind it.
    fn info(&self) -> &ModelInfo;

    /// Counts tokens and truncates at the model's limit.
    fn prepare(&self, text: &str) -> Prepared;

    /// Embeds `texts` (already prepared, within the batch limits) in one call.
    fn embed(&self, texts: Vec<String>) -> BoxFuture<'_, Result<ProviderBatch, ProviderError>>;
}
