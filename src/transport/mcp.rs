//! MCP (with `rmcp`): the catalog as MCP tools, with titles, input and output schemas and
//! annotations; results as structured content plus a text block. Every tool failure (bad
//! input, not found, upstream down, busy, even an internal fault) is an `isError` result whose
//! text carries the stable code, the message, the field at fault and what to do next, with no
//! internals in it. Product results also carry resource links to `giftvec://product/{id}`;
//! the resources themselves are in `mcp_resources`.

use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock,
    Implementation, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities,
    ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, ServiceExt};
use serde_json::{Value, json};

use super::auth::Granted;
use super::mcp_apps as apps;
use super::mcp_resources as resources;
use super::rate_limit::Caller;
use crate::Error;
use crate::app::App;
use crate::tools::dispatch::{self, Transport};
use crate::tools::{self, ToolEntry, Toolsets};

/// How long a client may reuse a tool or resource list: it changes only with a new release
/// or configuration, and is the same for every caller of this listener.
const LIST_TTL_MS: u64 = 300_000;

const INSTRUCTIONS: &str = "giftvec knows the gift catalog. Start with search_products for a \
    request in natural language (put budget and category limits in filters), use \
    similar_products for alternatives to an item, get_product for full details. Prices are in \
    the catalog currency. Errors carry a code: invalid_input (change the arguments as the \
    message says), not_found, busy or upstream_unavailable (retry shortly), rate_limited (wait as long as \
    the message says; ask for more per call instead of many small calls).";

/// The MCP server: the catalog tools of its toolsets, plus catalog resources.
#[derive(Clone)]
pub struct McpServer {
    app: App,
    toolsets: Toolsets,
}

impl McpServer {
    /// A server over `app` offering the tools of `toolsets`.
    pub fn new(app: App, toolsets: Toolsets) -> Self {
        Self { app, toolsets }
    }

    /// The toolsets this request may use: what its bearer token opened over HTTP, else the
    /// server's.
    fn toolsets(&self, context: &RequestContext<RoleServer>) -> Toolsets {
        http_extension::<Granted>(context).map_or(self.toolsets, |granted| granted.toolsets)
    }

    /// Counts a tool call against its HTTP caller's rate (stdio has one caller, the host).
    fn admit(context: &RequestContext<RoleServer>) -> Result<(), Error> {
        http_extension::<Caller>(context).map_or(Ok(()), Caller::admit)
    }
}

/// An extension the HTTP layers put on the request this MCP message came in.
fn http_extension<T: Send + Sync + 'static>(context: &RequestContext<RoleServer>) -> Option<&T> {
    context
        .extensions
        .get::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<T>())
}

/// Serves MCP over stdin/stdout until the client closes it.
pub async fn serve_stdio(app: App, toolsets: Toolsets) -> crate::Result<()> {
    let running = McpServer::new(app, toolsets)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| Error::Internal(Box::new(e)))?;
    running
        .waiting()
        .await
        .map_err(|e| Error::Internal(Box::new(e)))?;
    Ok(())
}

/// The MCP form of a catalog tool as `toolsets` list it: name, title, description, input
/// and output schema, and annotations saying what it does to stored data (the title is the
/// tool's own, not repeated in the annotations).
pub fn mcp_tool(entry: &ToolEntry, toolsets: Toolsets) -> Tool {
    let effects = entry.effects;
    let annotations = ToolAnnotations::new()
        .read_only(effects.read_only)
        .destructive(effects.destructive)
        .idempotent(effects.idempotent)
        .open_world(false);
    let tool = Tool::new(
        entry.name,
        entry.description,
        entry.listed_input_schema(toolsets).clone(),
    )
    .with_title(entry.title)
    .with_raw_output_schema(entry.listed_output_schema.clone())
    .with_annotations(annotations);
    match apps::tool_meta(entry.name) {
        Some(meta) => tool.with_meta(meta),
        None => tool,
    }
}

/// The tools of `toolsets` as `tools/list` shows them, as JSON (`{"tools": [...]}`): what
/// JSON-RPC `tools.list` returns, so both transports list the same schemas.
pub fn tool_list(toolsets: Toolsets) -> Value {
    let tools: Vec<Tool> = tools::offered(toolsets)
        .map(|entry| mcp_tool(entry, toolsets))
        .collect();
    json!({ "tools": tools })
}

/// A tool failure as an `isError` result: one text block holding the error as JSON (`code`,
/// `message`, `field`, `retryable`, `next_step`) and no structured content. Clients that
/// check structured content against the tool's output schema (the TypeScript SDK does, also
/// on errors) would reject an error object there, so the model would never see it.
fn failure(err: &Error) -> CallToolResponse {
    CallToolResult::error(vec![ContentBlock::text(err.to_body().to_string())]).into()
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        let mut capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .build();
        capabilities.extensions =
            Some([(apps::EXTENSION_ID.to_string(), apps::capability())].into());
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("giftvec", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let toolsets = self.toolsets(&context);
        Ok(ListToolsResult::with_all_items(
            tools::offered(toolsets)
                .map(|entry| mcp_tool(entry, toolsets))
                .collect(),
        )
        .with_ttl_ms(LIST_TTL_MS)
        .with_cache_scope(CacheScope::Public))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        tools::find_offered(name, self.toolsets).map(|entry| mcp_tool(entry, self.toolsets))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let toolsets = self.toolsets(&context);
        let Some(tool) = tools::find_offered(&request.name, toolsets) else {
            return Err(McpError::invalid_params(
                format!(
                    "there is no tool {:?} here; tools/list shows the tools this server offers",
                    request.name
                ),
                None,
            ));
        };
        let arguments = request.arguments.map(Value::Object).unwrap_or(Value::Null);
        // A `notifications/cancelled` for this request (or the client going away) cancels
        // `ct`: the call is dropped, and with it its database and embedding work.
        let outcome = if let Err(refusal) = Self::admit(&context) {
            dispatch::refuse(tool, Transport::Mcp, refusal)
        } else {
            tokio::select! {
                outcome = dispatch::run(&self.app, tool, arguments, Transport::Mcp) => outcome,
                () = context.ct.cancelled() => {
                    return Err(McpError::invalid_request("the request was cancelled", None));
                }
            }
        };
        match outcome {
            Ok(value) => {
                let links = resources::product_links(&value);
                let mut result = CallToolResult::structured(value);
                result.content.extend(links);
                Ok(result.into())
            }
            Err(err) => Ok(failure(&err)),
        }
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(ListResourcesResult::with_all_items(resources::list())
            .with_ttl_ms(LIST_TTL_MS)
            .with_cache_scope(CacheScope::Public))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(
            ListResourceTemplatesResult::with_all_items(resources::templates())
                .with_ttl_ms(LIST_TTL_MS)
                .with_cache_scope(CacheScope::Public),
        )
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        Ok(resources::read(&self.app, &request.uri).await?.into())
    }
}
