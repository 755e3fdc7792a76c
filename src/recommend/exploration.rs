//! Exploration: a share of slots for products outside the shopper's usual categories, the
//! category chosen by Thompson sampling over per-category feedback (items shown in
//! recommendations and how many of them drew a click, cart, purchase or like): each category's
//! click-through is drawn from Beta(1 + positives, 1 + shown − positives) and the highest draw
//! wins, so categories that work are tried more while unproven ones still get their chance.

use std::collections::HashMap;

use rand::Rng;
use rand_distr::{Beta, Distribution};

/// How many of `limit` slots go to exploration at rate `rate` (0..1): `limit · rate` rounded
/// up or down at random in proportion, so the share over many calls equals `rate`.
pub fn slots(limit: usize, rate: f64, rng: &mut impl Rng) -> usize {
    let exact = limit as f64 * rate.clamp(0.0, 1.0);
    let whole = exact.floor();
    let extra = usize::from(rng.random::<f64>() < exact - whole);
    (whole as usize + extra).min(limit)
}

/// One Thompson draw of a category's click-through from its feedback `(shown, positives)`.
pub fn draw(feedback: Option<&(u64, u64)>, rng: &mut impl Rng) -> f64 {
    let (shown, positive) = feedback.copied().unwrap_or((0, 0));
    let alpha = 1.0 + positive as f64;
    let beta = 1.0 + shown.saturating_sub(positive) as f64;
    Beta::new(alpha, beta).map_or(0.5, |b| b.sample(rng))
}

/// Orders `categories` for exploration: by one Thompson draw each, best first.
pub fn rank_categories(
    categories: &[String],
    feedback: &HashMap<String, (u64, u64)>,
    rng: &mut impl Rng,
) -> Vec<String> {
    let mut drawn: Vec<(f64, &String)> = categories
        .iter()
        .map(|c| (draw(feedback.get(c), rng), c))
        .collect();
    drawn.sort_by(|a, b| b.0.total_cmp(&a.0));
    drawn.into_iter().map(|(_, c)| c.clone()).collect()
}

/// The positions (0-based) at which `n` exploration picks sit in a list of `len`: spread
/// evenly, never first.
pub fn positions(len: usize, n: usize) -> Vec<usize> {
    (1..=n)
        .map(|i| (i * len / (n + 1)).max(1).min(len - 1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn slots_average_to_the_rate() {
        let mut rng = StdRng::seed_from_u64(7);
        let n = 20_000;
        let total: usize = (0..n).map(|_| slots(10, 0.25, &mut rng)).sum();
        let share = total as f64 / (n * 10) as f64;
        assert!((share - 0.25).abs() < 0.005, "{share}");
        assert_eq!(slots(10, 0.0, &mut rng), 0);
        assert_eq!(slots(10, 1.0, &mut rng), 10);
    }

    #[test]
    fn thompson_prefers_categories_that_convert() {
        let mut rng = StdRng::seed_from_u64(1);
        let feedback: HashMap<String, (u64, u64)> = [
            ("good".to_string(), (100, 40)),
            ("bad".to_string(), (100, 2)),
        ]
        .into();
        let cats = ["good".to_string(), "bad".to_string()];
        let wins = (0..1000)
            .filter(|_| rank_categories(&cats, &feedback, &mut rng)[0] == "good")
            .count();
        assert!(wins > 990, "{wins}");
        assert_eq!(positions(10, 2), [3, 6]);
        assert_eq!(positions(2, 1), [1]);
    }
}
