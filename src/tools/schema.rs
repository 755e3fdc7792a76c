//! JSON Schemas of tool inputs and outputs, as generated and as tools/list shows them.
//!
//! Schemas are draft 2020-12 with every subschema inlined (no `$ref`: some model clients do not
//! follow references), standard keywords only (schemars' `uint32` / `double` formats go) and no
//! root title or description (the tool's own description says it). A tool's bounds are declared
//! once, as schemars attributes on its input (`#[schemars(range(min = 1, max = 100))]`,
//! `length(max = ...)`), and `input_check` enforces exactly what the schema says, so what a
//! model reads is what is accepted.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

/// The `format` values of JSON Schema itself; any other (schemars' `uint32`, `double`, ...)
/// makes clients warn.
const STANDARD_FORMATS: [&str; 12] = [
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "uuid",
    "regex",
];

/// The schema of `T` as a JSON object (`type: object` for structs).
pub fn object_schema<T: JsonSchema>() -> Map<String, Value> {
    let generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.inline_subschemas = true;
        })
        .into_generator();
    let schema = generator.into_root_schema_for::<T>();
    match serde_json::to_value(schema) {
        Ok(Value::Object(mut map)) => {
            for noise in ["$schema", "title", "description"] {
                map.remove(noise);
            }
            let mut root = Value::Object(map);
            drop_nonstandard_formats(&mut root);
            match root {
                Value::Object(map) => map,
                _ => Map::new(),
            }
        }
        _ => Map::new(),
    }
}

/// The input schema as tools/list shows it: the same constraints, fewer tokens. Enums of
/// documented variants become a plain `enum` (the field's own description names the
/// variants), and object defaults go (the field docs say what an absent field means).
pub fn listed_input(schema: &Map<String, Value>) -> Map<String, Value> {
    let mut root = Value::Object(schema.clone());
    compact(&mut root);
    match root {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The output schema as tools/list shows it: the top-level fields with their types, nested
/// objects as plain objects, no descriptions. The tool list is sent with every model request,
/// and the model reads the result itself; a client that checks results against it (the
/// TypeScript SDK does) still gets every top-level field's type and which are required, and
/// a `detail: "brief"` result conforms too.
pub fn listed_output(schema: &Map<String, Value>) -> Map<String, Value> {
    let mut root = Map::new();
    for key in ["type", "required"] {
        if let Some(value) = schema.get(key) {
            root.insert(key.into(), value.clone());
        }
    }
    if let Some(Value::Object(properties)) = schema.get("properties") {
        let shallow = properties
            .iter()
            .map(|(name, field)| (name.clone(), shallow(field)))
            .collect();
        root.insert("properties".into(), Value::Object(shallow));
    }
    root
}

/// A field's type only: `{"type": ...}`, with an array's item type.
fn shallow(field: &Value) -> Value {
    let mut out = Map::new();
    let kind = field.get("type").cloned().or_else(|| {
        // An enum of documented variants has no type of its own: its variants are strings.
        field.get("oneOf").map(|_| Value::String("string".into()))
    });
    if let Some(kind) = kind {
        out.insert("type".into(), kind);
    }
    if let Some(items) = field.get("items") {
        let item_type = items
            .get("type")
            .cloned()
            .unwrap_or_else(|| Value::String("object".into()));
        out.insert("items".into(), serde_json::json!({ "type": item_type }));
    }
    Value::Object(out)
}

fn compact(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let constants: Option<Vec<Value>> = map
                .get("oneOf")
                .and_then(Value::as_array)
                .and_then(|variants| variants.iter().map(|v| v.get("const").cloned()).collect());
            if let Some(constants) = constants {
                map.remove("oneOf");
                map.insert("type".into(), Value::String("string".into()));
                map.insert("enum".into(), Value::Array(constants));
            }
            if map
                .get("default")
                .is_some_and(|d| d.is_object() || d.as_array().is_some_and(|a| !a.is_empty()))
            {
                map.remove("default");
            }
            map.values_mut().for_each(compact);
        }
        Value::Array(items) => items.iter_mut().for_each(compact),
        _ => {}
    }
}

fn drop_nonstandard_formats(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map
                .get("format")
                .and_then(Value::as_str)
                .is_some_and(|f| !STANDARD_FORMATS.contains(&f))
            {
                map.remove("format");
            }
            map.values_mut().for_each(drop_nonstandard_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nonstandard_formats),
        _ => {}
    }
}
