//! Two rules for the text in tool arguments, checked after the schema and before a tool runs,
//! each failure an [`Error::InvalidInput`] naming the field, never a database error:
//!
//! - **control characters**: PostgreSQL's `text` cannot hold NUL (U+0000), and no other C0
//!   control but tab and line breaks has a use in a query, an id or a note, so every string
//!   in the arguments (and every object key) is checked;
//! - **blank text**: a string the schema requires to be non-empty (`minLength` ≥ 1) must hold
//!   more than whitespace.
//!
//! The OpenAPI document declares both as patterns ([`FREE_TEXT`], [`NON_BLANK`]), so what it
//! says is valid is what is accepted.

use serde_json::Value;

use crate::{Error, Result};

/// Refused characters as an ECMA-262 class body (C0 controls but tab, LF, CR; and DEL).
const CONTROLS: &str = "\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F";

/// The pattern of a free-text string: no refused character.
pub static FREE_TEXT: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("^[^{CONTROLS}]*$"));

/// The pattern of a string that must not be blank: no refused character, and at least one
/// that is not whitespace (without lookahead, which not every generator supports).
pub static NON_BLANK: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("^[^{CONTROLS}]*[^\\s{CONTROLS}][^{CONTROLS}]*$"));

/// Whether `c` is refused: C0 controls but tab, line feed and carriage return, and DEL.
pub fn refused(c: char) -> bool {
    (c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{7f}'
}

/// Refuses the first string (value or key) in `arguments` holding a refused character, or
/// blank where `schema` (the checked input schema) wants a non-empty one.
pub fn check(arguments: &Value, schema: &Value) -> Result<()> {
    walk(arguments, Some(schema), &mut String::new())
}

/// One walk over the arguments, with the schema of each value where it declares one.
fn walk(value: &Value, schema: Option<&Value>, field: &mut String) -> Result<()> {
    let mut within = |segment: &str, item: &Value, sub: Option<&Value>, key: bool| {
        let len = field.len();
        if !segment.starts_with('[') && !field.is_empty() {
            field.push('.');
        }
        field.push_str(segment);
        let checked = if key {
            check_text(segment, field)
        } else {
            Ok(())
        }
        .and_then(|()| walk(item, sub, field));
        field.truncate(len);
        checked
    };
    match value {
        Value::String(text) => {
            check_text(text, field)?;
            let required = schema
                .and_then(|s| s.get("minLength"))
                .and_then(Value::as_u64)
                .is_some_and(|min| min >= 1);
            if required && text.trim().is_empty() {
                return Err(Error::invalid(
                    named(field).to_string(),
                    "is blank (only whitespace); give some text",
                ));
            }
            Ok(())
        }
        Value::Array(items) => {
            let sub = schema.and_then(|s| s.get("items"));
            items
                .iter()
                .enumerate()
                .try_for_each(|(i, item)| within(&format!("[{i}]"), item, sub, false))
        }
        Value::Object(map) => {
            let properties = schema.and_then(|s| s.get("properties"));
            map.iter().try_for_each(|(key, item)| {
                within(key, item, properties.and_then(|p| p.get(key)), true)
            })
        }
        _ => Ok(()),
    }
}

/// The field as errors name it (`arguments` for the whole).
fn named(field: &str) -> &str {
    if field.is_empty() { "arguments" } else { field }
}

fn check_text(text: &str, field: &str) -> Result<()> {
    let Some((position, c)) = text.chars().enumerate().find(|(_, c)| refused(*c)) else {
        return Ok(());
    };
    let shown: String = named(field).chars().filter(|c| !refused(*c)).collect();
    Err(Error::invalid(
        shown,
        format!(
            "contains the control character U+{:04X} at character {position}; remove control \
             characters (tabs and line breaks are fine)",
            c as u32
        ),
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field_of(arguments: Value) -> Option<String> {
        check(&arguments, &json!({}))
            .err()
            .map(|e| e.field().unwrap().to_string())
    }

    #[test]
    fn names_the_field_holding_a_control_character() {
        assert_eq!(field_of(json!({"query": "mug\u{0}"})), Some("query".into()));
        assert_eq!(
            field_of(json!({"filters": {"exclude_ids": ["a", "b\u{1}"]}})),
            Some("filters.exclude_ids[1]".into())
        );
        assert_eq!(
            field_of(json!({"recipient": {"na\u{0}me": "x"}})),
            Some("recipient.name".into()),
            "a key is checked, and named without the character"
        );
        assert_eq!(field_of(json!({"id": "a\u{7f}"})), Some("id".into()));
        let err = check(&json!({"query": "ab\u{0}"}), &json!({}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("U+0000 at character 2"), "{err}");
    }

    #[test]
    fn lets_ordinary_text_through() {
        let text = "Tea\tfor two\r\nunder 30 €, «not a mug» 🎁 -kit \"quoted\" ' OR 1=1 --";
        assert_eq!(
            field_of(json!({"query": text, "limit": 5, "x": null})),
            None
        );
        assert_eq!(field_of(json!("\u{85}\u{2028}")), None, "only C0 and DEL");
    }

    #[test]
    fn blank_text_is_refused_where_text_is_required() {
        let schema = json!({"properties": {
            "query": {"type": "string", "minLength": 1},
            "note": {"type": "string"},
            "ids": {"type": "array", "items": {"type": "string", "minLength": 1}},
            "filters": {"properties": {"category": {"type": "string", "minLength": 1}}}}});
        let blank_field = |args: Value| {
            check(&args, &schema)
                .err()
                .map(|e| e.field().unwrap().to_string())
        };
        assert_eq!(blank_field(json!({"query": " \t\n"})), Some("query".into()));
        assert_eq!(
            blank_field(json!({"ids": ["a", "\u{3000}"]})),
            Some("ids[1]".into())
        );
        assert_eq!(
            blank_field(json!({"filters": {"category": " "}})),
            Some("filters.category".into())
        );
        assert_eq!(blank_field(json!({"note": "  ", "query": " tea "})), None);
    }

    #[test]
    fn the_declared_patterns_say_the_same() {
        let matches = |pattern: &str, text: &str| {
            jsonschema::is_valid(&json!({"type": "string", "pattern": pattern}), &json!(text))
        };
        for text in ["tea", " tea ", "a\tb\r\n", "🎁", "\u{85}x"] {
            assert!(
                matches(&FREE_TEXT, text) && matches(&NON_BLANK, text),
                "{text:?}"
            );
        }
        for text in ["", " ", "\t\n", "\u{3000}"] {
            assert!(
                matches(&FREE_TEXT, text) && !matches(&NON_BLANK, text),
                "{text:?}"
            );
        }
        for text in ["a\u{0}", "\u{1b}[31m", "x\u{7f}"] {
            assert!(
                !matches(&FREE_TEXT, text) && !matches(&NON_BLANK, text),
                "{text:?}"
            );
            assert!(check(&json!({"q": text}), &json!({})).is_err());
        }
    }
}
