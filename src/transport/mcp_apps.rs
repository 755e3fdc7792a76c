//! MCP Apps (the `io.modelcontextprotocol/ui` extension): product cards a host shows beside
//! the results of `search_products`, `similar_products` and `recommend_gifts`. The tools name
//! the view in their `_meta.ui.resourceUri`; the view is one self-contained HTML page (no
//! external scripts, styles, fonts or images, so the host's default sandbox policy, which
//! allows no network access, suits it) that renders exactly the products of the tool result
//! the host passes it, in order.

use rmcp::model::{JsonObject, MetaObject, ReadResourceResult, Resource, ResourceContents};
use serde_json::json;

use crate::tools::{Tool, recommend_gifts, search_products, similar_products};

/// The extension's identifier in capabilities.
pub const EXTENSION_ID: &str = "io.modelcontextprotocol/ui";
/// The product cards view.
pub const PRODUCTS_URI: &str = "ui://giftvec/products";
/// The MIME type of an MCP App's HTML.
pub const MIME_TYPE: &str = "text/html;profile=mcp-app";

const PRODUCTS_HTML: &str = include_str!("mcp_apps/products.html");

/// The tools whose results the cards show.
const WITH_CARDS: [&str; 3] = [
    search_products::SearchProducts::NAME,
    similar_products::SimilarProducts::NAME,
    recommend_gifts::RecommendGifts::NAME,
];

/// The `_meta` a tool carries in tools/list when its results have a view.
pub fn tool_meta(tool: &str) -> Option<MetaObject> {
    WITH_CARDS.contains(&tool).then(|| {
        let mut meta = JsonObject::new();
        meta.insert("ui".into(), json!({ "resourceUri": PRODUCTS_URI }));
        MetaObject(meta)
    })
}

/// The server's declaration of the extension (for `capabilities.extensions`).
pub fn capability() -> JsonObject {
    let mut settings = JsonObject::new();
    settings.insert("mimeTypes".into(), json!([MIME_TYPE]));
    settings
}

/// The view as resources/list shows it.
pub fn resource() -> Resource {
    Resource::new(PRODUCTS_URI, "product-cards")
        .with_title("Product cards")
        .with_description(
            "A row of product cards for search_products, similar_products and recommend_gifts \
             results (an MCP App).",
        )
        .with_mime_type(MIME_TYPE)
}

/// The view's HTML, as resources/read returns it.
pub fn read() -> ReadResourceResult {
    let mut ui = JsonObject::new();
    ui.insert("ui".into(), json!({ "prefersBorder": false, "csp": {} }));
    ReadResourceResult::new(vec![ResourceContents::TextResourceContents {
        uri: PRODUCTS_URI.into(),
        mime_type: Some(MIME_TYPE.into()),
        text: PRODUCTS_HTML.into(),
        meta: Some(MetaObject(ui)),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_view_loads_nothing_from_outside() {
        for outside in [
            "src=\"http",
            "href=\"http",
            "url(http",
            "@import",
            "fetch(",
            "XMLHttpRequest",
        ] {
            assert!(!PRODUCTS_HTML.contains(outside), "{outside}");
        }
        assert!(PRODUCTS_HTML.contains("ui/notifications/tool-result"));
    }

    #[test]
    fn only_product_list_tools_name_the_view() {
        assert!(tool_meta("search_products").is_some());
        assert!(tool_meta("recommend_gifts").is_some());
        assert!(tool_meta("get_recipient").is_none());
    }
}
