//! `experiment_report`: how the arms of an A/B experiment are doing — impressions, CTR and
//! conversion with 95% intervals, lift over the baseline and whether it is significant.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Effects, Tool, Toolset};
use crate::app::App;
use crate::recommend::experiments::{Rate, Strategy, two_proportion_p, wilson};
use crate::store::recommendations;
use crate::{Error, Result};

/// Significance level of the lift test.
pub const ALPHA: f64 = 0.05;

/// The `experiment_report` tool.
pub struct ExperimentReport;

/// Which experiment.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Experiment name (default: the first configured).
    #[schemars(length(min = 1, max = 64))]
    pub experiment: Option<String>,
    /// The arm others are compared with (default: the arm named `baseline`, else the first).
    #[schemars(length(min = 1, max = 64))]
    pub baseline: Option<String>,
}

/// One arm's figures.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ArmReport {
    /// Arm name.
    pub arm: String,
    /// Its ranking strategy (absent for an arm no longer configured).
    pub strategy: Option<Strategy>,
    /// Configured traffic share (0 to 1).
    pub share: Option<f64>,
    /// recommend_gifts answers served.
    pub requests: u64,
    /// Products shown.
    pub impressions: u64,
    /// Shown products clicked (click, add to cart or purchase recorded with the request_id).
    pub clicks: u64,
    /// Shown products bought.
    pub conversions: u64,
    /// clicks / impressions with its 95% Wilson interval.
    pub ctr: Rate,
    /// conversions / impressions with its 95% Wilson interval.
    pub conversion_rate: Rate,
    /// CTR relative to the baseline's, minus 1 (0.25 = 25% more clicks); absent for the
    /// baseline or when the baseline has no clicks.
    pub ctr_lift: Option<f64>,
    /// Two-sided p-value of the CTR difference to the baseline (two-proportion z-test).
    pub ctr_p_value: Option<f64>,
    /// Whether the CTR difference is significant at the 5% level.
    pub significant: Option<bool>,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Output {
    /// Experiment.
    pub experiment: String,
    /// Baseline arm.
    pub baseline: String,
    /// Per arm.
    pub arms: Vec<ArmReport>,
    /// The conclusion in one sentence.
    pub conclusion: String,
}

impl Tool for ExperimentReport {
    const NAME: &'static str = "experiment_report";
    const DESCRIPTION: &'static str = "Report an A/B experiment on recommendations: per arm, \
        requests, impressions, clicks and purchases recorded with the answers' request_ids, \
        CTR and conversion rate with 95% intervals, the CTR lift over the baseline arm with a \
        p-value, and a one-sentence conclusion (which arm wins, or that it is too early).";
    const TITLE: &'static str = "Experiment report";
    const EFFECTS: Effects = Effects::READ_ONLY;
    const TOOLSET: Toolset = Toolset::Ops;
    type Input = Input;
    type Output = Output;

    async fn call(app: &App, input: Input) -> Result<Output> {
        report(app, &input).await
    }
}

/// Builds the report (the tool and `giftvec experiment-report`).
pub async fn report(app: &App, input: &Input) -> Result<Output> {
    let experiments = &app.recommend.experiments;
    let configured = match &input.experiment {
        Some(name) => experiments.iter().find(|e| &e.name == name),
        None => experiments.first(),
    };
    let name = match (&input.experiment, configured) {
        (_, Some(e)) => e.name.clone(),
        (Some(name), None) => name.clone(),
        (None, None) => {
            return Err(Error::invalid(
                "experiment",
                "no experiment is configured (GIFTVEC_EXPERIMENTS); name one to report on past data",
            ));
        }
    };
    let counts = recommendations::arm_counts(&app.heavy, &name).await?;
    if configured.is_none() && counts.is_empty() {
        return Err(Error::not_found("experiment", &name));
    }
    let mut arms: Vec<ArmReport> = Vec::new();
    let mut names: Vec<String> = configured
        .map(|e| e.arms.iter().map(|a| a.name.clone()).collect())
        .unwrap_or_default();
    for c in &counts {
        if !names.contains(&c.arm) {
            names.push(c.arm.clone());
        }
    }
    for arm in &names {
        let c = counts.iter().find(|c| &c.arm == arm);
        let (requests, impressions, clicks, conversions) = c.map_or((0, 0, 0, 0), |c| {
            (c.requests, c.impressions, c.clicks, c.conversions)
        });
        let conf = configured.and_then(|e| e.arms.iter().find(|a| &a.name == arm));
        arms.push(ArmReport {
            arm: arm.clone(),
            strategy: conf.map(|a| a.strategy),
            share: conf.map(|a| {
                a.share / configured.map_or(1.0, |e| e.arms.iter().map(|x| x.share).sum())
            }),
            requests,
            impressions,
            clicks,
            conversions,
            ctr: wilson(clicks, impressions),
            conversion_rate: wilson(conversions, impressions),
            ctr_lift: None,
            ctr_p_value: None,
            significant: None,
        });
    }
    let baseline = match (&input.baseline, configured) {
        (Some(b), _) => {
            if !names.contains(b) {
                return Err(Error::invalid(
                    "baseline",
                    format!(
                        "experiment {name:?} has no arm {b:?}; arms: {}",
                        names.join(", ")
                    ),
                ));
            }
            b.clone()
        }
        (None, Some(e)) => e.baseline().name.clone(),
        (None, None) => names
            .iter()
            .find(|n| *n == "baseline")
            .unwrap_or(&names[0])
            .clone(),
    };
    let base = arms
        .iter()
        .find(|a| a.arm == baseline)
        .map(|a| (a.clicks, a.impressions))
        .unwrap_or((0, 0));
    for a in arms.iter_mut().filter(|a| a.arm != baseline) {
        let base_ctr = if base.1 > 0 {
            base.0 as f64 / base.1 as f64
        } else {
            0.0
        };
        if base_ctr > 0.0 && a.impressions > 0 {
            a.ctr_lift = Some(a.ctr.value / base_ctr - 1.0);
        }
        if a.impressions > 0 && base.1 > 0 {
            let p = two_proportion_p((a.clicks, a.impressions), base);
            a.ctr_p_value = Some(p);
            a.significant = Some(p < ALPHA);
        }
    }
    let conclusion = conclude(&arms, &baseline);
    Ok(Output {
        experiment: name,
        baseline,
        arms,
        conclusion,
    })
}

fn conclude(arms: &[ArmReport], baseline: &str) -> String {
    let base_ctr = arms
        .iter()
        .find(|a| a.arm == baseline)
        .map_or(0.0, |a| a.ctr.value);
    let winners: Vec<&ArmReport> = arms
        .iter()
        .filter(|a| a.significant == Some(true) && a.ctr.value > base_ctr)
        .collect();
    let losers: Vec<&ArmReport> = arms
        .iter()
        .filter(|a| a.significant == Some(true) && a.ctr.value < base_ctr)
        .collect();
    if let Some(best) = winners
        .iter()
        .max_by(|a, b| a.ctr.value.total_cmp(&b.ctr.value))
    {
        let lift = best
            .ctr_lift
            .map_or(String::new(), |l| format!("{:+.0}%, ", 100.0 * l));
        let p = best.ctr_p_value.unwrap_or(1.0);
        let p = if p < 0.001 {
            "p < 0.001".to_string()
        } else {
            format!("p = {p:.3}")
        };
        return format!(
            "{} beats {baseline}: CTR {:.1}% vs {:.1}% ({lift}{p}).",
            best.arm,
            100.0 * best.ctr.value,
            100.0 * base_ctr,
        );
    }
    if !losers.is_empty() {
        let names: Vec<&str> = losers.iter().map(|a| a.arm.as_str()).collect();
        return format!(
            "{baseline} beats {} significantly on CTR.",
            names.join(", ")
        );
    }
    let impressions: u64 = arms.iter().map(|a| a.impressions).sum();
    format!(
        "No significant CTR difference from {baseline} yet ({impressions} impressions in all); \
         keep the experiment running."
    )
}
