//! `record_event`: what a shopper did with a product, which also moves their taste.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::views::MAX_ID_CHARS;
use super::{Effects, Tool, Toolset};
use crate::app::App;
use crate::recommend::events;
use crate::store::events::NewEvent;
use crate::{Error, Result};

/// The `record_event` tool.
pub struct RecordEvent;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The product was shown and looked at.
    View,
    /// The shopper opened it.
    Click,
    /// Put in the cart.
    AddToCart,
    /// Bought.
    Purchase,
    /// Said they like it.
    Like,
    /// Said they do not like it (pushes their taste away from it).
    Dislike,
    /// Waved it away ("not that one").
    Dismiss,
}

impl EventKind {
    fn as_str(self) -> &'static str {
        match self {
            EventKind::View => "view",
            EventKind::Click => "click",
            EventKind::AddToCart => "add_to_cart",
            EventKind::Purchase => "purchase",
            EventKind::Like => "like",
            EventKind::Dislike => "dislike",
            EventKind::Dismiss => "dismiss",
        }
    }
}

/// One shopper event.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The shopper.
    #[schemars(length(min = 1, max = MAX_ID_CHARS))]
    pub user_id: String,
    /// The product it concerns.
    #[schemars(length(min = 1, max = MAX_ID_CHARS))]
    pub product_id: String,
    /// What happened.
    pub kind: EventKind,
    /// The recipient it was for, when known.
    #[schemars(length(min = 1, max = MAX_ID_CHARS))]
    pub recipient_id: Option<String>,
    /// The conversation it happened in.
    #[schemars(length(min = 1, max = MAX_ID_CHARS))]
    pub conversation_id: Option<String>,
    /// The recommend_gifts request_id it answers.
    #[schemars(length(min = 1, max = MAX_ID_CHARS))]
    pub request_id: Option<String>,
    /// The experiment arm of that answer.
    #[schemars(length(min = 1, max = 64))]
    pub experiment_arm: Option<String>,
    /// Your id for the event: a retry with the same id counts once.
    #[schemars(extend("x-advanced" = true))]
    #[schemars(length(min = 1, max = MAX_ID_CHARS))]
    pub client_event_id: Option<String>,
}

/// What was recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Output {
    /// The event's id (for a replay, the id it was first recorded under).
    pub event_id: i64,
    /// False when this `client_event_id` had been recorded already (nothing changed).
    pub recorded: bool,
    /// Embedding models whose preference vector for the user the event moved.
    pub preference_models: Vec<String>,
}

/// An id trimmed, refused when blank (its length is the schema's).
fn check_id(field: &'static str, value: Option<&str>) -> Result<Option<String>> {
    match value.map(str::trim) {
        Some("") => Err(Error::invalid(field, "must be an id, not blank")),
        other => Ok(other.map(str::to_string)),
    }
}

impl Tool for RecordEvent {
    const NAME: &'static str = "record_event";
    const DESCRIPTION: &'static str = "Record what the shopper did with a product: \
        view, click, add_to_cart, purchase, like, dislike or dismiss. Later calls for their \
        user_id reflect it at once.";
    const TITLE: &'static str = "Record a shopper event";
    const EFFECTS: Effects = Effects::APPENDS;
    const TOOLSET: Toolset = Toolset::Agent;
    type Input = Input;
    type Output = Output;

    async fn call(app: &App, input: Input) -> Result<Output> {
        let user_id = check_id("user_id", Some(&input.user_id))?.unwrap_or_default();
        let product_id = check_id("product_id", Some(&input.product_id))?.unwrap_or_default();
        let event = NewEvent {
            user_id,
            product_id,
            kind: input.kind.as_str().to_string(),
            weight: 0.0,
            recipient_id: check_id("recipient_id", input.recipient_id.as_deref())?,
            conversation_id: check_id("conversation_id", input.conversation_id.as_deref())?,
            request_id: check_id("request_id", input.request_id.as_deref())?,
            experiment_arm: check_id("experiment_arm", input.experiment_arm.as_deref())?,
            client_event_id: check_id("client_event_id", input.client_event_id.as_deref())?,
        };
        let recorded = events::record(app, event).await?;
        Ok(Output {
            event_id: recorded.event_id,
            recorded: recorded.recorded,
            preference_models: recorded.models,
        })
    }
}
