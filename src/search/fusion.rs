//! Reciprocal Rank Fusion: `score(d) = Σ_s weight_s / (k + rank_s(d))` over the sources that
//! ranked `d` (ranks start at 1). Unweighted RRF (k = 60) let a noisy keyword list drag dense
//! results down on gift requests; a light keyword weight with a small k keeps the dense order
//! and lets exact keyword matches break near-ties (see DESIGN §5b), hence the defaults:
//! keyword weight 0.5 and k = 10. With query understanding leaving gift boilerplate out of the
//! keyword side, its list is cleaner and 0.5 did best across the demo set and the tuning
//! halves of two public catalogs (higher weights help the demo set and hurt a catalog of
//! short titles; docs/search.md has the sweep).

use std::collections::HashMap;

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
}

/// Default of [`RrfParams::category_vote`]: docs/search.md has the measurement.
pub const CATEGORY_VOTE: f64 = 1.5;

impl Default for RrfParams {
    fn default() -> Self {
        Self {
            k: 10.0,
            keyword_weight: 0.5,
            semantic_weight: 1.0,
            category_vote: CATEGORY_VOTE,
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

/// Fuses two ranked id lists (best first); ties broken by id.
pub fn rrf(keyword: &[String], semantic: &[String], params: RrfParams) -> Vec<Fused> {
    let mut fused: HashMap<&str, Fused> = HashMap::new();
    for (list, weight, is_keyword) in [
        (keyword, params.keyword_weight, true),
        (semantic, params.semantic_weight, false),
    ] {
        for (i, id) in list.iter().enumerate() {
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

    #[test]
    fn matches_a_hand_computed_example() {
        // k = 60, equal weights:
        //   a: 1/(60+1) + 1/(60+3) = 0.016393 + 0.015873 = 0.032266
        //   b: 1/(60+2)            = 0.016129 (keyword only)
        //   c: 1/(60+3) + 1/(60+1) = 0.032266 (ties with a, broken by id)
        //   d: 1/(60+2)            = 0.016129 (semantic only)
        let params = RrfParams {
            k: 60.0,
            keyword_weight: 1.0,
            semantic_weight: 1.0,
            category_vote: 0.0,
        };
        let out = rrf(&ids(&["a", "b", "c"]), &ids(&["c", "d", "a"]), params);
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
        let params = RrfParams {
            k: 10.0,
            keyword_weight: 0.2,
            semantic_weight: 1.0,
            category_vote: 0.0,
        };
        let out = rrf(&ids(&["kw"]), &ids(&["sem"]), params);
        assert_eq!(out[0].id, "sem");
        assert!((out[0].score - 1.0 / 11.0).abs() < 1e-12);
        assert!((out[1].score - 0.2 / 11.0).abs() < 1e-12);
    }
}
