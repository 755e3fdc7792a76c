//! JSON Schemas of tool inputs and outputs, and the check of arguments against them.
//!
//! Schemas are draft 2020-12 with every subschema inlined (no `$ref`: some model clients do not
//! follow references), standard keywords only (schemars' `uint32` / `double` formats go) and no
//! root title or description (the tool's own description says it). A tool's bounds are declared
//! once, as schemars attributes on its input (`#[schemars(range(min = 1, max = 100))]`,
//! `length(max = ...)`), and [`InputCheck`] enforces exactly what the schema says, so what a
//! model reads is what is accepted.

use std::borrow::Cow;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::{ValidationError, Validator};
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

use crate::{Error, Result};

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

/// A tool's input schema, compiled: refuses arguments the schema does not admit with an
/// [`Error::InvalidInput`] naming the field and the limit.
pub struct InputCheck {
    validator: Validator,
    schema: Value,
}

impl InputCheck {
    /// Compiles `schema` (a schema this module generated, so it is valid).
    pub fn new(schema: &Map<String, Value>) -> Self {
        let schema = Value::Object(schema.clone());
        let validator = jsonschema::draft202012::new(&schema)
            .expect("generated tool schemas are valid JSON Schema");
        Self { validator, schema }
    }

    /// Checks `arguments` (a JSON object); the first violation becomes the error.
    pub fn check(&self, arguments: &Value) -> Result<()> {
        match self.validator.iter_errors(arguments).next() {
            None => Ok(()),
            Some(err) => Err(describe(&err, &self.schema)),
        }
    }
}

/// `texts[0]`, `filters.max_price`: a JSON pointer the way callers spell fields.
fn field_name<'a>(segments: impl Iterator<Item = LocationSegment<'a>>) -> String {
    let mut name = String::new();
    for segment in segments {
        match segment {
            LocationSegment::Property(p) => {
                if !name.is_empty() {
                    name.push('.');
                }
                name.push_str(&p);
            }
            LocationSegment::Index(i) => name.push_str(&format!("[{i}]")),
        }
    }
    name
}

/// The violation that says most: inside `anyOf` (an optional object, say) the branch that got
/// deepest into the value, not "matches none of the alternatives".
fn deepest<'a>(err: &'a ValidationError<'a>) -> &'a ValidationError<'a> {
    match err.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            context
                .iter()
                .flatten()
                .max_by_key(|e| e.instance_path().as_str().len())
                .map_or(err, |e| deepest(e))
        }
        _ => err,
    }
}

/// Both bounds (`low` and `high`, e.g. `minimum` and `maximum`) of the subschema holding the
/// failed keyword, when it declares both.
fn range(err: &ValidationError<'_>, root: &Value, low: &str, high: &str) -> Option<(Value, Value)> {
    let path = err.schema_path().as_str();
    let parent = root.pointer(&path[..path.rfind('/')?])?;
    Some((parent.get(low)?.clone(), parent.get(high)?.clone()))
}

fn describe(err: &ValidationError<'_>, root: &Value) -> Error {
    let err = deepest(err);
    let mut field = field_name(err.instance_path().segments());
    let got = shown(err.instance());
    let mut under = |name: &str| {
        field = if field.is_empty() {
            name.to_string()
        } else {
            format!("{field}.{name}")
        };
    };
    let message = match err.kind() {
        ValidationErrorKind::Minimum { limit } | ValidationErrorKind::Maximum { limit } => {
            match range(err, root, "minimum", "maximum") {
                Some((min, max)) => format!("must be between {min} and {max}, got {got}"),
                None if matches!(err.kind(), ValidationErrorKind::Minimum { .. }) => {
                    format!("must be at least {limit}, got {got}")
                }
                None => format!("must be at most {limit}, got {got}"),
            }
        }
        ValidationErrorKind::MinLength { .. } | ValidationErrorKind::MaxLength { .. }
            if range(err, root, "minLength", "maxLength").is_some() =>
        {
            let (min, max) = range(err, root, "minLength", "maxLength").unwrap_or_default();
            format!(
                "must be {min} to {max} characters, got {}",
                chars(err.instance())
            )
        }
        ValidationErrorKind::MinLength { limit } => {
            format!(
                "must be at least {limit} characters, got {}",
                chars(err.instance())
            )
        }
        ValidationErrorKind::MaxLength { limit } => format!(
            "is {} characters long; the limit is {limit}",
            chars(err.instance())
        ),
        ValidationErrorKind::MinItems { .. } | ValidationErrorKind::MaxItems { .. }
            if range(err, root, "minItems", "maxItems").is_some() =>
        {
            let (min, max) = range(err, root, "minItems", "maxItems").unwrap_or_default();
            format!(
                "must hold {min} to {max} entries, got {}",
                items(err.instance())
            )
        }
        ValidationErrorKind::MinItems { limit } => format!(
            "must hold at least {limit} entries, got {}",
            items(err.instance())
        ),
        ValidationErrorKind::MaxItems { limit } => format!(
            "has {} entries; the limit is {limit}",
            items(err.instance())
        ),
        ValidationErrorKind::Required { property } => {
            under(property.as_str().unwrap_or_default());
            "is required".to_string()
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            under(unexpected.first().map(String::as_str).unwrap_or_default());
            "is not an argument of this tool (the input schema lists them)".to_string()
        }
        ValidationErrorKind::Enum { options } => format!("must be one of {options}, got {got}"),
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => t.to_string(),
                TypeKind::Multiple(set) => set
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            format!("must be of type {expected}, got {got}")
        }
        _ => format!("is not accepted here, got {got}"),
    };
    let field: Cow<'static, str> = if field.is_empty() {
        "arguments".into()
    } else {
        field.into()
    };
    Error::invalid(field, message)
}

/// A value as an error message shows it: whole when short, else its start (a 1 MB string is
/// never echoed back).
fn shown(value: &Value) -> String {
    const MAX: usize = 60;
    let text = value.to_string();
    if text.chars().count() <= MAX {
        text
    } else {
        let start: String = text.chars().take(MAX).collect();
        format!("{start}... ({} characters)", text.chars().count())
    }
}

fn chars(value: &Value) -> usize {
    value.as_str().map_or(0, |s| s.chars().count())
}

fn items(value: &Value) -> usize {
    value.as_array().map_or(0, Vec::len)
}
