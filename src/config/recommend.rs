//! Recommendation weights, defaults and A/B experiments (every command that recommends or
//! reports on experiments).

use clap::Args;

use crate::Result;
use crate::recommend::RecommendSettings;
use crate::recommend::experiments;
use crate::recommend::scoring::ScoreWeights;

const COMPONENTS: [&str; 8] = [
    "context",
    "occasion",
    "keyword",
    "recipient",
    "preference",
    "popularity",
    "budget_fit",
    "category",
];

/// Recommendation settings.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Recommendations")]
pub struct RecommendArgs {
    /// Weights of the recommendation score's components, `name=weight` comma-separated
    /// (context, occasion, keyword, recipient, preference, popularity, budget_fit, category;
    /// unlisted keep their default 0.45 / 0.05 / 0.15 / 0.30 / 0.40 / 0.05 / 0.05 / 0.30).
    #[arg(long, env = "GIFTVEC_RECOMMEND_WEIGHTS", global = true, value_parser = parse_weights)]
    pub recommend_weights: Option<WeightList>,

    /// Candidates fetched from the vector index per recommendation before scoring.
    #[arg(long, env = "GIFTVEC_RECOMMEND_CANDIDATES", default_value_t = 200, global = true,
          value_parser = clap::value_parser!(u32).range(10..=1000))]
    pub recommend_candidates: u32,

    /// `diversity` of recommend_gifts calls that give none (0 = pure relevance order).
    #[arg(
        long,
        env = "GIFTVEC_RECOMMEND_DIVERSITY",
        default_value_t = 0.2,
        global = true
    )]
    pub recommend_diversity: f64,

    /// A/B experiments, a JSON array: `[{"name": "recs-v1", "arms": [{"name": "baseline",
    /// "share": 0.5, "strategy": "popularity"}, {"name": "personalised", "share": 0.5,
    /// "strategy": "personalised", "diversity": 0.3}]}]`. Strategies: personalised,
    /// similarity, popularity. The first experiment applies to calls that name none.
    #[arg(long, env = "GIFTVEC_EXPERIMENTS", global = true)]
    pub experiments: Option<String>,
}

/// Parsed `name=weight` overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightList(Vec<(String, f64)>);

fn parse_weights(text: &str) -> std::result::Result<WeightList, String> {
    super::weights::parse(text, &COMPONENTS, "score component", false).map(WeightList)
}

impl RecommendArgs {
    /// The settings (fails on a malformed experiments document).
    pub fn settings(&self) -> Result<RecommendSettings> {
        let mut s = RecommendSettings::default();
        let w: &mut ScoreWeights = &mut s.weights;
        for (name, weight) in self.recommend_weights.iter().flat_map(|w| &w.0) {
            match name.as_str() {
                "context" => w.context = *weight,
                "occasion" => w.occasion = *weight,
                "keyword" => w.keyword = *weight,
                "recipient" => w.recipient = *weight,
                "preference" => w.preference = *weight,
                "popularity" => w.popularity = *weight,
                "category" => w.category = *weight,
                _ => w.budget_fit = *weight,
            }
        }
        s.candidates = self.recommend_candidates;
        if !(0.0..=1.0).contains(&self.recommend_diversity) {
            return Err(crate::Error::Setup(format!(
                "GIFTVEC_RECOMMEND_DIVERSITY must be 0 to 1, got {}",
                self.recommend_diversity
            )));
        }
        s.default_diversity = self.recommend_diversity;
        if let Some(text) = self.experiments.as_deref().filter(|t| !t.trim().is_empty()) {
            s.experiments = experiments::parse(text)?;
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::parse_weights;

    #[test]
    fn weights_name_what_is_wrong() {
        assert_eq!(
            parse_weights("context=1").unwrap().0,
            [("context".to_string(), 1.0)]
        );
        assert!(
            parse_weights("vibes=1")
                .unwrap_err()
                .contains("unknown score component")
        );
        assert!(parse_weights("context=-1").unwrap_err().contains(">= 0"));
    }
}
