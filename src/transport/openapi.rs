//! `GET /openapi.json`: an OpenAPI 3.1 document of the REST routes, built from the same tool
//! schemas that MCP and JSON-RPC publish.

use serde_json::{Map, Value, json};

use crate::tools::{self, control_chars};

/// `schema` with the control-character rule spelled out on every free-text string, so that
/// what the document declares valid is what the validation accepts.
fn declare_text_rule(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let free_text = map.get("type").is_some_and(|t| {
                t == "string" || t.as_array().is_some_and(|a| a.contains(&json!("string")))
            }) && !map.contains_key("enum")
                && !map.contains_key("pattern");
            if free_text {
                map.insert("pattern".into(), json!(control_chars::PATTERN));
            }
            map.values_mut().for_each(declare_text_rule);
        }
        Value::Array(items) => items.iter_mut().for_each(declare_text_rule),
        _ => {}
    }
}

fn schemas() -> Map<String, Value> {
    let mut schemas = Map::new();
    for tool in tools::catalog() {
        let mut input = Value::Object((*tool.input_schema).clone());
        declare_text_rule(&mut input);
        schemas.insert(format!("{}_input", tool.name), input);
        schemas.insert(
            format!("{}_output", tool.name),
            Value::Object((*tool.output_schema).clone()),
        );
    }
    schemas.insert(
        "Error".into(),
        json!({
            "type": "object",
            "required": ["error"],
            "properties": {"error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "enum": ["invalid_input", "not_found", "upstream_unavailable",
                             "budget_exceeded", "busy", "timeout", "not_ready", "internal", "unauthorized", "forbidden"]},
                    "message": {"type": "string"},
                    "field": {"type": "string", "description": "The input at fault, for invalid_input."},
                    "retryable": {"type": "boolean", "description": "Whether the same call may succeed later unchanged."},
                    "next_step": {"type": "string", "description": "What to do next, in one sentence."}
                }
            }}
        }),
    );
    schemas
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn responses(tool: &str) -> Value {
    let error = json!({"content": {"application/json": {"schema": reference("Error")}}});
    json!({
        "200": {"description": "Result", "content": {"application/json": {"schema": reference(&format!("{tool}_output"))}}},
        "400": {"description": "Invalid input; `error.field` names the input", "content": error["content"]},
        "401": {"description": "Missing or wrong bearer token", "content": error["content"]},
        "403": {"description": "The Host or browser Origin is not one this sidecar serves (GIFTVEC_ALLOWED_HOSTS, GIFTVEC_ALLOWED_ORIGINS)", "content": error["content"]},
        "404": {"description": "Not found", "content": error["content"]},
        "408": {"description": "The request body did not arrive in time (GIFTVEC_REQUEST_READ_SECS)", "content": error["content"]},
        "413": {"description": "The request body is larger than GIFTVEC_MAX_BODY_BYTES", "content": error["content"]},
        "503": {"description": "Busy, or an upstream is unavailable; retry shortly", "content": error["content"]},
        "default": {"description": "Other failure", "content": error["content"]},
    })
}

fn json_post(tool: &str, summary: &str) -> Value {
    json!({"post": {
        "operationId": format!("rest_{tool}"),
        "summary": summary,
        "description": tools::find(tool).map(|t| t.description).unwrap_or_default(),
        "requestBody": {"required": true, "content": {"application/json": {"schema": reference(&format!("{tool}_input"))}}},
        "responses": responses(tool),
    }})
}

fn query(name: &str, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": schema, "description": description})
}

/// The document.
pub fn document() -> Value {
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string", "pattern": control_chars::PATTERN}, "description": "Product id"});
    let number = json!({"type": "number"});
    let text = json!({"type": "string", "pattern": control_chars::PATTERN});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "giftvec",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Product knowledge for gift agents. The same tools are served over MCP at /mcp and JSON-RPC 2.0 at /rpc (method = tool name, params = the tool's input; `tools.list` lists them)."
        },
        "paths": {
            "/api/vectors/search": json_post("similar_products", "Similarity search by product id or text"),
            "/api/vectors/embed": json_post("embed_text", "Embed texts"),
            "/api/search/semantic": json_post("search_products", "Semantic product search"),
            "/api/events": json_post("record_event", "Record a shopper event (view, click, purchase, ...)"),
            "/api/recommendations": json_post("recommend_gifts", "Gift recommendations for a recipient, occasion and budget"),
            "/api/products/{id}": {"get": {
                "operationId": "get_product",
                "summary": "One product",
                "parameters": [id],
                "responses": responses("get_product"),
            }},
            "/api/products/{id}/similar": {"get": {
                "operationId": "similar_products_by_id",
                "summary": "Products similar to a product",
                "parameters": [
                    id,
                    query("limit", json!({"type": "integer", "minimum": 1, "maximum": 100, "default": 10}), "How many results"),
                    query("min_similarity", number.clone(), "Drop results below this cosine similarity"),
                    query("price_tolerance_pct", number.clone(), "Only within ± this percentage of the product's price"),
                    query("category", text.clone(), "Only this category"),
                    query("exclude_category", text.clone(), "Never this category"),
                    query("min_price", number.clone(), "Lowest price"),
                    query("max_price", number, "Highest price"),
                    query("in_stock", json!({"type": "boolean"}), "Stock filter"),
                    query("cursor", text.clone(), "next_cursor of the previous page"),
                ],
                "responses": responses("similar_products"),
            }},
        },
        "components": {
            "schemas": schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "When GIFTVEC_AUTH_TOKEN is set"}},
        },
        "security": [{"bearer": []}, {}],
    })
}
