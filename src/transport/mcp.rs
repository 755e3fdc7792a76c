//! MCP (with `rmcp`): the catalog as MCP tools, with input and output schemas and
//! `readOnlyHint`; results as structured content plus a text block. Failures a model can act
//! on (bad input, not found, upstream down, busy, ...) are `isError` results carrying the
//! stable code and a message saying what to change; internal faults are protocol errors with
//! no internals in them. Resources: the category list and catalog statistics.

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse,
    ReadResourceResult, Resource, ResourceContents, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, ServiceExt};
use serde_json::{Value, json};

use crate::app::App;
use crate::tools::dispatch::{self, Transport};
use crate::tools::{self, ToolEntry};
use crate::{Error, store};

const CATEGORIES_URI: &str = "giftvec://catalog/categories";
const STATS_URI: &str = "giftvec://catalog/stats";

const INSTRUCTIONS: &str = "giftvec knows the gift catalog. Start with search_products for a \
    request in natural language (put budget and category limits in filters), use \
    similar_products for alternatives to an item, get_product for full details. Prices are in \
    the catalog currency. Errors carry a code: invalid_input (change the arguments as the \
    message says), not_found, busy or upstream_unavailable (retry shortly).";

/// The MCP server: every catalog tool, plus catalog resources.
#[derive(Clone)]
pub struct McpServer {
    app: App,
}

impl McpServer {
    /// A server over `app`.
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

/// Serves MCP over stdin/stdout until the client closes it.
pub async fn serve_stdio(app: App) -> crate::Result<()> {
    let running = McpServer::new(app)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| Error::Internal(Box::new(e)))?;
    running
        .waiting()
        .await
        .map_err(|e| Error::Internal(Box::new(e)))?;
    Ok(())
}

fn mcp_tool(entry: &ToolEntry) -> Tool {
    Tool::new(entry.name, entry.description, entry.input_schema.clone())
        .with_raw_output_schema(entry.output_schema.clone())
        .with_annotations(ToolAnnotations::new().read_only(entry.read_only))
}

/// A tool failure as an `isError` result the model can read, or a protocol error for faults
/// on our side.
fn failure(err: Error) -> Result<CallToolResponse, McpError> {
    match err {
        Error::Internal(_) => Err(McpError::internal_error(
            "internal error; the call did not complete",
            None,
        )),
        err => Ok(CallToolResult::structured_error(json!({
            "code": err.code(),
            "message": err.to_string(),
        }))
        .into()),
    }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("giftvec", env!("CARGO_PKG_VERSION")))
        .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(
            tools::catalog().iter().map(mcp_tool).collect(),
        ))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        tools::find(name).map(mcp_tool)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let Some(tool) = tools::find(&request.name) else {
            return Err(McpError::invalid_params(
                format!(
                    "there is no tool {:?}; tools/list shows the available tools",
                    request.name
                ),
                None,
            ));
        };
        let arguments = request.arguments.map(Value::Object).unwrap_or(Value::Null);
        match dispatch::run(&self.app, tool, arguments, Transport::Mcp).await {
            Ok(value) => Ok(CallToolResult::structured(value).into()),
            Err(err) => failure(err),
        }
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(ListResourcesResult::with_all_items(vec![
            Resource::new(CATEGORIES_URI, "categories")
                .with_description("Every product category with its number of products, as JSON.")
                .with_mime_type("application/json"),
            Resource::new(STATS_URI, "catalog-stats")
                .with_description(
                    "Catalog size, products in stock, price range, and embedding coverage per model, as JSON.",
                )
                .with_mime_type("application/json"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let internal = |_| McpError::internal_error("internal error reading the catalog", None);
        let body = match request.uri.as_str() {
            CATEGORIES_URI => {
                json!({"categories": store::products::categories(&self.app.heavy).await.map_err(internal)?})
            }
            STATS_URI => serde_json::to_value(
                store::products::stats(&self.app.heavy)
                    .await
                    .map_err(internal)?,
            )
            .map_err(|_| McpError::internal_error("internal error", None))?,
            other => {
                return Err(McpError::resource_not_found(
                    format!("no resource {other:?}; resources/list shows them"),
                    None,
                ));
            }
        };
        Ok(
            ReadResourceResult::new(vec![ResourceContents::text(body.to_string(), request.uri)])
                .into(),
        )
    }
}
