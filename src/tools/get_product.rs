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
    /// The product id, as returned by `search_products` or `similar_products`.
    #[schemars(length(min = 1, max = MAX_ID_CHARS))]
    pub product_id: String,
    /// `full` (default): every catalog field of each product; `brief`: id, title, price,
    /// currency, category, score and reason only (a third of the bytes; get_product has the
    /// rest).
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
    const DESCRIPTION: &'static str = "Get one product by its id: title, description, category, \
        tags, price (in its currency), stock and other catalog attributes. Use it to read the \
        details of an item found with search_products or similar_products before recommending \
        it. Fails with not_found for an unknown id.";
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
