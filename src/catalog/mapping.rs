//! `--map title=Name,price=Cost,category=Department`: which column of a file feeds which of
//! giftvec's fields, for files whose columns have other names. The same pairs can live in a
//! small mapping file, one `field = column` per line.

use std::path::Path;

use serde_json::{Map, Value};

use super::validate::KNOWN;
use crate::{Error, Result};

/// Column → field pairs, applied to every record before it is read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldMap {
    pairs: Vec<(String, String)>,
}

impl FieldMap {
    /// Parses `field=column` pairs separated by commas or new lines; `#` starts a comment.
    /// Column names are matched without regard to case, as CSV headers are.
    pub fn parse(spec: &str, source: &'static str) -> Result<Self> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for item in spec
            .lines()
            .map(|line| line.split('#').next().unwrap_or(""))
            .flat_map(|line| line.split(','))
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            let Some((field, column)) = item.split_once('=') else {
                return Err(Error::invalid(
                    source,
                    format!("{item:?} is not field=column (for example title=Name)"),
                ));
            };
            let (field, column) = (field.trim().to_ascii_lowercase(), column.trim());
            if !KNOWN.contains(&field.as_str()) && !is_attribute_name(&field) {
                return Err(Error::invalid(
                    source,
                    format!(
                        "{field:?} is neither a product field ({}) nor an attribute name \
                         (letters, digits, _ . -)",
                        KNOWN.join(", ")
                    ),
                ));
            }
            if column.is_empty() {
                return Err(Error::invalid(source, format!("{field}= names no column")));
            }
            if pairs.iter().any(|(f, _)| *f == field) {
                return Err(Error::invalid(source, format!("{field} is mapped twice")));
            }
            pairs.push((field, column.to_string()));
        }
        Ok(Self { pairs })
    }

    /// Reads a mapping file (the same `field = column` pairs, one per line).
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|err| {
            Error::invalid(
                "--map-file",
                format!("cannot read {}: {err}", path.display()),
            )
        })?;
        Self::parse(&text, "--map-file")
    }

    /// These pairs, then `other`'s for fields these leave out.
    pub fn merged(mut self, other: FieldMap) -> Self {
        for (field, column) in other.pairs {
            if !self.pairs.iter().any(|(f, _)| *f == field) {
                self.pairs.push((field, column));
            }
        }
        self
    }

    /// No pairs.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The columns a header offers once this mapping is applied (lower-cased).
    pub(crate) fn mapped_header(&self, header: &[String]) -> Vec<String> {
        let mut names: Vec<String> = header.to_vec();
        for (field, column) in &self.pairs {
            if header.iter().any(|h| h.eq_ignore_ascii_case(column)) {
                names.retain(|h| !h.eq_ignore_ascii_case(column));
                names.push(field.clone());
            }
        }
        names
    }

    /// Mapped columns the header does not have.
    pub(crate) fn absent_columns(&self, header: &[String]) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(_, column)| !header.iter().any(|h| h.eq_ignore_ascii_case(column)))
            .map(|(_, column)| column.as_str())
            .collect()
    }

    /// Renames the mapped columns of one record to their fields (the column's value wins over
    /// a field of the same name already in the record).
    pub(crate) fn apply(&self, record: &mut Map<String, Value>) {
        for (field, column) in &self.pairs {
            let key = if record.contains_key(column.as_str()) {
                Some(column.clone())
            } else {
                record
                    .keys()
                    .find(|k| k.eq_ignore_ascii_case(column))
                    .cloned()
            };
            if let Some(value) = key.and_then(|k| record.remove(&k)) {
                record.insert(field.clone(), value);
            }
        }
    }
}

/// Whether `name` can name an attribute wherever giftvec keys one (a mapping target, the
/// embedded-text configuration, whose table checks the same rule): 1 to 64 ASCII letters,
/// digits, `_`, `.` or `-`.
pub(crate) fn is_attribute_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

/// Reads `--text-attribute` values, `key` or `key=Label` (`brand`, `color=Colour`), into the
/// attribute keys and labels the embedded text is to include.
pub fn text_attributes(specs: &[String]) -> Result<Vec<(String, Option<String>)>> {
    let mut pairs = Vec::new();
    for spec in specs.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let (key, label) = match spec.split_once('=') {
            Some((key, label)) => (key.trim(), Some(label.trim().to_string())),
            None => (spec, None),
        };
        if !is_attribute_name(key) {
            return Err(Error::invalid(
                "--text-attribute",
                format!("{key:?} must be 1 to 64 letters, digits, _ . or -"),
            ));
        }
        if label
            .as_ref()
            .is_some_and(|l| !(1..=64).contains(&l.chars().count()))
        {
            return Err(Error::invalid(
                "--text-attribute",
                format!("the label of {key} must be 1 to 64 characters"),
            ));
        }
        pairs.push((key.to_string(), label));
    }
    Ok(pairs)
}

/// Fails, before any row is read, when a header lacks what `required` names: each entry is one
/// field, or `a|b` for "one of these". The message lists the fields still unmapped and the
/// columns the file has.
pub(crate) fn require_columns(
    format: &str,
    header: &[String],
    map: &FieldMap,
    required: &[&str],
) -> Result<()> {
    let absent = map.absent_columns(header);
    if !absent.is_empty() {
        return Err(Error::invalid(
            "--map",
            format!(
                "names columns this file does not have: {}; its columns are: {}",
                absent.join(", "),
                listed(header)
            ),
        ));
    }
    let offered = map.mapped_header(header);
    let missing: Vec<String> = required
        .iter()
        .filter(|need| !need.split('|').any(|n| offered.iter().any(|o| o == n)))
        .map(|need| need.replace('|', " or "))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::invalid(
        "file",
        format!(
            "read as {format}, it has no column for {}. Map one with --map {}=COLUMN; the \
             file's columns are: {}",
            missing.join(", "),
            missing[0].split(' ').next().unwrap_or("field"),
            listed(header)
        ),
    ))
}

/// A header for a message: its first 24 names, and how many more there are.
fn listed(header: &[String]) -> String {
    const SHOWN: usize = 24;
    let mut text = header
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if header.len() > SHOWN {
        text.push_str(&format!(" (and {} more)", header.len() - SHOWN));
    }
    text
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn pairs_parse_from_flags_and_files() {
        let map = FieldMap::parse(
            "title=Name, price = Cost\n# a comment\ncategory=Dept",
            "--map",
        )
        .unwrap();
        assert_eq!(map.pairs.len(), 3);
        assert_eq!(map.pairs[1], ("price".into(), "Cost".into()));
        for bad in ["title", "title=", "=Name", "ti tle=Name", "title=A,title=B"] {
            assert!(FieldMap::parse(bad, "--map").is_err(), "{bad}");
        }
        assert!(FieldMap::parse("colour=Farbe", "--map").is_ok());
    }

    #[test]
    fn text_attributes_take_keys_and_labels() {
        let specs = ["brand", " color = Colour ", ""].map(String::from);
        assert_eq!(
            text_attributes(&specs).unwrap(),
            [
                ("brand".into(), None),
                ("color".into(), Some("Colour".into()))
            ]
        );
        for bad in ["br and", "brand=", &"k".repeat(65)] {
            assert!(text_attributes(&[bad.to_string()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn records_are_renamed_case_blind() {
        let map = FieldMap::parse("title=Name,price=cost", "--map").unwrap();
        let Value::Object(mut record) = json!({"name": "Mug", "Cost": "4", "title": "old"}) else {
            unreachable!()
        };
        map.apply(&mut record);
        assert_eq!(Value::Object(record), json!({"title": "Mug", "price": "4"}));
    }

    #[test]
    fn missing_required_columns_are_listed_with_the_columns_there_are() {
        let header: Vec<String> = ["name", "cost", "department"].map(String::from).to_vec();
        let map = FieldMap::parse("title=Name,price=Cost", "--map").unwrap();
        let err = require_columns(
            "giftvec CSV",
            &header,
            &map,
            &["id", "title", "category|type"],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("no column for id, category or type"), "{err}");
        assert!(err.contains("name, cost, department"), "{err}");
        let bad = FieldMap::parse("title=Label", "--map").unwrap();
        let err = require_columns("giftvec CSV", &header, &bad, &["id"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("Label"), "{err}");
    }
}
