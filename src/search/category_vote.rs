//! Query-category prediction from the catalog itself: the categories of the strongest meaning
//! matches vote on what kind of product the request is about, and each fused candidate's score
//! is raised by its category's share of the vote. A catalog's own categories carry what a
//! short request leaves implicit ("a houseplant for a new office" is about plants, whatever
//! the word "office" pulls in), and a catalog giftvec has never seen brings its own.

use std::collections::HashMap;

/// How many of the best meaning matches vote.
pub const VOTERS: usize = 10;

/// Each category's share (0 to 1) of the vote of `categories`, the categories of the best
/// meaning matches best first; a voter at rank r counts 1/r.
pub fn shares<'a>(categories: impl IntoIterator<Item = &'a str>) -> HashMap<&'a str, f64> {
    let mut votes: HashMap<&str, f64> = HashMap::new();
    let mut total = 0.0;
    for (i, category) in categories.into_iter().take(VOTERS).enumerate() {
        let vote = 1.0 / (i as f64 + 1.0);
        *votes.entry(category).or_default() += vote;
        total += vote;
    }
    if total > 0.0 {
        votes.values_mut().for_each(|v| *v /= total);
    }
    votes
}

/// `score` raised by `weight` times its category's `share`.
pub fn boost(score: f64, share: f64, weight: f64) -> f64 {
    score * (1.0 + weight * share)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_weigh_voters_by_rank_and_sum_to_one() {
        let s = shares(["Plants", "Furniture", "Plants", "Plants"]);
        // 1 + 1/3 + 1/4 for plants, 1/2 for furniture, of 2.0833.
        let total = 1.0 + 0.5 + 1.0 / 3.0 + 0.25;
        assert!((s["Plants"] - (1.0 + 1.0 / 3.0 + 0.25) / total).abs() < 1e-12);
        assert!((s["Furniture"] - 0.5 / total).abs() < 1e-12);
        assert!((s.values().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(shares(std::iter::empty()).is_empty());
    }

    #[test]
    fn only_the_first_voters_count() {
        let many: Vec<&str> = std::iter::repeat_n("A", VOTERS).chain(["B"]).collect();
        assert_eq!(shares(many).get("B"), None);
    }

    #[test]
    fn a_boost_is_proportional_and_none_without_weight() {
        assert_eq!(boost(0.1, 0.5, 0.0), 0.1);
        assert!((boost(0.1, 0.5, 1.0) - 0.15).abs() < 1e-12);
    }
}
