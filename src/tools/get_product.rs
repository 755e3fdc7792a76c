//! `get_product`: one product by id.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Tool;
use super::views::{MAX_ID_CHARS, ProductView};
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
    pub product_id: String,
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
    const READ_ONLY: bool = true;
    type Input = Input;
    type Output = Output;

    async fn call(app: &App, input: Input) -> Result<Output> {
        let id = input.product_id.trim();
        if id.is_empty() || id.chars().count() > MAX_ID_CHARS {
            return Err(Error::invalid(
                "product_id",
                format!("must be a product id of 1 to {MAX_ID_CHARS} characters"),
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
