//! The tool catalog: one file per tool, each an input struct, an output struct (serde +
//! schemars; their doc comments are what a calling model reads) and one `call(&App, Input)`.
//! [`catalog`] lists them; every transport (MCP, JSON-RPC, REST) serves that one list, so a
//! tool is written once.

pub mod cursor;
pub mod dispatch;
pub mod diversify;
pub mod embed_text;
pub mod embedding_status;
pub mod experiment_report;
pub mod explain_recommendation;
pub mod find_similar_queries;
pub mod get_product;
pub mod get_recipient;
pub mod recommend_gifts;
pub mod record_event;
pub mod result_cache;
mod schema;
pub mod search_products;
pub mod search_stats;
pub mod similar_products;
pub mod upsert_recipient;
pub mod views;

use std::future::Future;
use std::sync::{Arc, LazyLock};

use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::app::App;
use crate::{Error, Result};

/// A tool: its name, what it is for, and its typed input and output.
pub trait Tool: Send + Sync + 'static {
    /// The MCP tool name and JSON-RPC method name.
    const NAME: &'static str;
    /// What the tool does and when to use it, written for a language model.
    const DESCRIPTION: &'static str;
    /// Whether the tool only reads (MCP `readOnlyHint`; may use the read replica).
    const READ_ONLY: bool;
    /// The arguments.
    type Input: DeserializeOwned + JsonSchema + Send + 'static;
    /// The result.
    type Output: Serialize + JsonSchema + Send + 'static;

    /// Runs the tool.
    fn call(app: &App, input: Self::Input) -> impl Future<Output = Result<Self::Output>> + Send;
}

/// A tool with its types erased, as transports see it.
pub struct ToolEntry {
    /// Tool name.
    pub name: &'static str,
    /// Description for the model.
    pub description: &'static str,
    /// Only reads.
    pub read_only: bool,
    /// JSON Schema of the arguments (an object schema, subschemas inlined).
    pub input_schema: Arc<Map<String, Value>>,
    /// JSON Schema of the result.
    pub output_schema: Arc<Map<String, Value>>,
    invoke: fn(App, Value) -> BoxFuture<'static, Result<Value>>,
}

impl ToolEntry {
    /// Parses `arguments` (a JSON object), runs the tool, serialises the result. Bad arguments
    /// become [`Error::InvalidInput`] naming the field.
    pub fn call(&self, app: App, arguments: Value) -> BoxFuture<'static, Result<Value>> {
        (self.invoke)(app, arguments)
    }
}

fn entry<T: Tool>() -> ToolEntry {
    ToolEntry {
        name: T::NAME,
        description: T::DESCRIPTION,
        read_only: T::READ_ONLY,
        input_schema: Arc::new(schema::object_schema::<T::Input>()),
        output_schema: Arc::new(schema::object_schema::<T::Output>()),
        invoke: invoke::<T>,
    }
}

fn invoke<T: Tool>(app: App, arguments: Value) -> BoxFuture<'static, Result<Value>> {
    Box::pin(async move {
        let input: T::Input = parse(arguments)?;
        let output = T::call(&app, input).await?;
        serde_json::to_value(output).map_err(|e| Error::Internal(Box::new(e)))
    })
}

/// Deserialises tool arguments, naming the offending field on failure.
pub fn parse<T: DeserializeOwned>(arguments: Value) -> Result<T> {
    let arguments = match arguments {
        Value::Null => Value::Object(Map::new()),
        object @ Value::Object(_) => object,
        other => {
            return Err(Error::invalid(
                "arguments",
                format!(
                    "must be a JSON object of named arguments, got {}",
                    json_kind(&other)
                ),
            ));
        }
    };
    serde_path_to_error::deserialize(arguments).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." {
            "arguments".to_string()
        } else {
            path
        };
        Error::invalid(field, err.inner().to_string())
    })
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

static CATALOG: LazyLock<Vec<ToolEntry>> = LazyLock::new(|| {
    vec![
        entry::<search_products::SearchProducts>(),
        entry::<similar_products::SimilarProducts>(),
        entry::<get_product::GetProduct>(),
        entry::<embed_text::EmbedText>(),
        entry::<find_similar_queries::FindSimilarQueries>(),
        entry::<search_stats::SearchStatsTool>(),
        entry::<embedding_status::EmbeddingStatusTool>(),
        entry::<record_event::RecordEvent>(),
        entry::<upsert_recipient::UpsertRecipient>(),
        entry::<get_recipient::GetRecipient>(),
        entry::<get_recipient::DeleteRecipient>(),
        entry::<recommend_gifts::RecommendGifts>(),
        entry::<explain_recommendation::ExplainRecommendation>(),
        entry::<diversify::Diversify>(),
        entry::<experiment_report::ExperimentReport>(),
    ]
});

/// Every tool, in the order they are listed to clients.
pub fn catalog() -> &'static [ToolEntry] {
    &CATALOG
}

/// The tool called `name`.
pub fn find(name: &str) -> Option<&'static ToolEntry> {
    catalog().iter().find(|t| t.name == name)
}

/// The catalog as `tools/list` shows it: name, description, input and output schema, hints.
pub fn listing() -> Value {
    let tools: Vec<Value> = catalog()
        .iter()
        .map(|t| {
            serde_json::json!({
                "name": t.name,
                "description": t.description,
                "inputSchema": Value::Object((*t.input_schema).clone()),
                "outputSchema": Value::Object((*t.output_schema).clone()),
                "annotations": {"readOnlyHint": t.read_only},
            })
        })
        .collect();
    serde_json::json!({ "tools": tools })
}
