//! `recommend_gifts`: gift ideas for a recipient, an occasion and a budget, personalised to
//! the shopper, each with its score, the score's components and a reason.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::views::{
    Detail, MAX_CATEGORY_CHARS, MAX_ID_CHARS, MAX_IDS, MAX_LIMIT, ProductView, check_category,
};
use super::{Effects, Tool, Toolset};
use crate::app::App;
use crate::recommend::gifts;
use crate::recommend::scoring::Budget;
use crate::recommend::signals::GiftRequest;
use crate::search::interpret::{self, Interpretation};
use crate::store::recipients::Recipient;
use crate::store::recommendations::CandidateFilters;
use crate::{Error, Result};

/// Longest `context`, in characters.
pub const MAX_CONTEXT_CHARS: usize = 4_000;

/// The `recommend_gifts` tool.
pub struct RecommendGifts;

/// A price range in the catalog currency.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetInput {
    /// Lowest price.
    #[schemars(range(min = 0))]
    pub min: Option<f64>,
    /// Highest price (prices near 75% of it fit best).
    #[schemars(range(min = 0))]
    pub max: Option<f64>,
}

/// Someone described on the spot, without saving them (use upsert_recipient to save).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InlineRecipient {
    /// What you know about them.
    #[serde(default)]
    #[schemars(length(max = 5000))]
    pub description: String,
    /// E.g. "60+".
    #[schemars(length(min = 1, max = 50))]
    pub age_band: Option<String>,
    /// E.g. "father".
    #[schemars(length(min = 1, max = 100))]
    pub relationship: Option<String>,
    /// E.g. ["fly fishing", "jazz"].
    #[serde(default)]
    #[schemars(length(max = 50), inner(length(min = 1, max = 100)))]
    pub interests: Vec<String>,
    /// Things to avoid.
    #[serde(default)]
    #[schemars(length(max = 50), inner(length(min = 1, max = 100)))]
    pub dislikes: Vec<String>,
}

/// A gift request.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The recipient and what they enjoy, in plain words, e.g. "my dad, 60, loves fly fishing
    /// and jazz". Give this, an occasion, or a recipient.
    #[schemars(length(min = 1, max = MAX_CONTEXT_CHARS))]
    pub context: Option<String>,
    /// E.g. "birthday", "housewarming".
    #[schemars(length(min = 1, max = 200))]
    pub occasion: Option<String>,
    /// The shopper: personalises, and leaves out what they bought or dismissed.
    #[schemars(length(min = 1, max = MAX_ID_CHARS))]
    pub user_id: Option<String>,
    /// A recipient saved with upsert_recipient (needs user_id).
    #[schemars(length(min = 1, max = MAX_ID_CHARS))]
    pub recipient_id: Option<String>,
    /// A recipient described inline instead of a saved one.
    pub recipient: Option<InlineRecipient>,
    /// Every result is priced within it.
    pub budget: Option<BudgetInput>,
    /// Only these categories (exact names).
    #[serde(default)]
    #[schemars(length(max = 50), inner(length(min = 1, max = MAX_CATEGORY_CHARS)))]
    pub categories: Vec<String>,
    /// Never these categories.
    #[serde(default)]
    #[schemars(length(max = 50), inner(length(min = 1, max = MAX_CATEGORY_CHARS)))]
    pub exclude_categories: Vec<String>,
    /// Never these product ids.
    #[serde(default)]
    #[schemars(length(max = MAX_IDS), inner(length(min = 1, max = MAX_ID_CHARS)))]
    pub exclude_ids: Vec<String>,
    /// Leave out what the shopper bought.
    #[serde(default = "yes")]
    #[schemars(extend("x-advanced" = true))]
    pub exclude_purchased: bool,
    /// Leave out what the shopper dismissed or disliked.
    #[serde(default = "yes")]
    #[schemars(extend("x-advanced" = true))]
    pub exclude_dismissed: bool,
    /// Only products in stock.
    #[serde(default = "yes")]
    pub in_stock: bool,
    /// How many gifts.
    #[serde(default = "ten")]
    #[schemars(range(min = 1, max = MAX_LIMIT))]
    pub limit: u32,
    /// 0 = strict relevance, 0.5 = clearly varied (default 0.2).
    #[schemars(range(min = 0, max = 1))]
    pub diversity: Option<f64>,
    /// Share of results from outside the shopper's usual categories (default 0).
    #[schemars(range(min = 0, max = 1), extend("x-advanced" = true))]
    pub exploration: Option<f64>,
    /// Later calls with the same id suggest new products, not repeats.
    #[schemars(length(min = 1, max = MAX_ID_CHARS))]
    pub conversation_id: Option<String>,
    /// The A/B experiment to enrol in (default: the first configured).
    #[schemars(length(min = 1, max = 64), extend("x-advanced" = true))]
    pub experiment: Option<String>,
    /// brief: id, title, price, currency, category, score, reason; full: every field.
    #[serde(default)]
    pub detail: Detail,
    /// Read a price ("about $20") and "not X" in context as filters (default true; budget and
    /// the other fields win). false: use it as written.
    pub interpret: Option<bool>,
}

fn yes() -> bool {
    true
}

fn ten() -> u32 {
    10
}

/// One gift idea.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Recommendation {
    /// The product.
    #[serde(flatten)]
    pub product: ProductView,
    /// Its score, higher is better: the sum of `contributions`.
    pub score: f64,
    /// Position in the list, from 1.
    pub rank: u32,
    /// Component values: context, recipient and preference are cosine similarities (-1 to 1);
    /// popularity and budget_fit are 0 to 1. Only components that applied are present.
    pub components: BTreeMap<String, f64>,
    /// Each component's share of the score (weight × value, over the weights present).
    pub contributions: BTreeMap<String, f64>,
    /// Why it is suggested, in one sentence (safe to quote).
    pub reason: String,
    /// True for an exploration pick (something outside the usual categories).
    pub exploration: bool,
}

/// An experiment arm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ArmView {
    /// Experiment name.
    pub name: String,
    /// The arm this call was served by (pass it to record_event as experiment_arm).
    pub arm: String,
}

/// Gift ideas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Output {
    /// This answer's id: pass it to explain_recommendation, and to record_event with the
    /// shopper's reactions.
    pub request_id: String,
    /// The gifts, best first (exploration picks spread among them).
    pub recommendations: Vec<Recommendation>,
    /// The experiment and arm, when the call was enrolled in one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment: Option<ArmView>,
    /// Whether the shopper's taste shaped the ranking.
    pub personalised: bool,
    /// Intra-list diversity of the list (mean pairwise cosine distance, 0 = all alike).
    pub diversity: f64,
    /// Things to know about this answer (e.g. no history for the user yet).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What was read from context and applied (absent when nothing was). Wrong? Set budget, or
    /// pass interpret false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpreted: Option<Interpretation>,
}

/// A free-text field trimmed, refused when blank (its length is the schema's).
fn text(field: &str, value: Option<&str>) -> Result<Option<String>> {
    let Some(v) = value else { return Ok(None) };
    if v.trim().is_empty() {
        return Err(Error::invalid(
            field.to_string(),
            "is blank; leave it out, or say what you know (e.g. \"dad, 60, loves fishing\")",
        ));
    }
    Ok(Some(v.trim().to_string()))
}

fn budget(input: Option<&BudgetInput>) -> Result<Budget> {
    let Some(b) = input else {
        return Ok(Budget::default());
    };
    if let (Some(lo), Some(hi)) = (b.min, b.max)
        && lo > hi
    {
        return Err(Error::invalid(
            "budget.min",
            format!("is {lo}, above budget.max {hi}; swap them or widen the range"),
        ));
    }
    Ok(Budget {
        min: b.min,
        max: b.max,
    })
}

async fn categories(app: &App, field: &str, names: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for name in names {
        let name = name.trim();
        check_category(app, field, name).await?;
        out.push(name.to_string());
    }
    Ok(out)
}

fn inline(r: &InlineRecipient) -> Result<Recipient> {
    let f = |name: &str| format!("recipient.{name}");
    for (name, list) in [("interests", &r.interests), ("dislikes", &r.dislikes)] {
        if list.iter().any(|v| v.trim().is_empty()) {
            return Err(Error::invalid(f(name), "holds a blank entry"));
        }
    }
    Ok(Recipient {
        id: String::new(),
        user_id: String::new(),
        name: "recipient".into(),
        description: r.description.trim().to_string(),
        age_band: text(&f("age_band"), r.age_band.as_deref())?,
        relationship: text(&f("relationship"), r.relationship.as_deref())?,
        interests: r.interests.iter().map(|s| s.trim().to_string()).collect(),
        dislikes: r.dislikes.iter().map(|s| s.trim().to_string()).collect(),
        liked_product_ids: Vec::new(),
        disliked_product_ids: Vec::new(),
    })
}

/// Checks the input and resolves it into a [`GiftRequest`], with what was read from its
/// context (when anything was).
pub async fn to_request(app: &App, input: &Input) -> Result<(GiftRequest, Option<Interpretation>)> {
    if input.recipient_id.is_some() && input.recipient.is_some() {
        return Err(Error::invalid(
            "recipient",
            "give either recipient_id (a saved recipient) or recipient (described inline), not both",
        ));
    }
    let mut budget = budget(input.budget.as_ref())?;
    let mut context = text("context", input.context.as_deref())?;
    let mut interpreted = context
        .as_deref()
        .filter(|_| input.interpret.unwrap_or(true))
        .map(interpret::interpret);
    let mut in_stock = input.in_stock.then_some(true);
    let mut exclude_terms = Vec::new();
    if let Some(i) = &mut interpreted {
        // "in stock" in the text asks for what in_stock (default true) already gives.
        let mut stock = Some(input.in_stock);
        i.apply_to(
            &mut budget.min,
            &mut budget.max,
            &mut stock,
            &mut exclude_terms,
        );
        in_stock = stock.filter(|s| *s);
        context = Some(i.searched_for.clone());
    }
    let filters = CandidateFilters {
        categories: categories(app, "categories", &input.categories).await?,
        exclude_categories: categories(app, "exclude_categories", &input.exclude_categories)
            .await?,
        min_price: budget.min,
        max_price: budget.max,
        in_stock,
        exclude_ids: input
            .exclude_ids
            .iter()
            .map(|s| s.trim().to_string())
            .collect(),
        exclude_terms,
    };
    let request = GiftRequest {
        context,
        occasion: text("occasion", input.occasion.as_deref())?,
        user_id: text("user_id", input.user_id.as_deref())?,
        recipient_id: text("recipient_id", input.recipient_id.as_deref())?,
        recipient: input.recipient.as_ref().map(inline).transpose()?,
        budget,
        filters,
        exclude_purchased: input.exclude_purchased,
        exclude_dismissed: input.exclude_dismissed,
        limit: input.limit as usize,
        diversity: input.diversity.unwrap_or(app.recommend.default_diversity),
        exploration: input.exploration.unwrap_or(0.0),
        conversation_id: text("conversation_id", input.conversation_id.as_deref())?,
        experiment: text("experiment", input.experiment.as_deref())?,
    };
    Ok((request, interpreted.filter(|i| !i.is_empty())))
}

impl Tool for RecommendGifts {
    const NAME: &'static str = "recommend_gifts";
    const DESCRIPTION: &'static str = "Gift ideas for a person and occasion: context \
        in plain words, plus any of user_id, recipient_id or recipient, occasion, budget. Best \
        first, each with a reason to quote; the request_id is for explain_recommendation and \
        record_event.";
    const TITLE: &'static str = "Recommend gifts";
    const EFFECTS: Effects = Effects::APPENDS;
    const TOOLSET: Toolset = Toolset::Agent;
    type Input = Input;
    type Output = Output;

    async fn call(app: &App, input: Input) -> Result<Output> {
        let (req, interpreted) = to_request(app, &input).await?;
        let stored = serde_json::to_value(&input).map_err(|e| Error::Internal(Box::new(e)))?;
        let answer = gifts::recommend(app, &req, stored).await?;
        Ok(Output {
            request_id: answer.request_id,
            recommendations: answer
                .items
                .into_iter()
                .enumerate()
                .map(|(i, it)| Recommendation {
                    product: it.product.into(),
                    score: it.score,
                    rank: i as u32 + 1,
                    components: it.components,
                    contributions: it.contributions,
                    reason: it.reason,
                    exploration: it.exploration,
                })
                .collect(),
            experiment: answer.experiment.map(|(name, arm)| ArmView { name, arm }),
            personalised: answer.personalised,
            diversity: answer.diversity,
            notes: answer.notes,
            interpreted,
        })
    }
}
