//! Embedding options (`GIFTVEC_EMBEDDER`, `OPENAI_*`, `GIFTVEC_OPENAI_*`, cache, resilience,
//! budget), turned into [`EmbedderSettings`].

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use secrecy::SecretString;

use crate::embed::openai::OpenAiSettings;
use crate::embed::{
    BudgetSettings, CacheSettings, EmbedderSettings, ProviderSettings, ResilienceSettings,
    local::default_model_dir,
};

/// Which embedding provider to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EmbedderKind {
    /// all-MiniLM-L6-v2 in-process (384-d): no key, no network.
    Local,
    /// An OpenAI-compatible embeddings API.
    Openai,
}

/// Embedding options.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Embedding")]
pub struct EmbedArgs {
    /// Embedding provider.
    #[arg(
        long,
        env = "GIFTVEC_EMBEDDER",
        value_enum,
        default_value = "local",
        global = true
    )]
    pub embedder: EmbedderKind,

    /// Directory of the local model (default: where `tools/fetch-model` puts it,
    /// ~/.cache/giftvec/models/all-MiniLM-L6-v2).
    #[arg(long, env = "GIFTVEC_MODEL_DIR", global = true)]
    pub model_dir: Option<PathBuf>,

    /// OpenAI API key.
    #[arg(long, env = "OPENAI_API_KEY", hide_env_values = true, global = true,
          value_parser = super::parse_secret)]
    pub openai_api_key: Option<SecretString>,

    /// Base URL of the OpenAI-compatible API (Azure: the resource endpoint).
    #[arg(
        long,
        env = "GIFTVEC_OPENAI_BASE_URL",
        default_value = "https://api.openai.com/v1",
        global = true
    )]
    pub openai_base_url: String,

    /// OpenAI organisation id, if the account needs one.
    #[arg(long, env = "GIFTVEC_OPENAI_ORG", global = true)]
    pub openai_org: Option<String>,

    /// Embedding model (Azure: the deployment name).
    #[arg(
        long,
        env = "GIFTVEC_OPENAI_MODEL",
        default_value = "text-embedding-3-small",
        global = true
    )]
    pub openai_model: String,

    /// Vector dimension (sent as `dimensions` to text-embedding-3 models; required for models
    /// giftvec does not know).
    #[arg(long, env = "GIFTVEC_OPENAI_DIMENSIONS", global = true)]
    pub openai_dimensions: Option<usize>,

    /// Azure OpenAI `api-version`; set it to talk to Azure OpenAI.
    #[arg(long, env = "GIFTVEC_AZURE_API_VERSION", global = true)]
    pub azure_api_version: Option<String>,

    /// Price in US dollars per million tokens (default: OpenAI's list price for known models).
    #[arg(long, env = "GIFTVEC_OPENAI_USD_PER_MTOK", global = true)]
    pub openai_usd_per_mtok: Option<f64>,

    /// Inputs per OpenAI request.
    #[arg(
        long,
        env = "GIFTVEC_OPENAI_BATCH_INPUTS",
        default_value_t = 2048,
        global = true
    )]
    pub openai_batch_inputs: usize,

    /// Tokens per OpenAI input; longer inputs are truncated.
    #[arg(
        long,
        env = "GIFTVEC_OPENAI_MAX_INPUT_TOKENS",
        default_value_t = 8191,
        global = true
    )]
    pub openai_max_input_tokens: usize,

    /// Provider calls in flight at once (0: one per core for local, 4 for OpenAI).
    #[arg(
        long,
        env = "GIFTVEC_EMBED_CONCURRENCY",
        default_value_t = 0,
        global = true
    )]
    pub embed_concurrency: usize,

    /// Per-request timeout to the provider (ms).
    #[arg(
        long,
        env = "GIFTVEC_EMBED_TIMEOUT_MS",
        default_value_t = 20_000,
        global = true
    )]
    pub embed_timeout_ms: u64,

    /// Retries of a failed provider call (429, 5xx, timeouts, network).
    #[arg(
        long,
        env = "GIFTVEC_EMBED_MAX_RETRIES",
        default_value_t = 4,
        global = true
    )]
    pub embed_max_retries: usize,

    /// Consecutive provider failures that open the circuit breaker.
    #[arg(
        long,
        env = "GIFTVEC_EMBED_BREAKER_FAILURES",
        default_value_t = 5,
        global = true
    )]
    pub embed_breaker_failures: u32,

    /// How long the open circuit waits before a probe call (ms).
    #[arg(
        long,
        env = "GIFTVEC_EMBED_BREAKER_COOLDOWN_MS",
        default_value_t = 30_000,
        global = true
    )]
    pub embed_breaker_cooldown_ms: u64,

    /// Requests per minute to the provider (unlimited when unset).
    #[arg(long, env = "GIFTVEC_EMBED_RPM", global = true)]
    pub embed_rpm: Option<NonZeroU32>,

    /// Tokens per minute to the provider (unlimited when unset).
    #[arg(long, env = "GIFTVEC_EMBED_TPM", global = true)]
    pub embed_tpm: Option<NonZeroU32>,

    /// In-process cache entries.
    #[arg(
        long,
        env = "GIFTVEC_CACHE_CAPACITY",
        default_value_t = 100_000,
        global = true
    )]
    pub cache_capacity: u64,

    /// In-process cache time to live (s).
    #[arg(
        long,
        env = "GIFTVEC_CACHE_TTL_SECS",
        default_value_t = 86_400,
        global = true
    )]
    pub cache_ttl_secs: u64,

    /// Redis URL for the shared L2 cache (off when unset).
    #[arg(long, env = "GIFTVEC_REDIS_URL", hide_env_values = true, global = true,
          value_parser = super::parse_secret)]
    pub redis_url: Option<SecretString>,

    /// Redis cache time to live (s).
    #[arg(
        long,
        env = "GIFTVEC_REDIS_TTL_SECS",
        default_value_t = 604_800,
        global = true
    )]
    pub redis_ttl_secs: u64,

    /// Daily budget for paid embedding calls in US dollars (UTC days; unlimited when unset).
    #[arg(long, env = "GIFTVEC_EMBED_DAILY_BUDGET_USD", global = true)]
    pub embed_daily_budget_usd: Option<f64>,

    /// HNSW links per node of a newly registered model's index (2-100).
    #[arg(long, env = "GIFTVEC_HNSW_M", default_value_t = 16, global = true)]
    pub hnsw_m: i32,

    /// HNSW build candidate list of a newly registered model's index (2 × m to 1000); see
    /// docs/search.md for the sweep behind the default.
    #[arg(
        long,
        env = "GIFTVEC_HNSW_EF_CONSTRUCTION",
        default_value_t = 128,
        global = true
    )]
    pub hnsw_ef_construction: i32,

    /// Percentage of the budget at which a warning is logged.
    #[arg(
        long,
        env = "GIFTVEC_EMBED_BUDGET_WARN_PCT",
        default_value_t = 80.0,
        global = true
    )]
    pub embed_budget_warn_pct: f64,
}

impl EmbedArgs {
    /// The embedder settings these options describe.
    pub fn settings(&self) -> EmbedderSettings {
        let provider = match self.embedder {
            EmbedderKind::Local => ProviderSettings::Local {
                model_dir: self.model_dir.clone().unwrap_or_else(default_model_dir),
            },
            EmbedderKind::Openai => ProviderSettings::OpenAi(OpenAiSettings {
                base_url: self.openai_base_url.clone(),
                api_key: self.openai_api_key.clone(),
                organization: self.openai_org.clone(),
                model: self.openai_model.clone(),
                dimensions: self.openai_dimensions,
                azure_api_version: self.azure_api_version.clone(),
                usd_per_million_tokens: self.openai_usd_per_mtok,
                max_input_tokens: self.openai_max_input_tokens.max(1),
                max_batch_inputs: self.openai_batch_inputs.max(1),
                ..OpenAiSettings::default()
            }),
        };
        EmbedderSettings {
            provider,
            concurrency: self.embed_concurrency,
            cache: CacheSettings {
                capacity: self.cache_capacity,
                ttl: Duration::from_secs(self.cache_ttl_secs.max(1)),
                redis_url: self.redis_url.clone(),
                redis_ttl: Duration::from_secs(self.redis_ttl_secs.max(1)),
            },
            resilience: ResilienceSettings {
                timeout: Duration::from_millis(self.embed_timeout_ms.max(1)),
                max_retries: self.embed_max_retries,
                breaker_failures: self.embed_breaker_failures.max(1),
                breaker_cooldown: Duration::from_millis(self.embed_breaker_cooldown_ms),
                requests_per_minute: self.embed_rpm,
                tokens_per_minute: self.embed_tpm,
                ..ResilienceSettings::default()
            },
            budget: BudgetSettings {
                daily_usd: self.embed_daily_budget_usd,
                warn_fraction: (self.embed_budget_warn_pct / 100.0).clamp(0.0, 1.0),
            },
            index: crate::store::HnswParams {
                m: self.hnsw_m,
                ef_construction: self.hnsw_ef_construction,
            },
        }
    }
}
