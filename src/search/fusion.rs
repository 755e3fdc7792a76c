//! Reciprocal Rank Fusion: `score(d) = Σ_s weight_s / (k + rank_s(d))` over the sources that
//! ranked `d` (ranks start at 1), the keyword source's weight scaled by how much of the request
//! the hit matched (`coverage^keyword_evidence`). Unweighted RRF (k = 60) let a noisy keyword
//! list drag dense results down on gift requests (DESIGN §5b). With BM25 as the keyword scorer
//! and query understanding leaving gift boilerplate out of its list, the keyword side earns a
//! larger weight as long as a hit matching only part of the request counts for less: keyword
//! weight 1.2, evidence 0.5 and k = 15 did best across the demo set and the tuning halves of
//! two public catalogs (docs/search.md has the sweep).

use std::collections::HashMap;

use crate::store::bm25::Bm25Params;

/// How the keyword side scores products.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum KeywordScorer {
    /// BM25F over giftvec's inverted index, with the catalog's own term statistics.
    #[default]
    Bm25,
    /// PostgreSQL's `ts_rank` over `search_tsv` (the scorer before BM25; for comparison).
    TsRank,
}

/// Fusion parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RrfParams {
    /// The RRF constant `k`.
    pub k: f64,
    /// Weight of the keyword ranking.
    pub keyword_weight: f64,
    /// Weight of the semantic ranking.
    pub semantic_weight: f64,
    /// How much a candidate's category's share of the meaning matches' vote raises its fused
    /// score (see [`super::category_vote`]; 0 turns it off).
    pub category_vote: f64,
    /// How much a keyword hit's contribution follows the share of the request it matched
    /// (its `coverage`): the contribution is multiplied by `coverage^keyword_evidence`, so 0
    /// is plain RRF and 1 scales it linearly; a product matching only the request's filler
    /// words then cannot pull a good meaning match down.
    pub keyword_evidence: f64,
    /// The keyword side's scorer.
    pub scorer: KeywordScorer,
    /// BM25 parameters (under [`KeywordScorer::Bm25`]).
    pub bm25: Bm25Params,
}

/// Default of [`RrfParams::keyword_evidence`]: docs/search.md has the measurement.
pub const KEYWORD_EVIDENCE: f64 = 0.5;

/// Default of [`RrfParams::category_vote`]: docs/search.md has the measurement.
pub const CATEGORY_VOTE: f64 = 1.5;

impl Default for RrfParams {
    fn default() -> Self {
        Self {
            k: 15.0,
            keyword_weight: 1.2,
            semantic_weight: 1.0,
            category_vote: CATEGORY_VOTE,
            keyword_evidence: KEYWORD_EVIDENCE,
            scorer: KeywordScorer::default(),
            bm25: Bm25Params::default(),
        }
    }
}

/// A fused item: its score and its 1-based rank in each source that had it.
#[derive(Debug, Clone, PartialEq)]
pub struct Fused {
    /// Item id.
    pub id: String,
    /// RRF score.
    pub score: f64,
    /// Rank in the keyword list.
    pub keyword_rank: Option<u32>,
    /// Rank in the semantic list.
    pub semantic_rank: Option<u32>,
}

/// Fuses two ranked lists (best first): keyword hits as (id, coverage), semantic ids; ties
/// broken by id.
pub fn rrf(keyword: &[(String, f64)], semantic: &[String], params: RrfParams) -> Vec<Fused> {
    let mut fused: HashMap<&str, Fused> = HashMap::new();
    let evidence = |coverage: f64| coverage.clamp(0.0, 1.0).powf(params.keyword_evidence);
    let keyword = keyword
        .iter()
        .map(|(id, coverage)| (id, params.keyword_weight * evidence(*coverage)));
    let semantic = semantic.iter().map(|id| (id, params.semantic_weight));
    for (list, is_keyword) in [
        (keyword.collect::<Vec<_>>(), true),
        (semantic.collect::<Vec<_>>(), false),
    ] {
        for (i, (id, weight)) in list.into_iter().enumerate() {
            let rank = i as u32 + 1;
            let entry = fused.entry(id).or_insert_with(|| Fused {
                id: id.clone(),
                score: 0.0,
                keyword_rank: None,
                semantic_rank: None,
            });
            entry.score += weight / (params.k + f64::from(rank));
            if is_keyword {
                entry.keyword_rank = Some(rank);
            } else {
                entry.semantic_rank = Some(rank);
            }
        }
    }
    let mut out: Vec<Fused> = fused.into_values().collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn covered(v: &[(&str, f64)]) -> Vec<(String, f64)> {
        v.iter().map(|(s, c)| (s.to_string(), *c)).collect()
    }

    fn plain(k: f64, keyword_weight: f64) -> RrfParams {
        RrfParams {
            k,
            keyword_weight,
            semantic_weight: 1.0,
            category_vote: 0.0,
            keyword_evidence: 0.0,
            ..RrfParams::default()
        }
    }

    #[test]
    fn matches_a_hand_computed_example() {
        // k = 60, equal weights:
        //   a: 1/(60+1) + 1/(60+3) = 0.016393 + 0.015873 = 0.032266
        //   b: 1/(60+2)            = 0.016129 (keyword only)
        //   c: 1/(60+3) + 1/(60+1) = 0.032266 (ties with a, broken by id)
        //   d: 1/(60+2)            = 0.016129 (semantic only)
        let params = plain(60.0, 1.0);
        let keyword = covered(&[("a", 1.0), ("b", 1.0), ("c", 1.0)]);
        let out = rrf(&keyword, &ids(&["c", "d", "a"]), params);
        let order: Vec<&str> = out.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(order, ["a", "c", "b", "d"]);
        assert!((out[0].score - (1.0 / 61.0 + 1.0 / 63.0)).abs() < 1e-12);
        assert_eq!(
            (out[0].keyword_rank, out[0].semantic_rank),
            (Some(1), Some(3))
        );
        assert_eq!((out[2].keyword_rank, out[2].semantic_rank), (Some(2), None));
        assert!((out[3].score - 1.0 / 62.0).abs() < 1e-12);
    }

    #[test]
    fn weights_scale_each_source() {
        let params = plain(10.0, 0.2);
        let out = rrf(&covered(&[("kw", 0.3)]), &ids(&["sem"]), params);
        assert_eq!(out[0].id, "sem");
        assert!((out[0].score - 1.0 / 11.0).abs() < 1e-12);
        assert!((out[1].score - 0.2 / 11.0).abs() < 1e-12);
    }

    #[test]
    fn keyword_evidence_scales_by_the_share_matched() {
        let params = RrfParams {
            keyword_evidence: 1.0,
            ..plain(10.0, 0.5)
        };
        // kw1 matched a quarter of the request: 0.5 × 0.25 / 11; kw2 all of it: 0.5 / 12.
        let keyword = covered(&[("kw1", 0.25), ("kw2", 1.0)]);
        let out = rrf(&keyword, &[], params);
        assert_eq!(out[0].id, "kw2");
        assert!((out[0].score - 0.5 / 12.0).abs() < 1e-12);
        assert!((out[1].score - 0.5 * 0.25 / 11.0).abs() < 1e-12);
        let squared = RrfParams {
            keyword_evidence: 2.0,
            ..params
        };
        let out = rrf(&keyword, &[], squared);
        assert!((out[1].score - 0.5 * 0.0625 / 11.0).abs() < 1e-12);
    }
}
