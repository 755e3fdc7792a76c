//! Maximal marginal relevance (MMR) and the list-diversity measures reported with it.
//!
//! MMR picks, one at a time, the item maximising `λ · rel(i) − (1 − λ) · max_{j ∈ S} cos(i, j)`
//! over the items not yet picked, where `S` is what was picked so far and `rel` is relevance
//! min-max scaled to 0..1 over the candidates (so that `λ` means the same whatever the score's
//! scale). `λ = 1` keeps relevance order; lower values trade relevance for variety. An optional
//! cap keeps at most that many items of one category.

use std::collections::{HashMap, HashSet};

/// One candidate for re-ranking.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// Relevance, higher is better (any scale).
    pub relevance: f64,
    /// Its embedding (any length; cosine is used).
    pub vector: &'a [f32],
    /// Its category (for the per-category cap and coverage).
    pub category: &'a str,
}

/// Cosine similarity of two vectors (0 when either is zero).
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let (mut dot, mut na, mut nb) = (0f64, 0f64, 0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x), f64::from(y));
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    dot / (na.sqrt() * nb.sqrt())
}

/// Indices of up to `limit` candidates in MMR order with trade-off `lambda` (0..=1), at most
/// `per_category` from any one category when given.
pub fn mmr(
    candidates: &[Candidate<'_>],
    lambda: f64,
    limit: usize,
    per_category: Option<usize>,
) -> Vec<usize> {
    let (lo, hi) = candidates
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| {
            (lo.min(c.relevance), hi.max(c.relevance))
        });
    let span = hi - lo;
    let scaled = |c: &Candidate<'_>| {
        if span > 0.0 {
            (c.relevance - lo) / span
        } else {
            1.0
        }
    };
    // Highest similarity of each candidate to the picked set, kept up to date incrementally.
    let mut closest = vec![f64::NEG_INFINITY; candidates.len()];
    let mut picked: Vec<usize> = Vec::new();
    let mut taken = vec![false; candidates.len()];
    let mut per_cat: HashMap<&str, usize> = HashMap::new();
    while picked.len() < limit {
        let mut best: Option<(usize, f64)> = None;
        for (i, c) in candidates.iter().enumerate() {
            if taken[i] {
                continue;
            }
            if let Some(cap) = per_category
                && per_cat.get(c.category).copied().unwrap_or(0) >= cap
            {
                continue;
            }
            let redundancy = if picked.is_empty() { 0.0 } else { closest[i] };
            let value = lambda * scaled(c) - (1.0 - lambda) * redundancy;
            if best.is_none_or(|(_, v)| value > v) {
                best = Some((i, value));
            }
        }
        let Some((chosen, _)) = best else { break };
        taken[chosen] = true;
        picked.push(chosen);
        *per_cat.entry(candidates[chosen].category).or_default() += 1;
        for (i, c) in candidates.iter().enumerate() {
            if !taken[i] {
                closest[i] = closest[i].max(cosine(c.vector, candidates[chosen].vector));
            }
        }
    }
    picked
}

/// Intra-list diversity: the mean pairwise cosine distance `1 − cos` (0 for fewer than two).
pub fn intra_list_diversity(vectors: &[&[f32]]) -> f64 {
    let n = vectors.len();
    if n < 2 {
        return 0.0;
    }
    let mut total = 0.0;
    for i in 0..n {
        for j in i + 1..n {
            total += 1.0 - cosine(vectors[i], vectors[j]);
        }
    }
    total / (n * (n - 1) / 2) as f64
}

/// How many distinct categories a list covers.
pub fn category_coverage<'a>(categories: impl IntoIterator<Item = &'a str>) -> usize {
    categories.into_iter().collect::<HashSet<_>>().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c<'a>(relevance: f64, vector: &'a [f32], category: &'a str) -> Candidate<'a> {
        Candidate {
            relevance,
            vector,
            category,
        }
    }

    #[test]
    fn mmr_matches_a_hand_computed_example() {
        // a = [1,0] rel 1.0; b = [0.995, 0.0998] (cos(a,b) ≈ 0.995) rel 0.9; d = [0,1] rel 0.
        // Scaled relevance: a 1, b 0.9, d 0. With λ = 0.5:
        //  pick 1: a (0.5·1 = 0.5 beats b 0.45, d 0).
        //  pick 2: b: 0.5·0.9 − 0.5·0.995 = −0.0475; d: 0.5·0 − 0.5·0 = 0 → d.
        //  pick 3: b.
        let (a, b, d) = ([1.0f32, 0.0], [0.995f32, 0.0998], [0.0f32, 1.0]);
        let items = [c(1.0, &a, "x"), c(0.9, &b, "x"), c(0.0, &d, "y")];
        assert_eq!(mmr(&items, 0.5, 3, None), [0, 2, 1]);
        // λ = 1 is relevance order; λ = 0.99 still is (0.99·0.9 − 0.01·0.995 > 0).
        assert_eq!(mmr(&items, 1.0, 3, None), [0, 1, 2]);
        assert_eq!(mmr(&items, 0.99, 2, None), [0, 1]);
        // A cap of one per category leaves b out.
        assert_eq!(mmr(&items, 1.0, 3, Some(1)), [0, 2]);
    }

    #[test]
    fn diversity_is_mean_pairwise_cosine_distance() {
        let (a, b, d) = ([1.0f32, 0.0], [1.0f32, 0.0], [0.0f32, 1.0]);
        // pairs: (a,b) 0, (a,d) 1, (b,d) 1 → 2/3.
        let ild = intra_list_diversity(&[&a, &b, &d]);
        assert!((ild - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(intra_list_diversity(&[&a]), 0.0);
        assert_eq!(category_coverage(["x", "y", "x"]), 2);
    }
}
