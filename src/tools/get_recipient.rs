//! `get_recipient` and `delete_recipient`: read or remove a saved recipient.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::views::MAX_ID_CHARS;
use super::{Effects, Tool, Toolset};
use crate::app::App;
use crate::store::recipients::{self, Recipient};
use crate::{Error, Result};

/// The `get_recipient` tool.
pub struct GetRecipient;

/// The `delete_recipient` tool.
pub struct DeleteRecipient;

/// Which recipient.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The shopper.
    #[schemars(length(min = 1, max = MAX_ID_CHARS))]
    pub user_id: String,
    /// The recipient's id (from upsert_recipient).
    #[schemars(length(min = 1, max = MAX_ID_CHARS))]
    pub recipient_id: String,
}

/// The recipient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Output {
    /// The recipient as stored.
    pub recipient: Recipient,
}

/// What was deleted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Deleted {
    /// The recipient id that was deleted, with its profile vectors.
    pub deleted: String,
}

impl Tool for GetRecipient {
    const NAME: &'static str = "get_recipient";
    const DESCRIPTION: &'static str = "A saved gift recipient of the user: profile, \
        interests, dislikes, liked products.";
    const TITLE: &'static str = "Get a gift recipient";
    const EFFECTS: Effects = Effects::READ_ONLY;
    const TOOLSET: Toolset = Toolset::Agent;
    type Input = Input;
    type Output = Output;

    async fn call(app: &App, input: Input) -> Result<Output> {
        let recipient = recipients::get(&app.db, input.user_id.trim(), input.recipient_id.trim())
            .await?
            .ok_or_else(|| Error::not_found("recipient", &input.recipient_id))?;
        Ok(Output { recipient })
    }
}

impl Tool for DeleteRecipient {
    const NAME: &'static str = "delete_recipient";
    const DESCRIPTION: &'static str = "Forget a saved gift recipient of the user.";
    const TITLE: &'static str = "Delete a gift recipient";
    const EFFECTS: Effects = Effects {
        read_only: false,
        destructive: true,
        idempotent: true,
    };
    const TOOLSET: Toolset = Toolset::Agent;
    type Input = Input;
    type Output = Deleted;

    async fn call(app: &App, input: Input) -> Result<Deleted> {
        let id = input.recipient_id.trim();
        if !recipients::delete(&app.db, input.user_id.trim(), id).await? {
            return Err(Error::not_found("recipient", id));
        }
        Ok(Deleted {
            deleted: id.to_string(),
        })
    }
}
