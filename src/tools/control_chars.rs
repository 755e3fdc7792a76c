//! Control characters in tool arguments. PostgreSQL's `text` cannot hold NUL (U+0000), and no
//! other C0 control but tab and line breaks has a use in a query, an id or a note, so every
//! string in the arguments (and every object key) is checked before a tool runs: the first
//! one found becomes an [`Error::InvalidInput`] naming the field, never a database error.

use serde_json::Value;

use crate::{Error, Result};

/// The pattern an OpenAPI string schema declares for the same rule (ECMA-262 syntax).
pub const PATTERN: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F]*$";

/// Whether `c` is refused: C0 controls but tab, line feed and carriage return, and DEL.
pub fn refused(c: char) -> bool {
    (c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{7f}'
}

/// Refuses the first string (value or key) in `arguments` holding a refused character.
pub fn check(arguments: &Value) -> Result<()> {
    walk(arguments, &mut String::new())
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
        check(&arguments)
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
        let err = check(&json!({"query": "ab\u{0}"})).unwrap_err().to_string();
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
}
