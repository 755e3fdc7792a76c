//! `get_product`: one product by id.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::views::{Detail, MAX_ID_CHARS, ProductView};
use super::{Effects, Tool, Toolset};
use crate::app::App;
use crate::store::products;
use crate::{Error, Result};

/// The `get_product` tool.
pub struct GetProduct;

/// Which product.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// A product id from another tool's result.
    #[schemars(length(min = 1, max = MAX_ID_CHARS))]
    pub product_id: String,
    /// brief: id, title, price, currency, category, score, reason; full: every field.
    #[serde(default)]
    pub detail: Detail,
}

/// The product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Output {
    /// The product with every catalog field.
    pub product: ProductView,
}

impl Tool for GetProduct {
    const NAME: &'static str = "get_product";
    const DESCRIPTION: &'static str = "One product by id with every catalog field, \
        to read before recommending it.";
    const TITLE: &'static str = "Get a product";
    const EFFECTS: Effects = Effects::READ_ONLY;
    const TOOLSET: Toolset = Toolset::Agent;
    type Input = Input;
    type Output = Output;

    async fn call(app: &App, input: Input) -> Result<Output> {
        let id = input.product_id.trim();
        if id.is_empty() {
            return Err(Error::invalid(
                "product_id",
                "must be a product id, not blank",
            ));
        }
        let product = products::get(&app.read, id)
            .await?
            .ok_or_else(|| Error::not_found("product", id))?;
        Ok(Output {
            product: product.into(),
        })
    }
}
