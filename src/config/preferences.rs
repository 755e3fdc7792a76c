//! How shopper events build preference vectors (every command that records or rebuilds them).

use std::time::Duration;

use clap::Args;

use crate::recommend::PreferenceSettings;

const KINDS: [&str; 7] = [
    "view",
    "click",
    "add_to_cart",
    "purchase",
    "like",
    "dislike",
    "dismiss",
];

/// Event weights and decay.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Preferences")]
pub struct PreferenceArgs {
    /// Weight of each event kind in a user's preference vector, `kind=weight` comma-separated
    /// (kinds not listed keep their default; negative weights push away).
    #[arg(long, env = "GIFTVEC_EVENT_WEIGHTS", global = true, value_parser = parse_weights)]
    pub event_weights: Option<Weights>,

    /// Days after which an event counts half in a preference vector.
    #[arg(
        long,
        env = "GIFTVEC_PREFERENCE_HALF_LIFE_DAYS",
        default_value_t = 30.0,
        global = true
    )]
    pub preference_half_life_days: f64,
}

/// Parsed `kind=weight` overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights(Vec<(String, f64)>);

fn parse_weights(text: &str) -> Result<Weights, String> {
    super::weights::parse(text, &KINDS, "event kind", true).map(Weights)
}

impl PreferenceArgs {
    /// The settings: defaults with these overrides.
    pub fn settings(&self) -> PreferenceSettings {
        let mut settings = PreferenceSettings::default();
        if let Some(Weights(overrides)) = &self.event_weights {
            for (kind, weight) in overrides {
                if let Some(slot) = settings.weights.iter_mut().find(|(k, _)| k == kind) {
                    slot.1 = *weight;
                }
            }
        }
        settings.half_life =
            Duration::from_secs_f64(self.preference_half_life_days.max(1e-6) * 86_400.0);
        settings
    }
}

#[cfg(test)]
mod tests {
    use super::parse_weights;

    #[test]
    fn weights_parse_and_name_what_is_wrong() {
        let w = parse_weights("like=2, dismiss=-1").unwrap();
        assert_eq!(
            w.0,
            [("like".to_string(), 2.0), ("dismiss".to_string(), -1.0)]
        );
        assert!(
            parse_weights("love=1")
                .unwrap_err()
                .contains("unknown event kind \"love\"")
        );
        assert!(
            parse_weights("like")
                .unwrap_err()
                .contains("not kind=weight")
        );
        assert!(
            parse_weights("like=x")
                .unwrap_err()
                .contains("must be a number")
        );
    }
}
