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
pub mod fusion_input;
pub mod get_product;
pub mod get_recipient;
mod input_check;
pub mod recommend_gifts;
pub mod record_event;
pub mod result_cache;
mod schema;
pub mod search_products;
pub mod search_stats;
pub mod similar_products;
pub mod text_rules;
mod toolset;
pub mod upsert_recipient;
pub mod views;

use std::future::Future;
use std::sync::{Arc, LazyLock};

use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub use toolset::{Toolset, Toolsets};

use crate::app::App;
use crate::{Error, Result};

/// A tool: its name, what it is for, and its typed input and output.
pub trait Tool: Send + Sync + 'static {
    /// The MCP tool name and JSON-RPC method name.
    const NAME: &'static str;
    /// What the tool does and when to use it, written for a language model.
    const DESCRIPTION: &'static str;
    /// A short human-readable name (MCP `title`), e.g. "Search products".
    const TITLE: &'static str;
    /// What calling it does to stored data (MCP annotations; read-only tools may use the read
    /// replica).
    const EFFECTS: Effects;
    /// Who the tool is for (which listeners offer it).
    const TOOLSET: Toolset;
    /// The arguments.
    type Input: DeserializeOwned + JsonSchema + Send + 'static;
    /// The result.
    type Output: Serialize + JsonSchema + Send + 'static;

    /// Runs the tool.
    fn call(app: &App, input: Self::Input) -> impl Future<Output = Result<Self::Output>> + Send;
}

/// What a tool does to stored data, as MCP's tool annotations say it. Every tool works on
/// giftvec's own catalog and shopper data only (`openWorldHint: false`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effects {
    /// Changes nothing (it may log the call for analytics).
    pub read_only: bool,
    /// May overwrite or remove stored data (rather than only add to it).
    pub destructive: bool,
    /// Repeating the call with the same arguments has no further effect.
    pub idempotent: bool,
}

impl Effects {
    /// Only reads.
    pub const READ_ONLY: Effects = Effects {
        read_only: true,
        destructive: false,
        idempotent: true,
    };
    /// Adds a record per call and never changes or removes what is stored.
    pub const APPENDS: Effects = Effects {
        read_only: false,
        destructive: false,
        idempotent: false,
    };
}

/// A tool with its types erased, as transports see it.
pub struct ToolEntry {
    /// Tool name.
    pub name: &'static str,
    /// Description for the model.
    pub description: &'static str,
    /// Human-readable name.
    pub title: &'static str,
    /// What calling it does to stored data.
    pub effects: Effects,
    /// Who it is for.
    pub toolset: Toolset,
    /// JSON Schema of the arguments as tools/list shows it where the ops tools are offered
    /// (an object schema, subschemas inlined, every constraint the validation enforces).
    pub input_schema: Arc<Map<String, Value>>,
    /// The same without the advanced fields (fusion overrides, metric, experiment, ...): what
    /// an agent listener shows. Those fields are still accepted there.
    pub agent_input_schema: Arc<Map<String, Value>>,
    /// JSON Schema of the result, every field documented (the OpenAPI document shows it).
    pub output_schema: Arc<Map<String, Value>>,
    /// The result's schema as tools/list shows it: an object and its always-present fields.
    pub listed_output_schema: Arc<Map<String, Value>>,
    input_check: input_check::InputCheck,
    invoke: fn(App, Value) -> BoxFuture<'static, Result<Value>>,
}

impl ToolEntry {
    /// The input schema that `toolsets` show: every field where the ops tools are offered,
    /// the agent's fields otherwise.
    pub fn listed_input_schema(&self, toolsets: Toolsets) -> &Arc<Map<String, Value>> {
        if toolsets.offers(Toolset::Ops) {
            &self.input_schema
        } else {
            &self.agent_input_schema
        }
    }

    /// Checks `arguments` (a JSON object) against the input schema, parses them, runs the
    /// tool, serialises the result. Bad arguments become [`Error::InvalidInput`] naming the
    /// field and the limit the schema declares, or the control character a string holds; a
    /// `null` argument counts as absent.
    pub fn call(&self, app: App, arguments: Value) -> BoxFuture<'static, Result<Value>> {
        let checked = arguments_object(arguments).and_then(|mut arguments| {
            schema::drop_nulls(&mut arguments, &self.input_schema);
            self.input_check.check(&arguments)?;
            text_rules::check(&arguments, self.input_check.schema())?;
            Ok(arguments)
        });
        let arguments = match checked {
            Ok(arguments) => arguments,
            Err(err) => return Box::pin(std::future::ready(Err(err))),
        };
        let detail = views::Detail::of(&arguments);
        let run = (self.invoke)(app, arguments);
        Box::pin(async move {
            let mut output = run.await?;
            detail.apply(&mut output);
            Ok(output)
        })
    }
}

fn entry<T: Tool>() -> ToolEntry {
    // The listed schema is the one checked: the same constraints, and a wrong enum value is
    // told the allowed ones.
    let generated = schema::object_schema::<T::Input>();
    let input_schema = schema::listed_input(&generated);
    let output_schema = schema::object_schema::<T::Output>();
    ToolEntry {
        input_check: input_check::InputCheck::new(&input_schema),
        listed_output_schema: Arc::new(schema::listed_output(&output_schema)),
        output_schema: Arc::new(output_schema),
        name: T::NAME,
        description: T::DESCRIPTION,
        title: T::TITLE,
        effects: T::EFFECTS,
        toolset: T::TOOLSET,
        input_schema: Arc::new(input_schema),
        agent_input_schema: Arc::new(schema::agent_input(&generated)),
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

/// Tool arguments as a JSON object (absent arguments are an empty one).
fn arguments_object(arguments: Value) -> Result<Value> {
    match arguments {
        Value::Null => Ok(Value::Object(Map::new())),
        object @ Value::Object(_) => Ok(object),
        other => Err(Error::invalid(
            "arguments",
            format!(
                "must be a JSON object of named arguments, got {}",
                json_kind(&other)
            ),
        )),
    }
}

/// Deserialises checked tool arguments, naming the offending field on failure (for what a
/// schema cannot say).
pub fn parse<T: DeserializeOwned>(arguments: Value) -> Result<T> {
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

/// The tools `toolsets` offer, in catalog order.
pub fn offered(toolsets: Toolsets) -> impl Iterator<Item = &'static ToolEntry> {
    catalog().iter().filter(move |t| toolsets.offers(t.toolset))
}

/// The tool called `name`, when `toolsets` offer it.
pub fn find_offered(name: &str, toolsets: Toolsets) -> Option<&'static ToolEntry> {
    find(name).filter(|t| toolsets.offers(t.toolset))
}
