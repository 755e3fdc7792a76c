//! A/B experiments: named configurations with arms and traffic shares. A user is assigned to
//! an arm by hashing the experiment name with their id (SHA-256, the first 8 bytes as a
//! fraction of 2⁶⁴), so assignment is sticky, needs no storage, and is balanced to the shares.
//! The statistics of [`experiment_report`](crate::tools::experiment_report) live here too.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// How an arm ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The full score: context, recipient, user preference, popularity, budget fit.
    Personalised,
    /// Plain similarity to the request (context and recipient only): no user taste, no
    /// popularity.
    Similarity,
    /// The most popular of the products near the request (popularity alone ranks).
    Popularity,
}

/// One arm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arm {
    /// Arm name (reported with results and events).
    pub name: String,
    /// Share of traffic, > 0 (shares are scaled to sum to 1).
    pub share: f64,
    /// How it ranks.
    pub strategy: Strategy,
    /// Overrides the call's `diversity` when set.
    #[serde(default)]
    pub diversity: Option<f64>,
    /// Overrides the call's `exploration` when set.
    #[serde(default)]
    pub exploration: Option<f64>,
}

/// An experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    /// Experiment name.
    pub name: String,
    /// Its arms; the first is the baseline unless one is named `baseline`.
    pub arms: Vec<Arm>,
}

impl Experiment {
    /// Checks names, shares and overrides.
    pub fn check(&self) -> std::result::Result<(), String> {
        let name_ok = |n: &str| !n.trim().is_empty() && n.chars().count() <= 64;
        if !name_ok(&self.name) {
            return Err("an experiment name must be 1 to 64 characters".into());
        }
        if self.arms.len() < 2 {
            return Err(format!(
                "experiment {:?} needs at least two arms",
                self.name
            ));
        }
        for (i, arm) in self.arms.iter().enumerate() {
            if !name_ok(&arm.name) {
                return Err(format!(
                    "experiment {:?}: arm names are 1 to 64 characters",
                    self.name
                ));
            }
            if self.arms[..i].iter().any(|a| a.name == arm.name) {
                return Err(format!(
                    "experiment {:?}: arm {:?} appears twice",
                    self.name, arm.name
                ));
            }
            if !(arm.share.is_finite() && arm.share > 0.0) {
                return Err(format!(
                    "experiment {:?}: arm {:?} needs a share > 0",
                    self.name, arm.name
                ));
            }
            for v in [arm.diversity, arm.exploration].into_iter().flatten() {
                if !(0.0..=1.0).contains(&v) {
                    return Err(format!(
                        "experiment {:?}: arm {:?} diversity/exploration must be 0 to 1",
                        self.name, arm.name
                    ));
                }
            }
        }
        Ok(())
    }

    /// The arm of `unit` (a user id): sticky and proportional to the shares.
    pub fn assign(&self, unit: &str) -> &Arm {
        let total: f64 = self.arms.iter().map(|a| a.share).sum();
        let x = unit_fraction(&self.name, unit) * total;
        let mut upto = 0.0;
        for arm in &self.arms {
            upto += arm.share;
            if x < upto {
                return arm;
            }
        }
        self.arms.last().expect("checked: two arms or more")
    }

    /// The baseline arm: the one named `baseline`, else the first.
    pub fn baseline(&self) -> &Arm {
        self.arms
            .iter()
            .find(|a| a.name == "baseline")
            .unwrap_or(&self.arms[0])
    }
}

/// A uniform fraction in [0, 1) from the hash of `experiment` and `unit`.
fn unit_fraction(experiment: &str, unit: &str) -> f64 {
    let digest = Sha256::new()
        .chain_update(experiment.as_bytes())
        .chain_update([0u8])
        .chain_update(unit.as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // 53 bits: exactly representable in an f64.
    (u64::from_be_bytes(first) >> 11) as f64 / (1u64 << 53) as f64
}

/// Parses `GIFTVEC_EXPERIMENTS`: a JSON array of experiments.
pub fn parse(text: &str) -> Result<Vec<Experiment>> {
    let experiments: Vec<Experiment> = serde_json::from_str(text)
        .map_err(|e| Error::Setup(format!("GIFTVEC_EXPERIMENTS is not valid: {e}")))?;
    for (i, e) in experiments.iter().enumerate() {
        e.check()
            .map_err(|why| Error::Setup(format!("GIFTVEC_EXPERIMENTS: {why}")))?;
        if experiments[..i].iter().any(|o| o.name == e.name) {
            return Err(Error::Setup(format!(
                "GIFTVEC_EXPERIMENTS: experiment {:?} appears twice",
                e.name
            )));
        }
    }
    Ok(experiments)
}

/// A proportion with its 95% Wilson score interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Rate {
    /// successes / trials (0 without trials).
    pub value: f64,
    /// Lower end of the 95% interval.
    pub low: f64,
    /// Upper end of the 95% interval.
    pub high: f64,
}

const Z95: f64 = 1.959_963_984_540_054;

/// `successes / trials` with its Wilson 95% interval.
pub fn wilson(successes: u64, trials: u64) -> Rate {
    if trials == 0 {
        return Rate {
            value: 0.0,
            low: 0.0,
            high: 1.0,
        };
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = Z95 * Z95;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
    Rate {
        value: p,
        // At p = 0 or 1 the bound meets p exactly in theory; keep rounding from crossing it.
        low: (centre - half).clamp(0.0, p),
        high: (centre + half).clamp(p, 1.0),
    }
}

/// Two-sided p-value of the pooled two-proportion z-test of `a` vs `b` (successes, trials).
pub fn two_proportion_p(a: (u64, u64), b: (u64, u64)) -> f64 {
    let (n1, n2) = (a.1 as f64, b.1 as f64);
    if n1 == 0.0 || n2 == 0.0 {
        return 1.0;
    }
    let (p1, p2) = (a.0 as f64 / n1, b.0 as f64 / n2);
    let pooled = (a.0 + b.0) as f64 / (n1 + n2);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    if se == 0.0 {
        return 1.0;
    }
    let z = (p1 - p2).abs() / se;
    libm::erfc(z / std::f64::consts::SQRT_2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_arms() -> Experiment {
        Experiment {
            name: "e".into(),
            arms: ["baseline", "personalised"]
                .map(|n| Arm {
                    name: n.into(),
                    share: 0.5,
                    strategy: Strategy::Personalised,
                    diversity: None,
                    exploration: None,
                })
                .into(),
        }
    }

    #[test]
    fn assignment_is_sticky_and_balanced_over_ten_thousand_ids() {
        let e = two_arms();
        let n = 10_000;
        let base = (0..n)
            .filter(|i| e.assign(&format!("user-{i}")).name == "baseline")
            .count();
        // Binomial(10 000, 0.5): sd 50; 4 sd either side.
        assert!((4_800..=5_200).contains(&base), "{base}");
        for i in 0..100 {
            let id = format!("user-{i}");
            assert_eq!(e.assign(&id).name, e.assign(&id).name);
        }
        // Another experiment name reshuffles users independently.
        let mut other = two_arms();
        other.name = "f".into();
        let same = (0..n)
            .filter(|i| {
                let id = format!("user-{i}");
                e.assign(&id).name == other.assign(&id).name
            })
            .count();
        assert!((4_800..=5_200).contains(&same), "{same}");
    }

    #[test]
    fn statistics_match_textbook_values() {
        // Wilson 95% for 10/100: 0.0552 .. 0.1744.
        let r = wilson(10, 100);
        assert!((r.low - 0.0552).abs() < 1e-3 && (r.high - 0.1744).abs() < 1e-3);
        // 120/1000 vs 100/1000: z = 1.43, p ≈ 0.153.
        let p = two_proportion_p((120, 1000), (100, 1000));
        assert!((p - 0.153).abs() < 2e-3, "{p}");
    }

    #[test]
    fn bad_configurations_are_refused() {
        assert!(parse("[{\"name\":\"x\",\"arms\":[]}]").is_err());
        assert!(parse("not json").is_err());
        let ok = r#"[{"name":"x","arms":[{"name":"baseline","share":1,"strategy":"popularity"},
                     {"name":"p","share":1,"strategy":"personalised","diversity":0.3}]}]"#;
        assert_eq!(parse(ok).unwrap()[0].baseline().name, "baseline");
    }
}
