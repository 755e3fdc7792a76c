//! `upsert_recipient`: create or update someone the user shops for, with their profile vector.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::views::MAX_ID_CHARS;
use super::{Effects, Tool, Toolset};
use crate::app::App;
use crate::recommend::recipients as profile;
use crate::store::recipients::{self, Recipient};
use crate::{Error, Result};

/// The `upsert_recipient` tool.
pub struct UpsertRecipient;

/// Who the gifts are for.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The shopper; the recipient belongs to them.
    #[schemars(length(min = 1, max = MAX_ID_CHARS))]
    pub user_id: String,
    /// Its id (ids are per user): replaces that recipient or creates it; leave out for a
    /// new id.
    #[schemars(length(min = 1, max = MAX_ID_CHARS))]
    pub recipient_id: Option<String>,
    /// How the user calls them, e.g. "my dad".
    #[schemars(length(min = 1, max = 200))]
    pub name: String,
    /// What the user said about them, in their words.
    #[serde(default)]
    #[schemars(length(max = 5000))]
    pub description: String,
    /// E.g. "60+" or "teen".
    #[schemars(length(min = 1, max = 50))]
    pub age_band: Option<String>,
    /// E.g. "father", "colleague".
    #[schemars(length(min = 1, max = 100))]
    pub relationship: Option<String>,
    /// E.g. ["fly fishing", "jazz"].
    #[serde(default)]
    #[schemars(length(max = 50), inner(length(min = 1, max = 100)))]
    pub interests: Vec<String>,
    /// Things to avoid, e.g. ["alcohol"].
    #[serde(default)]
    #[schemars(length(max = 50), inner(length(min = 1, max = 100)))]
    pub dislikes: Vec<String>,
    /// Products they liked or own.
    #[serde(default)]
    #[schemars(length(max = 200), inner(length(min = 1, max = MAX_ID_CHARS)))]
    pub liked_product_ids: Vec<String>,
    /// Products they would not want.
    #[serde(default)]
    #[schemars(length(max = 200), inner(length(min = 1, max = MAX_ID_CHARS)))]
    pub disliked_product_ids: Vec<String>,
}

/// The stored recipient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Output {
    /// The recipient as stored (use `recipient.id` with recommend_gifts and get_recipient).
    pub recipient: Recipient,
    /// Whether a profile vector could be built (it needs a description, interests or liked
    /// products).
    pub has_profile_vector: bool,
}

/// A text field trimmed; a `required` one must not be blank (lengths are the schema's).
fn text(field: &'static str, value: &str, required: bool) -> Result<String> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(Error::invalid(field, "must not be blank"));
    }
    Ok(value.to_string())
}

fn words(field: &'static str, values: &[String]) -> Result<Vec<String>> {
    values.iter().map(|v| text(field, v, true)).collect()
}

async fn products(app: &App, field: &'static str, ids: &[String]) -> Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let unknown = recipients::unknown_products(&app.db, ids).await?;
    if !unknown.is_empty() {
        return Err(Error::invalid(
            field,
            format!("names products that do not exist: {}", unknown.join(", ")),
        ));
    }
    Ok(ids.to_vec())
}

impl Tool for UpsertRecipient {
    const NAME: &'static str = "upsert_recipient";
    const DESCRIPTION: &'static str = "Save someone the user buys gifts for, or \
        replace one (recipient_id; send every field to keep). Give the returned recipient.id \
        to recommend_gifts.";
    const TITLE: &'static str = "Save a gift recipient";
    const EFFECTS: Effects = Effects {
        read_only: false,
        destructive: true,
        idempotent: false,
    };
    const TOOLSET: Toolset = Toolset::Agent;
    type Input = Input;
    type Output = Output;

    async fn call(app: &App, input: Input) -> Result<Output> {
        let optional =
            |field, v: &Option<String>| v.as_deref().map(|v| text(field, v, true)).transpose();
        let recipient = Recipient {
            id: optional("recipient_id", &input.recipient_id)?.unwrap_or_default(),
            user_id: text("user_id", &input.user_id, true)?,
            name: text("name", &input.name, true)?,
            description: text("description", &input.description, false)?,
            age_band: optional("age_band", &input.age_band)?,
            relationship: optional("relationship", &input.relationship)?,
            interests: words("interests", &input.interests)?,
            dislikes: words("dislikes", &input.dislikes)?,
            liked_product_ids: products(app, "liked_product_ids", &input.liked_product_ids).await?,
            disliked_product_ids: products(
                app,
                "disliked_product_ids",
                &input.disliked_product_ids,
            )
            .await?,
        };
        let stored = recipients::upsert(&app.db, &recipient).await?;
        let vector = profile::profile_vector(app, &stored).await?;
        let (user, id) = (&stored.user_id, &stored.id);
        recipients::set_vector(&app.db, &app.model, user, id, vector.as_ref()).await?;
        Ok(Output {
            recipient: stored,
            has_profile_vector: vector.is_some(),
        })
    }
}
