//! OpenAI embeddings (and any server that speaks the same API: Azure OpenAI, vLLM, TEI,
//! Ollama) through `async-openai`. Requests go through a small tower service of our own so
//! that every failure keeps its HTTP status and `Retry-After`, which the retry policy in
//! [`super::resilience`] needs; async-openai's built-in retries are not used.

use std::time::Duration;

use async_openai::config::{AzureConfig, Config, OpenAIConfig};
use async_openai::middleware::HttpRequestFactory;
use async_openai::types::embeddings::{CreateEmbeddingRequest, EmbeddingInput};
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use tiktoken_rs::CoreBPE;

use super::openai_http::{classify, send};
use super::provider::{EmbeddingProvider, ModelInfo, Prepared, ProviderBatch, ProviderError};
use crate::Error;
use crate::store::Provider;

/// How to reach an OpenAI-compatible embeddings API.
#[derive(Debug, Clone)]
pub struct OpenAiSettings {
    /// Base URL, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// API key (`OPENAI_API_KEY`).
    pub api_key: Option<SecretString>,
    /// Organisation header, when the account needs one.
    pub organization: Option<String>,
    /// Model name (for Azure, the deployment name).
    pub model: String,
    /// Output dimension; sent as `dimensions` to models that support it (text-embedding-3-*).
    pub dimensions: Option<usize>,
    /// Azure OpenAI `api-version`; set it to talk to Azure.
    pub azure_api_version: Option<String>,
    /// Price override in US dollars per million tokens.
    pub usd_per_million_tokens: Option<f64>,
    /// Tokens per input (longer inputs are truncated).
    pub max_input_tokens: usize,
    /// Inputs per request.
    pub max_batch_inputs: usize,
    /// Tokens per request.
    pub max_batch_tokens: usize,
}

impl Default for OpenAiSettings {
    fn default() -> Self {
        Self {
            base_url: "https://api.openai.com/v1".into(),
            api_key: None,
            organization: None,
            model: "text-embedding-3-small".into(),
            dimensions: None,
            azure_api_version: None,
            usd_per_million_tokens: None,
            max_input_tokens: 8191,
            max_batch_inputs: 2048,
            max_batch_tokens: 300_000,
        }
    }
}

/// Native dimension and list price (USD per million tokens) of OpenAI's embedding models.
fn known_model(model: &str) -> Option<(usize, f64)> {
    match model {
        "text-embedding-3-small" => Some((1536, 0.02)),
        "text-embedding-3-large" => Some((3072, 0.13)),
        "text-embedding-ada-002" => Some((1536, 0.10)),
        _ => None,
    }
}

/// The OpenAI-compatible provider.
pub struct OpenAiProvider {
    client: async_openai::Client<Box<dyn Config>>,
    info: ModelInfo,
    send_dimensions: Option<u32>,
    tokenizer: CoreBPE,
    timeout: Duration,
}

impl OpenAiProvider {
    /// Builds the client; fails with what to set when the key or the dimension is missing.
    pub fn new(settings: &OpenAiSettings, request_timeout: Duration) -> Result<Self, Error> {
        let key = settings.api_key.as_ref().ok_or_else(|| {
            Error::Setup("GIFTVEC_EMBEDDER=openai needs an API key: set OPENAI_API_KEY".into())
        })?;
        let known = known_model(&settings.model);
        let dimensions = settings
            .dimensions
            .or(known.map(|(d, _)| d))
            .ok_or_else(|| {
                Error::Setup(format!(
                    "the dimension of model {:?} is not known: set GIFTVEC_OPENAI_DIMENSIONS",
                    settings.model
                ))
            })?;
        if dimensions > 2000 {
            return Err(Error::Setup(format!(
                "{} dimensions is more than pgvector's HNSW index takes (2000): set \
                 GIFTVEC_OPENAI_DIMENSIONS to 2000 or less (text-embedding-3 models shorten \
                 their vectors on request)",
                dimensions
            )));
        }
        let config: Box<dyn Config> = match &settings.azure_api_version {
            Some(version) => Box::new(
                AzureConfig::new()
                    .with_api_base(&settings.base_url)
                    .with_api_key(key.expose_secret())
                    .with_deployment_id(&settings.model)
                    .with_api_version(version),
            ),
            None => {
                let mut config = OpenAIConfig::new()
                    .with_api_base(settings.base_url.trim_end_matches('/'))
                    .with_api_key(key.expose_secret());
                if let Some(org) = &settings.organization {
                    config = config.with_org_id(org);
                }
                Box::new(config)
            }
        };
        let http = reqwest::Client::builder()
            .timeout(request_timeout)
            .build()
            .map_err(|e| Error::Setup(format!("cannot build the HTTP client: {e}")))?;
        let service = tower::service_fn(move |factory: HttpRequestFactory| {
            let http = http.clone();
            async move { send(&http, factory).await }
        });
        let client = async_openai::Client::with_config(config).with_http_service(service);
        let name = match settings.dimensions {
            Some(d) if known.is_some_and(|(native, _)| native != d) => {
                format!("{}@{d}", settings.model)
            }
            _ => settings.model.clone(),
        };
        let supports_dimensions = settings.model.starts_with("text-embedding-3");
        Ok(Self {
            client,
            info: ModelInfo {
                name,
                provider: Provider::Openai,
                dimensions,
                max_input_tokens: settings.max_input_tokens,
                max_batch_inputs: settings.max_batch_inputs.clamp(1, 2048),
                max_batch_tokens: settings.max_batch_tokens.max(settings.max_input_tokens),
                usd_per_million_tokens: settings
                    .usd_per_million_tokens
                    .or(known.map(|(_, price)| price))
                    .unwrap_or(0.0),
                spread: false,
            },
            send_dimensions: settings
                .dimensions
                .filter(|_| supports_dimensions)
                .map(|d| d as u32),
            tokenizer: tiktoken_rs::cl100k_base()
                .map_err(|e| Error::Setup(format!("cannot load the token counter: {e}")))?,
            timeout: request_timeout,
        })
    }
}

impl EmbeddingProvider for OpenAiProvider {
    fn info(&self) -> &ModelInfo {
        &self.info
    }

    fn prepare(&self, text: &str) -> Prepared {
        let tokens = self.tokenizer.encode_with_special_tokens(text);
        let limit = self.info.max_input_tokens;
        if tokens.len() <= limit {
            return Prepared {
                text: text.to_string(),
                tokens: tokens.len(),
                truncated: false,
            };
        }
        // A cut may split a multi-byte character across tokens; step back until it decodes.
        let mut end = limit;
        let text = loop {
            match self.tokenizer.decode(&tokens[..end]) {
                Ok(text) => break text,
                Err(_) if end > 1 => end -= 1,
                Err(_) => break String::new(),
            }
        };
        Prepared {
            text,
            tokens: end,
            truncated: true,
        }
    }

    fn embed(&self, texts: Vec<String>) -> BoxFuture<'_, Result<ProviderBatch, ProviderError>> {
        Box::pin(async move {
            let expected = texts.len();
            let request = CreateEmbeddingRequest {
                model: self
                    .info
                    .name
                    .split('@')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                input: EmbeddingInput::StringArray(texts),
                encoding_format: None,
                user: None,
                dimensions: self.send_dimensions,
            };
            let response = self
                .client
                .embeddings()
                .create(request)
                .await
                .map_err(|e| classify(e, self.timeout))?;
            if response.data.len() != expected {
                return Err(ProviderError::InvalidResponse(format!(
                    "{} embeddings for {expected} inputs",
                    response.data.len()
                )));
            }
            let mut vectors = vec![Vec::new(); expected];
            for item in response.data {
                let slot = vectors.get_mut(item.index as usize).ok_or_else(|| {
                    ProviderError::InvalidResponse(format!(
                        "embedding index {} out of range",
                        item.index
                    ))
                })?;
                *slot = item.embedding;
            }
            Ok(ProviderBatch {
                vectors,
                tokens: u64::from(response.usage.prompt_tokens),
            })
        })
    }
}
