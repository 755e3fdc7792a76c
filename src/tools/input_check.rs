//! The check of tool arguments against the tool's input schema, before they are parsed: the
//! first violation becomes an [`Error::InvalidInput`] naming the field (`texts[0]`,
//! `filters.max_price`) and the limit, in words a model can act on, never echoing a huge
//! value back.

use std::borrow::Cow;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::{ValidationError, Validator};
use serde_json::{Map, Value};

use crate::{Error, Result};

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

    /// The schema checked against.
    pub fn schema(&self) -> &Value {
        &self.schema
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
