//! `search_products`' `fusion` argument: per-call overrides of the hybrid ranking (fusion
//! weights, the keyword scorer and its BM25 parameters), for tuning and evals.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::search::fusion::{KeywordScorer, RrfParams};
use crate::store::bm25::Bm25Params;

/// Reciprocal Rank Fusion overrides: `score = Σ weight / (rrf_k + rank)`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FusionInput {
    /// Weight of the keyword ranking (server default 1.2).
    #[schemars(range(min = 0, max = 10))]
    pub keyword_weight: Option<f64>,
    /// Weight of the meaning ranking (default 1).
    #[schemars(range(min = 0, max = 10))]
    pub semantic_weight: Option<f64>,
    /// Rank fusion constant (server default 15).
    #[schemars(range(min = 0, max = 1000))]
    pub rrf_k: Option<f64>,
    /// How much the best meaning matches' categories raise candidates of the same category
    /// (server default 1.5; 0 turns it off).
    #[schemars(range(min = 0, max = 10))]
    pub category_vote: Option<f64>,
    /// How much a keyword match counts in proportion to the share of the request it matched
    /// (server default 0.5; 0: plain rank fusion).
    #[schemars(range(min = 0, max = 10))]
    pub keyword_evidence: Option<f64>,
    /// Keyword scorer, also in keyword mode: bm25 (default) or ts_rank (the earlier one).
    pub keyword_scorer: Option<KeywordScorer>,
    /// BM25 term-frequency saturation k1 (default 1.2).
    #[schemars(range(min = 0, max = 10))]
    pub bm25_k1: Option<f64>,
    /// BM25 field weights (defaults: title 3, category 2, tags 1.5, description 1,
    /// attributes 1).
    pub field_weights: Option<FieldWeights>,
    /// BM25 length normalisation b per field, 0 to 1 (defaults: title 0.5, category 0.3,
    /// tags 0.5, description 0.75, attributes 0.5).
    pub length_norm: Option<LengthNorm>,
}

/// A value per BM25 field (absent: the default).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldWeights {
    /// Title.
    #[schemars(range(min = 0, max = 10))]
    pub title: Option<f64>,
    /// Category.
    #[schemars(range(min = 0, max = 10))]
    pub category: Option<f64>,
    /// Tags.
    #[schemars(range(min = 0, max = 10))]
    pub tags: Option<f64>,
    /// Description.
    #[schemars(range(min = 0, max = 10))]
    pub description: Option<f64>,
    /// The attributes configured into the embedded text.
    #[schemars(range(min = 0, max = 10))]
    pub attributes: Option<f64>,
}

/// BM25 length normalisation per field (absent: the default).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LengthNorm {
    /// Title.
    #[schemars(range(min = 0, max = 1))]
    pub title: Option<f64>,
    /// Category.
    #[schemars(range(min = 0, max = 1))]
    pub category: Option<f64>,
    /// Tags.
    #[schemars(range(min = 0, max = 1))]
    pub tags: Option<f64>,
    /// Description.
    #[schemars(range(min = 0, max = 1))]
    pub description: Option<f64>,
    /// The attributes configured into the embedded text.
    #[schemars(range(min = 0, max = 1))]
    pub attributes: Option<f64>,
}

/// The five values in field order, each override over `defaults`.
fn per_field(values: [Option<f64>; 5], defaults: [f64; 5]) -> [f64; 5] {
    std::array::from_fn(|i| values[i].unwrap_or(defaults[i]))
}

impl FusionInput {
    /// The parameters to fuse with: these overrides over `defaults`.
    pub fn resolve(&self, defaults: RrfParams) -> RrfParams {
        RrfParams {
            keyword_weight: self.keyword_weight.unwrap_or(defaults.keyword_weight),
            semantic_weight: self.semantic_weight.unwrap_or(defaults.semantic_weight),
            k: self.rrf_k.unwrap_or(defaults.k),
            category_vote: self.category_vote.unwrap_or(defaults.category_vote),
            keyword_evidence: self.keyword_evidence.unwrap_or(defaults.keyword_evidence),
            scorer: self.keyword_scorer.unwrap_or(defaults.scorer),
            bm25: Bm25Params {
                k1: self.bm25_k1.unwrap_or(defaults.bm25.k1),
                weights: self
                    .field_weights
                    .as_ref()
                    .map_or(defaults.bm25.weights, |w| {
                        per_field(
                            [w.title, w.category, w.tags, w.description, w.attributes],
                            defaults.bm25.weights,
                        )
                    }),
                b: self.length_norm.as_ref().map_or(defaults.bm25.b, |b| {
                    per_field(
                        [b.title, b.category, b.tags, b.description, b.attributes],
                        defaults.bm25.b,
                    )
                }),
            },
        }
    }
}
