//! MCP resources: the catalog's categories and statistics, one product
//! (`giftvec://product/{id}`) and one saved recipient
//! (`giftvec://recipient/{user_id}/{recipient_id}`, private to its user as the recipient tools
//! are), and the resource links that product results carry so a host can attach a product.
//! A product or recipient is read through the same tool call (`get_product`,
//! `get_recipient`), so it is checked, routed to the replica, logged and counted alike.

use rmcp::ErrorData as McpError;
use rmcp::model::{
    CacheScope, ContentBlock, ReadResourceResult, Resource, ResourceContents, ResourceTemplate,
};
use serde_json::{Value, json};

use crate::app::App;
use crate::tools::dispatch::{self, Transport};
use crate::{Error, store, tools};

const CATEGORIES_URI: &str = "giftvec://catalog/categories";
const STATS_URI: &str = "giftvec://catalog/stats";
const PRODUCT_PREFIX: &str = "giftvec://product/";
const RECIPIENT_PREFIX: &str = "giftvec://recipient/";
/// How long a client may reuse a catalog resource (categories, statistics, a product): the
/// catalog changes as the shop's feed does, so a minute old is fresh enough.
const CATALOG_TTL_MS: u64 = 60_000;

/// The fixed resources, and the product cards view.
pub fn list() -> Vec<Resource> {
    vec![
        super::mcp_apps::resource(),
        Resource::new(CATEGORIES_URI, "categories")
            .with_description("Every product category with its number of products, as JSON.")
            .with_mime_type("application/json"),
        Resource::new(STATS_URI, "catalog-stats")
            .with_description(
                "Catalog size, products in stock, price range, and embedding coverage per model, as JSON.",
            )
            .with_mime_type("application/json"),
    ]
}

/// The resource templates: a product, a saved recipient.
pub fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new(format!("{PRODUCT_PREFIX}{{id}}"), "product")
            .with_title("Product")
            .with_description("One product with every catalog field, as JSON (as get_product).")
            .with_mime_type("application/json"),
        ResourceTemplate::new(
            format!("{RECIPIENT_PREFIX}{{user_id}}/{{recipient_id}}"),
            "recipient",
        )
        .with_title("Gift recipient")
        .with_description("A user's saved gift recipient, as JSON (as get_recipient).")
        .with_mime_type("application/json"),
    ]
}

/// The `giftvec://product/{id}` URI of a product.
pub fn product_uri(id: &str) -> String {
    format!("{PRODUCT_PREFIX}{}", encode(id))
}

/// Resource links to the products of a tool result (`product`, and the items of `results`
/// and `recommendations`), for hosts that attach resources.
pub fn product_links(output: &Value) -> Vec<ContentBlock> {
    let listed = ["results", "recommendations"]
        .iter()
        .filter_map(|list| output.get(*list).and_then(Value::as_array))
        .flatten();
    output
        .get("product")
        .into_iter()
        .chain(listed)
        .filter_map(|p| {
            let id = p.get("id")?.as_str()?;
            let title = p.get("title").and_then(Value::as_str).unwrap_or(id);
            Some(ContentBlock::resource_link(
                Resource::new(product_uri(id), title).with_mime_type("application/json"),
            ))
        })
        .collect()
}

/// Reads `uri`.
pub async fn read(app: &App, uri: &str) -> Result<ReadResourceResult, McpError> {
    let internal = |_| McpError::internal_error("internal error reading the catalog", None);
    if uri == super::mcp_apps::PRODUCTS_URI {
        return Ok(super::mcp_apps::read()
            .with_ttl_ms(CATALOG_TTL_MS)
            .with_cache_scope(CacheScope::Public));
    }
    let body = if uri == CATEGORIES_URI {
        json!({"categories": store::products::categories(&app.heavy).await.map_err(internal)?})
    } else if uri == STATS_URI {
        json!(store::products::stats(&app.heavy).await.map_err(internal)?)
    } else if let Some(id) = uri.strip_prefix(PRODUCT_PREFIX) {
        call(app, "get_product", json!({"product_id": decode(id)?})).await?
    } else if let Some((user, recipient)) = uri
        .strip_prefix(RECIPIENT_PREFIX)
        .and_then(|rest| rest.split_once('/'))
    {
        let arguments = json!({"user_id": decode(user)?, "recipient_id": decode(recipient)?});
        call(app, "get_recipient", arguments).await?
    } else {
        return Err(McpError::resource_not_found(
            format!(
                "no resource {:?}; resources/list and resources/templates/list show them",
                crate::error::bounded(uri, crate::error::ECHO_MAX)
            ),
            None,
        ));
    };
    let private = uri.starts_with(RECIPIENT_PREFIX);
    let result = ReadResourceResult::new(vec![ResourceContents::text(body.to_string(), uri)]);
    Ok(if private {
        result.with_ttl_ms(0).with_cache_scope(CacheScope::Private)
    } else {
        result
            .with_ttl_ms(CATALOG_TTL_MS)
            .with_cache_scope(CacheScope::Public)
    })
}

/// Runs the tool behind a templated resource; its failures become MCP errors that say why.
async fn call(app: &App, tool: &str, arguments: Value) -> Result<Value, McpError> {
    let entry = tools::find(tool).expect("resource tools are in the catalog");
    match dispatch::run(app, entry, arguments, Transport::Mcp).await {
        Ok(value) => Ok(value),
        Err(err @ (Error::NotFound(_) | Error::Unknown { .. })) => {
            Err(McpError::resource_not_found(err.public_message(), None))
        }
        Err(err @ Error::InvalidInput { .. }) => {
            Err(McpError::invalid_params(err.public_message(), None))
        }
        Err(err) => Err(McpError::internal_error(err.public_message(), None)),
    }
}

/// What an id may keep unescaped in a URI path segment: RFC 3986's unreserved characters.
const ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn encode(part: &str) -> String {
    percent_encoding::utf8_percent_encode(part, ESCAPED).to_string()
}

fn decode(part: &str) -> Result<String, McpError> {
    percent_encoding::percent_decode_str(part)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| {
            McpError::invalid_params("the resource URI is not valid percent-encoded UTF-8", None)
        })
}
