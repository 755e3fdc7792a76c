//! `explain_recommendation`: why a product was (or would be) recommended, from the very
//! figures that ranked it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::recommend_gifts::{self, BudgetInput, InlineRecipient};
use super::views::{MAX_ID_CHARS, ProductView};
use super::{Effects, Tool, Toolset};
use crate::app::App;
use crate::recommend::experiments::Strategy;
use crate::recommend::explain;
use crate::store::recommendations;
use crate::{Error, Result};

/// The `explain_recommendation` tool.
pub struct ExplainRecommendation;

/// What to explain: a product of a recommend_gifts answer (request_id), or a product under a
/// request described again (the same fields as recommend_gifts).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The product to explain.
    #[schemars(length(min = 1, max = MAX_ID_CHARS))]
    pub product_id: String,
    /// The request_id of the recommend_gifts answer it came from.
    #[schemars(length(min = 1, max = MAX_ID_CHARS))]
    pub request_id: Option<String>,
    /// Without request_id: the request, as recommend_gifts' context.
    #[schemars(length(min = 1, max = recommend_gifts::MAX_CONTEXT_CHARS))]
    pub context: Option<String>,
    /// The occasion.
    #[schemars(length(min = 1, max = 200))]
    #[schemars(extend("x-advanced" = true))]
    pub occasion: Option<String>,
    /// The shopper; with request_id, the user_id that request was made for.
    #[schemars(length(min = 1, max = MAX_ID_CHARS))]
    pub user_id: Option<String>,
    /// A saved recipient.
    #[schemars(length(min = 1, max = MAX_ID_CHARS))]
    #[schemars(extend("x-advanced" = true))]
    pub recipient_id: Option<String>,
    /// An inline recipient.
    #[schemars(extend("x-advanced" = true))]
    pub recipient: Option<InlineRecipient>,
    /// The budget.
    #[schemars(extend("x-advanced" = true))]
    pub budget: Option<BudgetInput>,
}

/// A history item that pulled the product up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HistoryItem {
    /// Product id.
    pub product_id: String,
    /// Its title.
    pub title: String,
    /// `user_history` (the shopper interacted with it) or `recipient_liked`.
    pub source: String,
    /// Cosine similarity to the explained product.
    pub similarity: f64,
}

/// The price against the budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PriceCheck {
    /// Price.
    pub price: f64,
    /// Currency.
    pub currency: String,
    /// Budget minimum, when given.
    pub budget_min: Option<f64>,
    /// Budget maximum, when given.
    pub budget_max: Option<f64>,
    /// Whether the price is within the budget (absent without a budget).
    pub within_budget: Option<bool>,
}

/// The explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Output {
    /// The product.
    pub product: ProductView,
    /// The score that ranked it (the sum of `contributions`).
    pub score: f64,
    /// Each component's contribution to `score`.
    pub contributions: BTreeMap<String, f64>,
    /// Component values (cosine similarities; popularity and budget_fit 0 to 1).
    pub components: BTreeMap<String, f64>,
    /// True when these are the stored figures of the request's answer (the product was shown
    /// in it); false when scored afresh under the same request.
    pub from_request: bool,
    /// Its position in that answer, when it was shown.
    pub rank: Option<i32>,
    /// Whether it was an exploration pick.
    pub exploration: bool,
    /// Items from the shopper's history or the recipient's likes that are close to it.
    pub history: Vec<HistoryItem>,
    /// The recipient's interests it matches.
    pub matching_interests: Vec<String>,
    /// Its tags that the request or recipient mention.
    pub matching_tags: Vec<String>,
    /// Price against budget.
    pub price: PriceCheck,
    /// One or two sentences you can quote; every claim comes from the fields above.
    pub summary: String,
}

impl Tool for ExplainRecommendation {
    const NAME: &'static str = "explain_recommendation";
    const DESCRIPTION: &'static str = "Why a product suits a request: contributions \
        summing to score, and a summary to quote. Pass a recommend_gifts request_id (with its \
        user_id), or the request in context.";
    const TITLE: &'static str = "Explain a recommendation";
    const EFFECTS: Effects = Effects::READ_ONLY;
    const TOOLSET: Toolset = Toolset::Agent;
    type Input = Input;
    type Output = Output;

    async fn call(app: &App, input: Input) -> Result<Output> {
        let product_id = input.product_id.trim();
        if product_id.is_empty() {
            return Err(Error::invalid(
                "product_id",
                "must be a product id, not blank",
            ));
        }
        let (request, strategy, served) = match &input.request_id {
            Some(id) => {
                // An unknown request and another user's answer the same: neither reveals
                // that the other exists.
                let unknown = || {
                    Error::NotFound(format!(
                        "recommendation request {:?} was not found for this user_id; pass the \
                         request_id and user_id of your own recommend_gifts call",
                        crate::error::bounded(id, crate::error::ECHO_MAX)
                    ))
                };
                let stored = recommendations::load(&app.db, id.trim(), product_id)
                    .await?
                    .ok_or_else(unknown)?;
                let original: recommend_gifts::Input = serde_json::from_value(stored.input)
                    .map_err(|e| Error::Internal(Box::new(e)))?;
                if !same_user(original.user_id.as_deref(), input.user_id.as_deref()) {
                    return Err(unknown());
                }
                let strategy = arm_strategy(app, &original, stored.arm.as_deref());
                (original, strategy, stored.item)
            }
            None => (
                recommend_gifts::Input {
                    context: input.context.clone(),
                    occasion: input.occasion.clone(),
                    user_id: input.user_id.clone(),
                    recipient_id: input.recipient_id.clone(),
                    recipient: input.recipient.clone(),
                    budget: input.budget.clone(),
                    limit: 10,
                    in_stock: true,
                    exclude_purchased: true,
                    exclude_dismissed: true,
                    ..Default::default()
                },
                Strategy::Personalised,
                None,
            ),
        };
        let from_request = served.is_some();
        let (req, _) = recommend_gifts::to_request(app, &request).await?;
        let e = explain::explain(app, &req, strategy, product_id, served).await?;
        Ok(Output {
            price: PriceCheck {
                price: e.product.price,
                currency: e.product.currency.clone(),
                budget_min: req.budget.min,
                budget_max: req.budget.max,
                within_budget: e.within_budget,
            },
            product: e.product.into(),
            score: e.score,
            contributions: e.contributions,
            components: e.components,
            from_request,
            rank: e.rank,
            exploration: e.exploration,
            history: e
                .pulls
                .into_iter()
                .map(|p| HistoryItem {
                    product_id: p.product_id,
                    title: p.title,
                    source: p.source.to_string(),
                    similarity: p.similarity,
                })
                .collect(),
            matching_interests: e.matching_interests,
            matching_tags: e.matching_tags,
            summary: e.summary,
        })
    }
}

/// Whether a caller naming `caller` may read a request made for `owner`: anyone may read an
/// anonymous one (its request_id is the only key), only its user a user's.
fn same_user(owner: Option<&str>, caller: Option<&str>) -> bool {
    match owner.map(str::trim) {
        None => true,
        Some(owner) => caller.map(str::trim) == Some(owner),
    }
}

/// The strategy the request's arm ranked with (personalised when not enrolled).
fn arm_strategy(app: &App, input: &recommend_gifts::Input, arm: Option<&str>) -> Strategy {
    let Some(arm) = arm else {
        return Strategy::Personalised;
    };
    let experiments = &app.recommend.experiments;
    let experiment = match &input.experiment {
        Some(name) => experiments.iter().find(|e| &e.name == name),
        None => experiments.first(),
    };
    experiment
        .and_then(|e| e.arms.iter().find(|a| a.name == arm))
        .map_or(Strategy::Personalised, |a| a.strategy)
}
