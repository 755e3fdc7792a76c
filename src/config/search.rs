//! Search options of the serving commands (`serve`, `mcp`).

use std::time::Duration;

use clap::Args;
use secrecy::SecretString;

use super::parse_secret;
use crate::search::fusion::RrfParams;
use crate::search::{ChatSettings, ExpansionSettings, SearchSettings};

/// Search defaults and the result cache.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Search")]
pub struct SearchArgs {
    /// Hybrid search: weight of the keyword ranking in the fusion (the semantic ranking's is 1).
    #[arg(long, env = "GIFTVEC_SEARCH_KEYWORD_WEIGHT", default_value_t = 1.2)]
    pub keyword_weight: f64,

    /// Hybrid search: the Reciprocal Rank Fusion constant k.
    #[arg(long, env = "GIFTVEC_SEARCH_RRF_K", default_value_t = 15.0)]
    pub rrf_k: f64,

    /// Hybrid search: how much the categories of the best meaning matches raise candidates of
    /// the same category (0 turns it off).
    #[arg(long, env = "GIFTVEC_SEARCH_CATEGORY_VOTE",
          default_value_t = crate::search::fusion::CATEGORY_VOTE)]
    pub category_vote: f64,

    /// Hybrid search: how much a keyword match's weight follows the share of the request it
    /// matched (0: plain rank fusion; 1: in proportion).
    #[arg(long, env = "GIFTVEC_SEARCH_KEYWORD_EVIDENCE",
          default_value_t = crate::search::fusion::KEYWORD_EVIDENCE)]
    pub keyword_evidence: f64,

    /// Expand queries with similar past searches (and chat rewrites) unless a call says not to.
    #[arg(long, env = "GIFTVEC_QUERY_EXPANSION", default_value_t = false)]
    pub query_expansion: bool,

    /// Least cosine similarity of a past search to be used as an expansion.
    #[arg(long, env = "GIFTVEC_EXPANSION_MIN_SIMILARITY", default_value_t = 0.75)]
    pub expansion_min_similarity: f64,

    /// Least number of distinct users who made a past search (one of whom then clicked,
    /// liked or bought a result) for it to expand another caller's search.
    #[arg(long, env = "GIFTVEC_EXPANSION_MIN_USERS", default_value_t = 3,
          value_parser = clap::value_parser!(i64).range(1..=1_000_000))]
    pub expansion_min_users: i64,

    /// Share of the score given to a user's preference similarity when a call names the user.
    #[arg(long, env = "GIFTVEC_PERSONAL_WEIGHT", default_value_t = 0.3)]
    pub personal_weight: f64,

    /// Keyword search: words found in more than this share of products (0 to 1, e.g. "gift"
    /// in a gift shop) and in more than 1,000 of them do not make a product a candidate on
    /// their own, only with another word of the request; they still count in the ranking of
    /// the leading candidates. 0 turns this off.
    #[arg(long, env = "GIFTVEC_SEARCH_COMMON_TERM_SHARE",
          default_value_t = crate::search::settings::COMMON_TERM_SHARE)]
    pub common_term_share: f64,

    /// OpenAI-compatible chat model that writes query rewrites for expansion (e.g.
    /// gpt-4o-mini); unset, expansion uses past searches only.
    #[arg(long, env = "GIFTVEC_CHAT_MODEL")]
    pub chat_model: Option<String>,

    /// Base URL of the chat model's API (default: the OpenAI base URL).
    #[arg(long, env = "GIFTVEC_CHAT_BASE_URL")]
    pub chat_base_url: Option<String>,

    /// API key of the chat model (default: OPENAI_API_KEY).
    #[arg(long, env = "GIFTVEC_CHAT_API_KEY", hide_env_values = true, value_parser = parse_secret)]
    pub chat_api_key: Option<SecretString>,

    /// How long to wait for rewrites before searching without them (ms).
    #[arg(long, env = "GIFTVEC_CHAT_TIMEOUT_MS", default_value_t = 3_000)]
    pub chat_timeout_ms: u64,

    /// Results of identical calls kept in process (0 turns the result cache off); dropped on
    /// any catalog change.
    #[arg(long, env = "GIFTVEC_RESULT_CACHE_SIZE", default_value_t = 1_000)]
    pub result_cache_size: u64,

    /// Longest a cached result is kept (s), whatever happens.
    #[arg(long, env = "GIFTVEC_RESULT_CACHE_TTL_SECS", default_value_t = 60)]
    pub result_cache_ttl_secs: u64,
}

impl SearchArgs {
    /// The search settings, vector queries at `ef_search` (the database setting every
    /// connection starts with); the chat model reuses the OpenAI URL and key unless given its
    /// own.
    pub fn settings(
        &self,
        openai_base_url: &str,
        openai_key: Option<&SecretString>,
        ef_search: u32,
    ) -> SearchSettings {
        let chat = self.chat_model.as_ref().map(|model| ChatSettings {
            base_url: self
                .chat_base_url
                .clone()
                .unwrap_or_else(|| openai_base_url.to_string()),
            api_key: self.chat_api_key.clone().or_else(|| openai_key.cloned()),
            model: model.clone(),
            max_rewrites: 3,
            timeout: Duration::from_millis(self.chat_timeout_ms.max(1)),
        });
        SearchSettings {
            fusion: RrfParams {
                k: self.rrf_k.max(0.0),
                keyword_weight: self.keyword_weight.max(0.0),
                semantic_weight: 1.0,
                category_vote: self.category_vote.max(0.0),
                keyword_evidence: self.keyword_evidence.max(0.0),
                ..RrfParams::default()
            },
            expand_by_default: self.query_expansion,
            expansion: ExpansionSettings {
                min_similarity: self.expansion_min_similarity,
                min_users: self.expansion_min_users,
                chat,
                ..ExpansionSettings::default()
            },
            personal_weight: self.personal_weight.clamp(0.0, 1.0),
            ef_search,
            common_term_share: self.common_term_share.clamp(0.0, 1.0),
        }
    }

    /// How long cached results live.
    pub fn result_cache_ttl(&self) -> Duration {
        Duration::from_secs(self.result_cache_ttl_secs.max(1))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::SearchArgs;
    use crate::config::DatabaseArgs;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        db: DatabaseArgs,
        #[command(flatten)]
        search: SearchArgs,
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("giftvec").chain(args.iter().copied()))
    }

    #[test]
    fn ef_search_reaches_the_settings_and_is_bounded() {
        let cli = parse(&[
            "--database-url",
            "postgres://x/y",
            "--hnsw-ef-search",
            "250",
        ])
        .unwrap();
        let db = cli.db.settings().unwrap();
        assert_eq!(db.hnsw_ef_search, 250);
        let search = cli.search.settings("http://x", None, db.hnsw_ef_search);
        assert_eq!(search.ef_search, 250);
        for bad in ["0", "1001"] {
            let err = parse(&["--hnsw-ef-search", bad]).err().unwrap().to_string();
            assert!(err.contains("1..=1000"), "{err}");
        }
    }
}
