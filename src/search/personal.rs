//! The final, personal re-rank: a linear blend of two scores, each min-max normalised over
//! the candidates (so that `w` means the same whatever the mode's score scale):
//! `(1 - w) * relevance' + w * taste'`, where relevance is the search score and taste the
//! cosine of the product to the user's preference vector. The list keeps its relevance order
//! where the user has no leaning and moves their kind of product up where they do. Without a
//! preference vector it changes nothing.

use std::collections::HashMap;

use super::products::SearchHit;
use crate::Result;
use crate::app::App;
use crate::store;

/// Re-ranks `hits` (best first) for `user_id` with weight `weight` (0 to 1). Returns whether
/// the user had a preference vector (and so whether anything changed).
pub async fn rerank(app: &App, user_id: &str, weight: f64, hits: &mut [SearchHit]) -> Result<bool> {
    let ids: Vec<String> = hits.iter().map(|h| h.product.id.clone()).collect();
    let Some(similarity) = store::people::taste(&app.read, &app.model, user_id, &ids).await? else {
        return Ok(false);
    };
    apply(hits, &similarity.into_iter().collect(), weight);
    Ok(true)
}

/// The re-rank itself (pure, for tests): blends each hit's normalised score with its
/// normalised preference similarity and sorts by the blend (a stable sort: ties keep their
/// previous order). Products without an embedding count as the least similar.
pub fn apply(hits: &mut [SearchHit], similarity: &HashMap<String, f64>, weight: f64) {
    let weight = weight.clamp(0.0, 1.0);
    let scores: Vec<f64> = hits.iter().map(|h| h.score).collect();
    let tastes: Vec<Option<f64>> = hits
        .iter()
        .map(|h| similarity.get(&h.product.id).copied())
        .collect();
    let relevance = min_max(&scores);
    let taste = min_max(
        &tastes
            .iter()
            .map(|t| t.unwrap_or(f64::NAN))
            .collect::<Vec<_>>(),
    );
    for (i, hit) in hits.iter_mut().enumerate() {
        hit.personal_similarity = tastes[i];
        let t = if taste[i].is_nan() { 0.0 } else { taste[i] };
        hit.score = (1.0 - weight) * relevance[i] + weight * t;
    }
    hits.sort_by(|a, b| b.score.total_cmp(&a.score));
}

/// Scales values to 0..=1 (all equal: all 1); NaN stays NaN and is ignored.
fn min_max(values: &[f64]) -> Vec<f64> {
    let finite = values.iter().copied().filter(|v| !v.is_nan());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    values
        .iter()
        .map(|&v| {
            if v.is_nan() {
                v
            } else if hi > lo {
                (v - lo) / (hi - lo)
            } else {
                1.0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Product;

    fn hit(id: &str, score: f64) -> SearchHit {
        SearchHit {
            product: Product {
                id: id.into(),
                ..Product::default()
            },
            score,
            keyword_rank: None,
            semantic_rank: None,
            personal_similarity: None,
        }
    }

    #[test]
    fn blends_normalised_relevance_and_taste() {
        // relevance 0.9, 0.5, 0.1 -> 1, 0.5, 0; taste 0.2, 0.6, 0.4 -> 0, 1, 0.5.
        // w = 0.5: a = 0.5, b = 0.75, c = 0.25.
        let mut hits = vec![hit("a", 0.9), hit("b", 0.5), hit("c", 0.1)];
        let taste: HashMap<String, f64> = [("a", 0.2), ("b", 0.6), ("c", 0.4)]
            .map(|(k, v)| (k.to_string(), v))
            .into();
        apply(&mut hits, &taste, 0.5);
        let order: Vec<&str> = hits.iter().map(|h| h.product.id.as_str()).collect();
        assert_eq!(order, ["b", "a", "c"]);
        for (hit, expected) in hits.iter().zip([0.75, 0.5, 0.25]) {
            assert!((hit.score - expected).abs() < 1e-12, "{hit:?}");
        }
        assert_eq!(hits[0].personal_similarity, Some(0.6));
    }

    #[test]
    fn weight_zero_keeps_the_order_and_unembedded_products_rank_last_on_taste() {
        let mut hits = vec![hit("a", 3.0), hit("b", 2.0), hit("c", 1.0)];
        let taste: HashMap<String, f64> = [("a", 0.1), ("b", 0.9)]
            .map(|(k, v)| (k.to_string(), v))
            .into();
        apply(&mut hits, &taste, 0.0);
        assert_eq!(
            hits.iter()
                .map(|h| h.product.id.as_str())
                .collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        apply(&mut hits, &taste, 1.0);
        assert_eq!(
            hits.iter()
                .map(|h| h.product.id.as_str())
                .collect::<Vec<_>>(),
            ["b", "a", "c"]
        );
        assert_eq!(hits[2].personal_similarity, None);
    }
}
