//! Query-category prediction from the catalog itself: the categories of the strongest meaning
//! matches vote on what kind of product the request is about, and each fused candidate's score
//! is raised by its category's share of the vote. A catalog's own categories carry what a
//! short request leaves implicit ("a houseplant for a new office" is about plants, whatever
//! the word "office" pulls in), and a catalog giftvec has never seen brings its own.
//!
//! A voter's vote is a kernel of how close it is to the request, `exp((cos − cos₁) / h)`
//! against the best match's cosine `cos₁`: a match nearly as close as the best counts nearly
//! as much, one far behind next to nothing, whatever its rank. Votes by rank (1/r) let a run
//! of weak matches of one category (a ball, a tent, a football for "a gift for a gamer")
//! outvote the close match of another; the kernel lifted the held-out P@5 of both public
//! catalogs (docs/search.md has the sweep, and the category-centroid prediction that was
//! tried beside it).

use std::collections::HashMap;

/// How many of the best meaning matches vote.
pub const VOTERS: usize = 10;

/// The kernel's width `h` in cosine: a voter 0.05 behind the best counts 1/e of it.
pub const BANDWIDTH: f64 = 0.05;

/// Each category's share (0 to 1) of the vote of `voters`, the best meaning matches best
/// first as (category, cosine similarity to the request); only the first [`VOTERS`] vote,
/// and a voter whose similarity is not a number has none.
pub fn shares<'a>(voters: impl IntoIterator<Item = (&'a str, f64)>) -> HashMap<&'a str, f64> {
    let voters: Vec<(&str, f64)> = voters
        .into_iter()
        .take(VOTERS)
        .filter(|(_, s)| s.is_finite())
        .collect();
    let best = voters
        .iter()
        .map(|&(_, s)| s)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut votes: HashMap<&str, f64> = HashMap::new();
    let mut total = 0.0;
    for (category, similarity) in voters {
        let vote = ((similarity - best) / BANDWIDTH).exp();
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
    fn votes_follow_closeness_to_the_best_match_and_sum_to_one() {
        let s = shares([
            ("Plants", 0.60),
            ("Furniture", 0.55),
            ("Plants", 0.50),
            ("Plants", f64::NAN),
        ]);
        let (a, b, c) = (1.0, (-1.0f64).exp(), (-2.0f64).exp());
        assert!((s["Plants"] - (a + c) / (a + b + c)).abs() < 1e-12, "{s:?}");
        assert!((s["Furniture"] - b / (a + b + c)).abs() < 1e-12);
        assert!((s.values().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(shares(std::iter::empty()).is_empty());
        assert!(shares([("A", f64::NAN)]).is_empty());
    }

    #[test]
    fn one_close_match_outweighs_many_distant_ones() {
        let mut voters = vec![("Computers", 0.40)];
        voters.extend(std::iter::repeat_n(("Equipment", 0.25), 9));
        let s = shares(voters);
        assert!(s["Computers"] > s["Equipment"], "{s:?}");
    }

    #[test]
    fn only_the_first_voters_count() {
        let many: Vec<(&str, f64)> = std::iter::repeat_n(("A", 0.5), VOTERS)
            .chain([("B", 0.9)])
            .collect();
        assert_eq!(shares(many).get("B"), None);
    }

    #[test]
    fn a_boost_is_proportional_and_none_without_weight() {
        assert_eq!(boost(0.1, 0.5, 0.0), 0.1);
        assert!((boost(0.1, 0.5, 1.0) - 0.15).abs() < 1e-12);
    }
}
