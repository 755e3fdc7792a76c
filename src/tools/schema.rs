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
            unwrap_lines(&mut root);
            match root {
                Value::Object(map) => map,
                _ => Map::new(),
            }
        }
        _ => Map::new(),
    }
}

/// The marker of an input field for tuning and evals rather than for agents
/// (`#[schemars(extend("x-advanced" = true))]`): listed only where the ops tools are offered,
/// accepted everywhere.
pub const ADVANCED: &str = "x-advanced";

/// The input schema as tools/list shows it: the same constraints, fewer tokens. Enums of
/// documented variants become a plain `enum` (the field's own description names the
/// variants); an optional field's type leaves out `null` (a null argument counts as absent,
/// see [`drop_nulls`]); defaults that mean "absent" (`null`, `""`, arrays, objects) go, as
/// the field docs say what an absent field means. Advanced fields stay, unmarked.
pub fn listed_input(schema: &Map<String, Value>) -> Map<String, Value> {
    let mut root = Value::Object(schema.clone());
    compact(&mut root);
    drop_markers(&mut root, false);
    into_map(root)
}

/// [`listed_input`] without the advanced fields: what an agent is shown.
pub fn agent_input(schema: &Map<String, Value>) -> Map<String, Value> {
    let mut root = Value::Object(schema.clone());
    compact(&mut root);
    drop_markers(&mut root, true);
    into_map(root)
}

/// Removes the members of `arguments` that are `null` where `schema` (an object schema)
/// declares them, at every depth (array items themselves stay): a client that writes an
/// absent optional argument as `null` means "absent". An undeclared member stays, null or
/// not, so the check still names it. Whole numbers written as `36.0` where the schema wants an
/// integer become `36`.
pub fn drop_nulls(arguments: &mut Value, schema: &Map<String, Value>) {
    let (Value::Object(members), Some(Value::Object(declared))) =
        (arguments, schema.get("properties"))
    else {
        return;
    };
    members.retain(|name, value| !(value.is_null() && declared.contains_key(name)));
    for (name, value) in members.iter_mut() {
        let Some(field) = declared.get(name).and_then(Value::as_object) else {
            continue;
        };
        match value {
            Value::Object(_) => drop_nulls(value, field),
            Value::Array(items) => {
                if let Some(item) = field.get("items").and_then(Value::as_object) {
                    items.iter_mut().for_each(|v| {
                        drop_nulls(v, item);
                        integral(v, item);
                    });
                }
            }
            _ => integral(value, field),
        }
    }
}

/// JSON Schema's `integer` admits `36.0` (a number with no fraction); the parsed input wants
/// `36`. Out-of-range values are left for the schema check to name.
fn integral(value: &mut Value, schema: &Map<String, Value>) {
    let integer = schema.get("type").is_some_and(|t| t == "integer");
    if let (true, Some(n)) = (integer, value.as_f64())
        && value.is_f64()
        && n.fract() == 0.0
        && n.abs() < 9.0e15
    {
        *value = Value::from(n as i64);
    }
}

fn into_map(root: Value) -> Map<String, Value> {
    match root {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Removes the [`ADVANCED`] markers, and with `drop_fields` the fields they mark.
fn drop_markers(schema: &mut Value, drop_fields: bool) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get_mut("properties") {
                if drop_fields {
                    properties.retain(|_, field| field.get(ADVANCED).is_none());
                }
                for field in properties.values_mut() {
                    if let Value::Object(field) = field {
                        field.remove(ADVANCED);
                    }
                }
            }
            map.values_mut().for_each(|v| drop_markers(v, drop_fields));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| drop_markers(v, drop_fields)),
        _ => {}
    }
}

/// The output schema as tools/list shows it: an object and the fields every result has. The
/// tool list is sent with every model request and the model reads the result itself, so the
/// field types and docs stay in the OpenAPI document; a client that checks results against it
/// (the TypeScript SDK does) still checks what is always there, and a `detail: "brief"`
/// result conforms too.
pub fn listed_output(schema: &Map<String, Value>) -> Map<String, Value> {
    let mut root = Map::new();
    root.insert("type".into(), Value::String("object".into()));
    if let Some(required) = schema.get("required") {
        root.insert("required".into(), required.clone());
    }
    root
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
            if map.get("default").is_some_and(means_absent) {
                map.remove("default");
            }
            non_null_type(map);
            map.values_mut().for_each(compact);
        }
        Value::Array(items) => items.iter_mut().for_each(compact),
        _ => {}
    }
}

/// Descriptions without a doc comment's wrapping: a single line break becomes a space, a
/// blank line (a new paragraph) stays.
fn unwrap_lines(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(text)) = map.get_mut("description") {
                *text = text
                    .split("\n\n")
                    .map(|paragraph| paragraph.replace('\n', " "))
                    .collect::<Vec<_>>()
                    .join("\n\n");
            }
            map.values_mut().for_each(unwrap_lines);
        }
        Value::Array(items) => items.iter_mut().for_each(unwrap_lines),
        _ => {}
    }
}

/// A default that says no more than leaving the field out.
fn means_absent(default: &Value) -> bool {
    match default {
        Value::Null | Value::Object(_) => true,
        Value::String(s) => s.is_empty(),
        Value::Array(_) => true,
        _ => false,
    }
}

/// `"type": ["string", "null"]` becomes `"type": "string"`.
fn non_null_type(map: &mut Map<String, Value>) {
    if let Some(Value::Array(kinds)) = map.get_mut("type") {
        kinds.retain(|k| k != "null");
        if kinds.len() == 1 {
            let kind = kinds.remove(0);
            map.insert("type".into(), kind);
        }
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
