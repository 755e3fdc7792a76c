//! `GET /openapi.json`: an OpenAPI 3.1 document of the REST routes, built from the same tool
//! schemas that MCP and JSON-RPC publish.

use serde_json::{Map, Value, json};

use crate::tools::views::Detail;
use crate::tools::{self, text_rules};

/// `schema` with the text rules spelled out on every free-text string (and the cursor form on
/// every cursor), so that
/// what the document declares valid is what the validation accepts.
fn declare_text_rule(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let free_text = map.get("type").is_some_and(|t| {
                t == "string" || t.as_array().is_some_and(|a| a.contains(&json!("string")))
            }) && !map.contains_key("enum")
                && !map.contains_key("pattern");
            if let Some(Value::Object(cursor)) =
                map.get_mut("properties").and_then(|p| p.get_mut("cursor"))
            {
                cursor.insert("pattern".into(), json!(crate::tools::cursor::PATTERN));
            }
            if free_text {
                let required = map.get("minLength").and_then(Value::as_u64).unwrap_or(0) >= 1;
                let pattern = if required {
                    &*text_rules::NON_BLANK
                } else {
                    &*text_rules::FREE_TEXT
                };
                map.insert("pattern".into(), json!(pattern));
            }
            map.values_mut().for_each(declare_text_rule);
        }
        Value::Array(items) => items.iter_mut().for_each(declare_text_rule),
        _ => {}
    }
}

/// Optional properties may be `null` (giftvec reads `null` as absent): the document says so.
fn declare_nullable(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let required: Vec<String> = map
                .get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(Value::Object(properties)) = map.get_mut("properties") {
                for (name, property) in properties.iter_mut() {
                    declare_nullable(property);
                    if !required.contains(name) {
                        *property = nullable(std::mem::take(property));
                    }
                }
            }
            for key in ["items", "anyOf", "oneOf", "allOf"] {
                if let Some(sub) = map.get_mut(key) {
                    declare_nullable(sub);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(declare_nullable),
        _ => {}
    }
}

fn nullable(mut schema: Value) -> Value {
    let Some(map) = schema.as_object_mut() else {
        return schema;
    };
    if let Some(Value::Array(options)) = map.get_mut("enum") {
        options.push(Value::Null);
    }
    match map.get("type").cloned() {
        Some(Value::String(t)) => {
            map.insert("type".into(), json!([t, "null"]));
            schema
        }
        Some(Value::Array(mut types)) => {
            if !types.contains(&json!("null")) {
                types.push(json!("null"));
            }
            map.insert("type".into(), Value::Array(types));
            schema
        }
        _ => json!({"anyOf": [schema, {"type": "null"}]}),
    }
}

/// A `detail: "brief"` answer keeps only [`Detail::BRIEF_FIELDS`] of each product, so the
/// output schema requires no more of a product than those.
fn brief_products(output: &mut Value) {
    let relax = |product: Option<&mut Value>| {
        if let Some(Value::Array(required)) = product.and_then(|p| p.get_mut("required")) {
            required.retain(|r| {
                r.as_str()
                    .is_some_and(|r| Detail::BRIEF_FIELDS.contains(&r))
            });
        }
    };
    relax(output.pointer_mut("/properties/product"));
    relax(output.pointer_mut("/properties/results/items"));
    relax(output.pointer_mut("/properties/recommendations/items"));
}

/// "`a` given (not null)": a schema for `not` / `anyOf`.
fn given(field: &str) -> Value {
    json!({"required": [field], "properties": {field: {"not": {"type": "null"}}}})
}

/// The argument pairs a tool checks beyond its JSON Schema, spelled out for the document:
/// similar_products wants exactly one of product_id and text (and price_tolerance_pct and
/// category_scope only with product_id), recommend_gifts at most one of recipient_id and
/// recipient, and recipient_id only with user_id.
fn declare_exclusive_fields(tool: &str, schema: &mut Value) {
    let rule = match tool {
        "similar_products" => json!({"allOf": [
            {"oneOf": [
                {"allOf": [given("product_id"), {"not": given("text")}]},
                {"allOf": [given("text"), {"not": given("product_id")}]},
            ]},
            {"anyOf": [{"not": given("price_tolerance_pct")}, given("product_id")]},
            {"anyOf": [{"not": given("category_scope")}, given("product_id")]},
        ]}),
        "recommend_gifts" => json!({"allOf": [
            {"not": {"allOf": [given("recipient_id"), given("recipient")]}},
            {"anyOf": [{"not": given("recipient_id")}, given("user_id")]},
        ]}),
        _ => return,
    };
    if let (Some(map), Value::Object(rule)) = (schema.as_object_mut(), rule) {
        map.extend(rule);
    }
}

/// The schema of `field` in `tool`'s input (or its `filters`), as a query parameter's.
fn parameter_schema(tool: &str, field: &str) -> Value {
    let input = tools::find(tool).map(|t| Value::Object((*t.input_schema).clone()));
    let found = input.as_ref().and_then(|s| {
        s.pointer(&format!("/properties/{field}"))
            .or_else(|| s.pointer(&format!("/properties/filters/properties/{field}")))
    });
    let mut schema = found.cloned().unwrap_or_else(|| json!({"type": "string"}));
    if let Some(map) = schema.as_object_mut() {
        map.remove("description");
        if field == "cursor" {
            map.insert("pattern".into(), json!(crate::tools::cursor::PATTERN));
        }
    }
    declare_text_rule(&mut schema);
    schema
}

fn schemas() -> Map<String, Value> {
    let mut schemas = Map::new();
    for tool in tools::catalog() {
        let mut input = Value::Object((*tool.input_schema).clone());
        declare_text_rule(&mut input);
        declare_exclusive_fields(tool.name, &mut input);
        declare_nullable(&mut input);
        if tool.name == "search_products" {
            // POST /api/search/semantic: the same, in semantic mode only.
            let mut semantic = input.clone();
            if let Some(mode) = semantic.pointer_mut("/properties/mode") {
                *mode = json!({"type": ["string", "null"], "enum": ["semantic", null],
                               "description": "Only semantic on this route (the default)."});
            }
            schemas.insert("search_semantic_input".into(), semantic);
        }
        schemas.insert(format!("{}_input", tool.name), input);
        let mut output = Value::Object((*tool.output_schema).clone());
        brief_products(&mut output);
        schemas.insert(format!("{}_output", tool.name), output);
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
                             "budget_exceeded", "busy", "rate_limited", "timeout", "not_ready", "internal", "unauthorized", "forbidden"]},
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
        "403": {"description": "The Host or browser Origin is not one this sidecar serves (GIFTVEC_ALLOWED_HOSTS, GIFTVEC_ALLOWED_ORIGINS), or the route is beyond the token's scope (the widget key opens only similar products and events)", "content": error["content"]},
        "404": {"description": "Not found", "content": error["content"]},
        "408": {"description": "The request body did not arrive in time (GIFTVEC_REQUEST_READ_SECS)", "content": error["content"]},
        "413": {"description": "The request body is larger than GIFTVEC_MAX_BODY_BYTES", "content": error["content"]},
        "429": {"description": "Over this caller's rate (`rate_limited`, `Retry-After` says when to retry) or the embedding budget is spent (`budget_exceeded`)", "headers": {"Retry-After": {"description": "Seconds until a call is admitted again (rate_limited)", "schema": {"type": "integer"}}}, "content": error["content"]},
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
    let id = json!({"name": "id", "in": "path", "required": true, "schema": parameter_schema("get_product", "product_id"), "description": "Product id"});
    let param = |field: &str| parameter_schema("similar_products", field);
    let mut semantic = json_post("search_products", "Semantic product search");
    semantic["post"]["requestBody"]["content"]["application/json"]["schema"] =
        reference("search_semantic_input");
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
            "/api/search/semantic": semantic,
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
                    query("limit", param("limit"), "How many results"),
                    query("min_similarity", param("min_similarity"), "Drop results below this cosine similarity"),
                    query("price_tolerance_pct", param("price_tolerance_pct"), "Only within ± this percentage of the product's price"),
                    query("category", param("category"), "Only this category"),
                    query("exclude_category", param("exclude_category"), "Never this category"),
                    query("min_price", param("min_price"), "Lowest price"),
                    query("max_price", param("max_price"), "Highest price"),
                    query("in_stock", param("in_stock"), "Stock filter"),
                    query("cursor", param("cursor"), "next_cursor of the previous page"),
                ],
                "responses": responses("similar_products"),
            }},
        },
        "components": {
            "schemas": schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "When GIFTVEC_AUTH_TOKEN is set: the agent token, the ops token (GIFTVEC_OPS_TOKEN), or on the widget's routes the public widget key (GIFTVEC_WIDGET_KEY)"}},
        },
        "security": [{"bearer": []}, {}],
    })
}
