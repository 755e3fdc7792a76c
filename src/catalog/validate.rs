//! Turning a loosely typed record into a [`NewProduct`], or the first reason it cannot be one.
//! The limits mirror the CHECK constraints of the `products` table, so a row that passes here
//! is one the database accepts.

use serde_json::{Map, Value};

use super::values::{availability, money};
use crate::store::NewProduct;

/// Size limits for product fields (in characters unless noted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits;

impl Limits {
    /// `id` and `sku`.
    pub const ID: usize = 128;
    /// `title`.
    pub const TITLE: usize = 300;
    /// `description`.
    pub const DESCRIPTION: usize = 20_000;
    /// `category`.
    pub const CATEGORY: usize = 100;
    /// Number of tags.
    pub const TAGS: usize = 50;
    /// One tag.
    pub const TAG: usize = 100;
    /// `attributes`, serialised JSON, in bytes.
    pub const ATTRIBUTES_BYTES: usize = 64 * 1024;
    /// Highest price `numeric(12, 2)` holds.
    pub const MAX_PRICE: f64 = 9_999_999_999.99;
}

/// giftvec's own product fields; any other field of a record is an attribute.
pub(crate) const KNOWN: [&str; 10] = [
    "id",
    "sku",
    "title",
    "description",
    "category",
    "tags",
    "price",
    "currency",
    "in_stock",
    "attributes",
];

/// A field that failed, and why.
pub(crate) type FieldError = (&'static str, String);

/// Validates one record; `default_currency` fills a missing `currency`.
pub fn validate(
    mut record: Map<String, Value>,
    default_currency: &str,
) -> Result<NewProduct, (&'static str, String)> {
    let id = required_text(&mut record, "id", Limits::ID)?;
    let title = required_text(&mut record, "title", Limits::TITLE)?;
    let category = required_text(&mut record, "category", Limits::CATEGORY)?;
    let sku = optional_text(&mut record, "sku", Limits::ID)?;
    let description =
        optional_text(&mut record, "description", Limits::DESCRIPTION)?.unwrap_or_default();
    let tags = tags(record.remove("tags"))?;
    let (price, price_currency) = price(record.remove("price"))?;
    let currency = currency(record.remove("currency"), price_currency, default_currency)?;
    let in_stock = in_stock(record.remove("in_stock"))?;
    let attributes = attributes(record)?;
    Ok(NewProduct {
        id,
        sku,
        title,
        description,
        category,
        tags,
        price,
        currency,
        in_stock,
        attributes,
    })
}

fn text(value: Value, field: &'static str, limit: usize) -> Result<Option<String>, FieldError> {
    let text = match value {
        Value::Null => return Ok(None),
        Value::String(s) => s,
        Value::Number(n) if field == "id" || field == "sku" => n.to_string(),
        other => return Err((field, format!("must be text, got {}", kind(&other)))),
    };
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.contains('\0') {
        return Err((field, "contains a NUL character".into()));
    }
    let chars = text.chars().count();
    if chars > limit {
        return Err((
            field,
            format!("is {chars} characters long; the limit is {limit}"),
        ));
    }
    Ok(Some(text.to_string()))
}

fn required_text(
    record: &mut Map<String, Value>,
    field: &'static str,
    limit: usize,
) -> Result<String, FieldError> {
    text(record.remove(field).unwrap_or(Value::Null), field, limit)?
        .ok_or_else(|| (field, "is required and must not be empty".to_string()))
}

fn optional_text(
    record: &mut Map<String, Value>,
    field: &'static str,
    limit: usize,
) -> Result<Option<String>, FieldError> {
    text(record.remove(field).unwrap_or(Value::Null), field, limit)
}

fn tags(value: Option<Value>) -> Result<Vec<String>, FieldError> {
    let items: Vec<Value> = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(Value::String(s)) if s.trim_start().starts_with('[') => {
            match serde_json::from_str::<Vec<Value>>(&s) {
                Ok(items) => items,
                Err(_) => {
                    return Err(("tags", "looks like a JSON array but does not parse".into()));
                }
            }
        }
        Some(Value::String(s)) => s.split('|').map(|t| Value::String(t.into())).collect(),
        Some(other) => {
            return Err((
                "tags",
                format!("must be a list of text, got {}", kind(&other)),
            ));
        }
    };
    let mut tags: Vec<String> = Vec::new();
    for item in items {
        if let Some(tag) = text(item, "tags", Limits::TAG)?
            && !tags.iter().any(|t| t.eq_ignore_ascii_case(&tag))
        {
            tags.push(tag);
        }
    }
    if tags.len() > Limits::TAGS {
        return Err((
            "tags",
            format!("has {} tags; the limit is {}", tags.len(), Limits::TAGS),
        ));
    }
    Ok(tags)
}

/// The price, and the currency its text names (`"34.00 USD"`), if it names one.
fn price(value: Option<Value>) -> Result<(f64, Option<String>), FieldError> {
    let (price, code) = match value {
        Some(Value::Number(n)) => (n.as_f64(), None),
        Some(Value::String(s)) => match s.trim().parse::<f64>() {
            Ok(number) => (Some(number), None),
            Err(_) => match money(&s) {
                Some(m) => (Some(m.amount), m.currency),
                None => (None, None),
            },
        },
        None | Some(Value::Null) => return Err(("price", "is required".into())),
        Some(other) => return Err(("price", format!("must be a number, got {}", kind(&other)))),
    };
    let price = price.ok_or_else(|| {
        (
            "price",
            "must be a number such as 24.99 (or a price such as \"24.99 USD\")".to_string(),
        )
    })?;
    if !price.is_finite() || !(0.0..=Limits::MAX_PRICE).contains(&price) {
        return Err((
            "price",
            format!("must be between 0 and {}, got {price}", Limits::MAX_PRICE),
        ));
    }
    Ok(((price * 100.0).round() / 100.0, code))
}

fn currency(
    value: Option<Value>,
    from_price: Option<String>,
    default: &str,
) -> Result<String, FieldError> {
    let code = match (
        text(value.unwrap_or(Value::Null), "currency", 3)?,
        from_price,
    ) {
        (Some(code), Some(priced)) if !code.eq_ignore_ascii_case(&priced) => {
            return Err((
                "currency",
                format!("is {code} but the price is written in {priced}"),
            ));
        }
        (Some(code), _) => code.to_ascii_uppercase(),
        (None, Some(priced)) => priced,
        (None, None) => return Ok(default.to_string()),
    };
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err((
            "currency",
            format!("must be a three-letter ISO 4217 code such as EUR, got {code:?}"),
        ))
    }
}

fn in_stock(value: Option<Value>) -> Result<bool, FieldError> {
    match value {
        None | Some(Value::Null) => Ok(true),
        Some(Value::Bool(b)) => Ok(b),
        Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(false),
        Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(true),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "y" => Ok(true),
            "false" | "no" | "0" | "n" => Ok(false),
            word => availability(word).ok_or_else(|| {
                (
                    "in_stock",
                    format!("must be true or false (or in stock / out of stock), got {s:?}"),
                )
            }),
        },
        Some(other) => Err((
            "in_stock",
            format!("must be true or false, got {}", kind(&other)),
        )),
    }
}

/// `attributes` (an object, or in CSV its JSON text) plus every field giftvec does not know.
fn attributes(mut record: Map<String, Value>) -> Result<Value, FieldError> {
    let mut attributes = match record.remove("attributes") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map,
        Some(Value::String(s)) if s.trim().is_empty() => Map::new(),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(Value::Object(map)) => map,
            _ => return Err(("attributes", "must be a JSON object".into())),
        },
        Some(other) => {
            return Err((
                "attributes",
                format!("must be a JSON object, got {}", kind(&other)),
            ));
        }
    };
    for (key, value) in record {
        if !KNOWN.contains(&key.as_str()) {
            attributes.entry(key).or_insert(value);
        }
    }
    let value = Value::Object(attributes);
    let size = value.to_string().len();
    if size > Limits::ATTRIBUTES_BYTES {
        return Err((
            "attributes",
            format!(
                "is {size} bytes of JSON; the limit is {}",
                Limits::ATTRIBUTES_BYTES
            ),
        ));
    }
    if value.to_string().contains("\\u0000") {
        return Err(("attributes", "contains a NUL character".into()));
    }
    Ok(value)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(value: Value) -> Result<NewProduct, (&'static str, String)> {
        let Value::Object(map) = value else { panic!() };
        validate(map, "USD")
    }

    #[test]
    fn a_full_row_is_normalised() {
        let p = check(
            json!({"id": " p1 ", "title": "Mug", "category": "Coffee", "price": "12.345",
            "tags": "coffee| Mug |mug", "currency": "eur", "in_stock": "no", "brand": "Acme"}),
        )
        .unwrap();
        assert_eq!(p.id, "p1");
        assert_eq!(p.price, 12.35);
        assert_eq!(p.tags, vec!["coffee", "Mug"]);
        assert_eq!(p.currency, "EUR");
        assert!(!p.in_stock);
        assert_eq!(p.attributes, json!({"brand": "Acme"}));
    }

    #[test]
    fn each_bad_field_is_named_with_its_limit() {
        let base = json!({"id": "p", "title": "t", "category": "c", "price": 1});
        let with = |key: &str, value: Value| {
            let mut v = base.clone();
            v[key] = value;
            check(v).unwrap_err()
        };
        assert_eq!(with("title", json!("")).0, "title");
        let long = with("description", json!("x".repeat(1 << 20)));
        assert_eq!(long.0, "description");
        assert!(
            long.1.contains("1048576") && long.1.contains("20000"),
            "{}",
            long.1
        );
        assert_eq!(with("price", json!(-1)).0, "price");
        assert_eq!(with("price", json!("12 dollars")).0, "price");
        let priced = |price: &str, currency: Option<&str>| {
            let mut v = base.clone();
            v["price"] = json!(price);
            if let Some(c) = currency {
                v["currency"] = json!(c);
            }
            check(v).map(|p| (p.price, p.currency))
        };
        assert_eq!(priced("34.00 GBP", None), Ok((34.0, "GBP".into())));
        assert_eq!(priced("34.00 GBP", Some("gbp")), Ok((34.0, "GBP".into())));
        assert_eq!(priced("34.00 GBP", Some("EUR")).unwrap_err().0, "currency");
        let mut sold_out = base.clone();
        sold_out["in_stock"] = json!("out of stock");
        assert!(!check(sold_out).unwrap().in_stock);
        assert_eq!(with("price", json!("cheap")).0, "price");
        assert_eq!(with("price", json!(1e12)).0, "price");
        assert_eq!(with("currency", json!("euro")).0, "currency");
        assert_eq!(with("tags", json!(7)).0, "tags");
        assert_eq!(with("in_stock", json!("maybe")).0, "in_stock");
        assert_eq!(with("attributes", json!([1])).0, "attributes");
        assert_eq!(with("title", json!("a\0b")).0, "title");
        assert_eq!(
            check(json!({"title": "t", "category": "c", "price": 1}))
                .unwrap_err()
                .0,
            "id"
        );
    }

    #[test]
    fn sql_looking_text_is_just_text() {
        let p = check(
            json!({"id": "x'; DROP TABLE products; --", "title": "Robert'); --",
            "category": "c", "price": 1}),
        )
        .unwrap();
        assert_eq!(p.id, "x'; DROP TABLE products; --");
    }
}
