//! How product search behaves by default; every value can be overridden per call where the
//! tool exposes it.

use std::time::Duration;

use secrecy::SecretString;

use super::fusion::RrfParams;

/// Default of [`SearchSettings::common_term_share`]: docs/search.md has the measurement.
pub const COMMON_TERM_SHARE: f64 = 0.02;

/// Search defaults.
#[derive(Debug, Clone)]
pub struct SearchSettings {
    /// Hybrid fusion weights and RRF constant.
    pub fusion: RrfParams,
    /// Expand queries unless a call says otherwise.
    pub expand_by_default: bool,
    /// How queries are expanded.
    pub expansion: ExpansionSettings,
    /// Share of the final score given to the user's preference similarity (0 to 1) when a
    /// call names a user with a preference vector.
    pub personal_weight: f64,
    /// HNSW candidate list per vector query (recall against speed; docs/search.md has the
    /// sweep: 100 suits catalogs up to ~100k, larger ones need more).
    pub ef_search: u32,
    /// Words in more than this share of products (0 to 1) make no product a keyword
    /// candidate on their own; 0 turns the gate off.
    pub common_term_share: f64,
}

impl Default for SearchSettings {
    fn default() -> Self {
        Self {
            fusion: RrfParams::default(),
            expand_by_default: false,
            expansion: ExpansionSettings::default(),
            personal_weight: 0.3,
            ef_search: 100,
            common_term_share: COMMON_TERM_SHARE,
        }
    }
}

/// Query expansion.
#[derive(Debug, Clone)]
pub struct ExpansionSettings {
    /// Most past queries used.
    pub max_past_queries: usize,
    /// Least cosine similarity of a past query to be used.
    pub min_similarity: f64,
    /// Weight of the expansions' mean vector against the query's own (1).
    pub vector_weight: f32,
    /// Least number of distinct users who made a past query (one of whom then acted on a
    /// result) for it to expand another caller's search.
    pub min_users: i64,
    /// Chat model that writes rewrites, when configured.
    pub chat: Option<ChatSettings>,
}

impl Default for ExpansionSettings {
    fn default() -> Self {
        Self {
            max_past_queries: 3,
            min_similarity: 0.75,
            vector_weight: 0.5,
            min_users: 3,
            chat: None,
        }
    }
}

/// An OpenAI-compatible chat model used to rewrite queries.
#[derive(Debug, Clone)]
pub struct ChatSettings {
    /// Base URL, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// API key.
    pub api_key: Option<SecretString>,
    /// Model name, e.g. `gpt-4o-mini`.
    pub model: String,
    /// Most rewrites asked for.
    pub max_rewrites: usize,
    /// How long to wait for the model before searching without rewrites.
    pub timeout: Duration,
}
