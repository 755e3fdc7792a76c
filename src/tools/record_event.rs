//! `record_event`: what a shopper did with a product, which also moves their taste.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Tool;
use super::views::MAX_ID_CHARS;
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
    /// The shopper's user id (1 to 128 characters).
    pub user_id: String,
    /// The product it concerns (an id from search_products, similar_products, ...).
    pub product_id: String,
    /// What happened: view, click, add_to_cart, purchase, like, dislike or dismiss.
    pub kind: EventKind,
    /// The gift recipient it was for, when known (recipient id).
    pub recipient_id: Option<String>,
    /// The conversation it happened in.
    pub conversation_id: Option<String>,
    /// The `request_id` of the recommendation it answers, when it came from one.
    pub request_id: Option<String>,
    /// The experiment arm that recommendation was served by.
    pub experiment_arm: Option<String>,
    /// Your own id for this event: sending the same id again (a retry) records it once.
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

fn check_id(field: &'static str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    match value.map(str::trim) {
        None => Ok(None),
        Some(v) if !v.is_empty() && v.chars().count() <= max => Ok(Some(v.to_string())),
        Some(_) => Err(Error::invalid(
            field,
            format!("must be 1 to {max} characters when given"),
        )),
    }
}

impl Tool for RecordEvent {
    const NAME: &'static str = "record_event";
    const DESCRIPTION: &'static str = "Record what a shopper did with a product: view, click, \
        add_to_cart, purchase, like, dislike or dismiss. Their taste (preference vector) moves \
        at once, so the next search_products or recommend_gifts call with their user_id \
        reflects it; dislike and dismiss push away. Pass the request_id (and experiment_arm) \
        of the recommendation the event answers, and a client_event_id to make retries count \
        once. Fails with not_found for an unknown product, storing nothing.";
    const READ_ONLY: bool = false;
    type Input = Input;
    type Output = Output;

    async fn call(app: &App, input: Input) -> Result<Output> {
        let user_id = check_id("user_id", Some(&input.user_id), 128)?.unwrap_or_default();
        let product_id =
            check_id("product_id", Some(&input.product_id), MAX_ID_CHARS)?.unwrap_or_default();
        let event = NewEvent {
            user_id,
            product_id,
            kind: input.kind.as_str().to_string(),
            weight: 0.0,
            recipient_id: check_id("recipient_id", input.recipient_id.as_deref(), 128)?,
            conversation_id: check_id("conversation_id", input.conversation_id.as_deref(), 128)?,
            request_id: check_id("request_id", input.request_id.as_deref(), 128)?,
            experiment_arm: check_id("experiment_arm", input.experiment_arm.as_deref(), 64)?,
            client_event_id: check_id("client_event_id", input.client_event_id.as_deref(), 128)?,
        };
        let recorded = events::record(app, event).await?;
        Ok(Output {
            event_id: recorded.event_id,
            recorded: recorded.recorded,
            preference_models: recorded.models,
        })
    }
}
