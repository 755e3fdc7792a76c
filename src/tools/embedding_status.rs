//! `embedding_status`: how current the product embeddings are.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::views::MAX_ID_CHARS;
use super::{Effects, Tool, Toolset};
use crate::Result;
use crate::app::App;
use crate::pipeline::status::{self, EmbeddingStatus, ProductCost};

/// The `embedding_status` tool.
pub struct EmbeddingStatusTool;

/// Options.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Also estimate the tokens and cost of embedding this product once.
    #[schemars(length(min = 1, max = MAX_ID_CHARS))]
    pub product_id: Option<String>,
}

/// The state of every embedding model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Output {
    /// Coverage, queue, failures and spend per model, with alerts.
    #[serde(flatten)]
    pub status: EmbeddingStatus,
    /// The product estimate, when `product_id` was given.
    pub product: Option<ProductCost>,
}

impl Tool for EmbeddingStatusTool {
    const NAME: &'static str = "embedding_status";
    const DESCRIPTION: &'static str = "Report how current the catalog's embeddings are, per \
        embedding model: coverage (share of products embedded for their current text), jobs \
        pending / running / failed / dead (with the dead ones' errors), failure rate over the \
        last hour, age of the oldest pending job, tokens and cost so far, today's spend against \
        the budget, and alerts. Use it when search results look stale or incomplete. Give \
        product_id to estimate the cost of embedding that product.";
    const TITLE: &'static str = "Embedding status";
    const EFFECTS: Effects = Effects::READ_ONLY;
    const TOOLSET: Toolset = Toolset::Ops;
    type Input = Input;
    type Output = Output;

    async fn call(app: &App, input: Input) -> Result<Output> {
        let product = match &input.product_id {
            Some(id) => Some(status::product_cost(app, id.trim()).await?),
            None => None,
        };
        Ok(Output {
            status: status::embedding_status(app).await?,
            product,
        })
    }
}
