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

/// Refuses the first string (value or key) in `arguments` holding a refused character, then
/// the first blank string where `schema` (the checked input schema) wants a non-empty one.
pub fn check(arguments: &Value, schema: &Value) -> Result<()> {
    walk(arguments, &mut String::new())?;
    blank(arguments, schema, &mut String::new())
}

/// Refuses a whitespace-only string wherever `schema` says `minLength` ≥ 1.
fn blank(value: &Value, schema: &Value, field: &mut String) -> Result<()> {
    match value {
        Value::String(text) => {
            let required = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) >= 1;
            if required && text.trim().is_empty() {
                let field = if field.is_empty() {
                    "arguments"
                } else {
                    field.as_str()
                };
                return Err(Error::invalid(
                    field.to_string(),
                    "is blank (only whitespace); give some text",
                ));
            }
            Ok(())
        }
        Value::Array(items) => {
            let Some(item_schema) = schema.get("items") else {
                return Ok(());
            };
            items.iter().enumerate().try_for_each(|(i, item)| {
                let len = field.len();
                field.push_str(&format!("[{i}]"));
                let checked = blank(item, item_schema, field);
                field.truncate(len);
                checked
            })
        }
        Value::Object(map) => {
            let Some(properties) = schema.get("properties") else {
                return Ok(());
            };
            map.iter().try_for_each(|(key, item)| {
                let Some(sub) = properties.get(key) else {
                    return Ok(());
                };
                let len = field.len();
                if !field.is_empty() {
                    field.push('.');
                }
                field.push_str(key);
                let checked = blank(item, sub, field);
                field.truncate(len);
                checked
            })
        }
        _ => Ok(()),
    }
}

fn walk(value: &Value, field: &mut String) -> Result<()> {
    match value {
        Value::String(text) => check_text(text, field),
        Value::Array(items) => items.iter().enumerate().try_for_each(|(i, item)| {
            let len = field.len();
            field.push_str(&format!("[{i}]"));
            let checked = walk(item, field);
            field.truncate(len);
            checked
        }),
        Value::Object(map) => map.iter().try_for_each(|(key, item)| {
            let len = field.len();
            if !field.is_empty() {
                field.push('.');
            }
            field.push_str(key);
            let checked = check_text(key, field).and_then(|()| walk(item, field));
            field.truncate(len);
            checked
        }),
        _ => Ok(()),
    }
}

fn check_text(text: &str, field: &str) -> Result<()> {
    let Some((position, c)) = text.chars().enumerate().find(|(_, c)| refused(*c)) else {
        return Ok(());
    };
    let field = if field.is_empty() { "arguments" } else { field };
    let shown: String = field.chars().filter(|c| !refused(*c)).collect();
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
