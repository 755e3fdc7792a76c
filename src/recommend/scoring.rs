//! The recommendation score: one weighted sum of named components, each in a known range.
//!
//! | component | value | present when |
//! |---|---|---|
//! | `context` | cosine of the product to the agent's `context` text | context |
//! | `occasion` | cosine of the product to "a gift for <occasion>" | occasion |
//! | `keyword` | `1 − exp(−r / 0.1)`, `r` = `ts_rank` of the request's words (context less gift boilerplate, and the recipient's interests, OR-ed) | context or interests |
//! | `recipient` | cosine of the product to the recipient's profile vector | a recipient with a profile |
//! | `preference` | cosine of the product to the shopper's preference vector | the user has history |
//! | `popularity` | `1 − exp(−s / popularity_scale)`, `s` = positive event weight on it in the window | always |
//! | `budget_fit` | how well the price uses the budget, 0..1 (below) | a budget |
//! | `category` | its category's share of the vote of the 10 nearest candidates, each by its closeness to the request's vector (`search::category_vote`) | always |
//!
//! `score = Σ wᵢ · valueᵢ / Σ wᵢ` over the components present, so the contributions
//! `wᵢ · valueᵢ / Σ wᵢ` add up to the score exactly and scores of different requests are on
//! one scale. Budget fit: the target is 75% of `max` (a gift far below the budget reads as
//! cheap), the middle of `min..max` when both are given, or 125% of `min`; fit is
//! `1 − |price − target| / target`, clamped to 0..1. The budget itself is a hard filter.

use std::collections::BTreeMap;

use super::experiments::{Experiment, Strategy};

/// Component weights.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreWeights {
    /// Similarity to the request text.
    pub context: f64,
    /// Similarity to the occasion.
    pub occasion: f64,
    /// Keyword match of the request's words.
    pub keyword: f64,
    /// Similarity to the recipient's profile.
    pub recipient: f64,
    /// Similarity to the shopper's taste.
    pub preference: f64,
    /// Popularity prior from events.
    pub popularity: f64,
    /// Budget fit.
    pub budget_fit: f64,
    /// Agreement with the categories of the nearest candidates.
    pub category: f64,
}

impl Default for ScoreWeights {
    fn default() -> Self {
        Self {
            context: 0.45,
            occasion: 0.05,
            keyword: 0.15,
            recipient: 0.30,
            preference: 0.40,
            popularity: 0.05,
            budget_fit: 0.05,
            category: 0.3,
        }
    }
}

impl ScoreWeights {
    /// The weight of component `name`.
    pub fn of(&self, name: &str) -> f64 {
        match name {
            CONTEXT => self.context,
            OCCASION => self.occasion,
            KEYWORD => self.keyword,
            RECIPIENT => self.recipient,
            PREFERENCE => self.preference,
            POPULARITY => self.popularity,
            BUDGET_FIT => self.budget_fit,
            CATEGORY => self.category,
            _ => 0.0,
        }
    }
}

/// Component names.
pub const CONTEXT: &str = "context";
/// Occasion match.
pub const OCCASION: &str = "occasion";
/// Keyword match.
pub const KEYWORD: &str = "keyword";
/// Recipient match.
pub const RECIPIENT: &str = "recipient";
/// Shopper preference.
pub const PREFERENCE: &str = "preference";
/// Popularity prior.
pub const POPULARITY: &str = "popularity";
/// Budget fit.
pub const BUDGET_FIT: &str = "budget_fit";
/// Category vote.
pub const CATEGORY: &str = "category";

/// Recommendation defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct RecommendSettings {
    /// Component weights.
    pub weights: ScoreWeights,
    /// Candidates fetched from the ANN index before scoring.
    pub candidates: u32,
    /// `diversity` when the call gives none.
    pub default_diversity: f64,
    /// Positive event weight at which popularity reaches 1 − 1/e.
    pub popularity_scale: f64,
    /// Days of events that count towards popularity and exploration feedback.
    pub window_days: u32,
    /// A/B experiments (the first applies unless a call names another).
    pub experiments: Vec<Experiment>,
}

impl Default for RecommendSettings {
    fn default() -> Self {
        Self {
            weights: ScoreWeights::default(),
            candidates: 200,
            default_diversity: 0.2,
            popularity_scale: 10.0,
            window_days: 90,
            experiments: Vec::new(),
        }
    }
}

/// A budget in the catalog currency.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Budget {
    /// Lowest price.
    pub min: Option<f64>,
    /// Highest price.
    pub max: Option<f64>,
}

impl Budget {
    /// How well `price` uses the budget (0..1); `None` without a budget.
    pub fn fit(&self, price: f64) -> Option<f64> {
        let target = match (self.min, self.max) {
            (Some(lo), Some(hi)) => (lo + hi) / 2.0,
            (None, Some(hi)) => 0.75 * hi,
            (Some(lo), None) => 1.25 * lo,
            (None, None) => return None,
        };
        if target <= 0.0 {
            return Some(1.0);
        }
        Some((1.0 - (price - target).abs() / target).clamp(0.0, 1.0))
    }
}

/// Keyword match from `ts_rank` `r` (0 without a match).
pub fn keyword(r: f64) -> f64 {
    1.0 - (-r.max(0.0) / 0.1).exp()
}

/// Popularity from the positive event weight `s`.
pub fn popularity(s: f64, scale: f64) -> f64 {
    1.0 - (-s.max(0.0) / scale.max(1e-9)).exp()
}

/// Component values of one product, by name (only those present).
pub type Components = BTreeMap<String, f64>;

/// The score and each component's contribution to it (they sum to the score).
pub fn combine(
    components: &Components,
    weights: &ScoreWeights,
    strategy: Strategy,
) -> (f64, Components) {
    let used = |name: &str| match strategy {
        Strategy::Personalised => true,
        Strategy::Similarity => {
            matches!(name, CONTEXT | OCCASION | KEYWORD | RECIPIENT | CATEGORY)
        }
        Strategy::Popularity => name == POPULARITY,
    };
    let total: f64 = components
        .keys()
        .filter(|k| used(k))
        .map(|k| weights.of(k))
        .sum();
    let mut contributions = Components::new();
    if total <= 0.0 {
        return (0.0, contributions);
    }
    for (name, value) in components.iter().filter(|(k, _)| used(k)) {
        contributions.insert(name.clone(), weights.of(name) * value / total);
    }
    // Summed in the map's order, the same order any reader adds them in.
    (contributions.values().sum(), contributions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contributions_sum_to_the_score_over_present_components() {
        let w = ScoreWeights::default();
        let c: Components = [(CONTEXT, 0.6), (POPULARITY, 0.5), (BUDGET_FIT, 1.0)]
            .map(|(k, v)| (k.to_string(), v))
            .into();
        let (score, parts) = combine(&c, &w, Strategy::Personalised);
        // (0.45·0.6 + 0.05·0.5 + 0.05·1) / 0.55
        assert!((score - 0.345 / 0.55).abs() < 1e-12);
        assert!((parts.values().sum::<f64>() - score).abs() < 1e-15);
        let (pop, parts) = combine(&c, &w, Strategy::Popularity);
        assert_eq!((pop, parts.len()), (0.5, 1));
    }

    #[test]
    fn budget_fit_peaks_at_the_target() {
        let b = Budget {
            min: None,
            max: Some(100.0),
        };
        assert_eq!(b.fit(75.0), Some(1.0));
        assert_eq!(b.fit(37.5), Some(0.5));
        assert_eq!(b.fit(0.0), Some(0.0));
        assert_eq!(Budget::default().fit(10.0), None);
        assert!((popularity(10.0, 10.0) - (1.0 - (-1f64).exp())).abs() < 1e-12);
    }
}
