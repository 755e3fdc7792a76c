//! A Google Merchant Center product (a TSV or CSV row, or an RSS / Atom item) in giftvec's
//! fields: category from `product_type` (else the text path of `google_product_category`),
//! price and currency from `34.00 USD` (the sale price while its window is open),
//! `availability` words to `in_stock`, `image_link` to `image_url`, HTML descriptions as text;
//! every other attribute (`link`, `brand`, `gtin`, `color`, `size`, `age_group`, `gender`, …)
//! is kept in `attributes`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::{Entry, keep_rest, take, take_all};
use crate::catalog::values::{
    availability, html_to_text, money, path_leaf, path_levels, sale_on, sale_window,
};

/// Maps one Merchant Center record (names lower-cased, without `g:`).
pub(crate) fn product(mut raw: Map<String, Value>, now: DateTime<Utc>) -> Entry {
    let mut out = Map::new();
    // Fields a --map already filled keep their values.
    for field in [
        "category",
        "in_stock",
        "currency",
        "tags",
        "sku",
        "image_url",
    ] {
        if let Some(value) = raw.remove(field) {
            out.insert(field.into(), value);
        }
    }
    let id = take(&mut raw, "id");
    let fault = |field, reason: String| Entry::Fault {
        field: Some(field),
        reason,
        id: id.clone(),
    };
    if let Some(id) = &id {
        out.insert("id".into(), json!(id));
    }
    if let Some(title) = take(&mut raw, "title") {
        out.insert("title".into(), json!(title));
    }
    if let Some(description) = take(&mut raw, "description") {
        out.insert("description".into(), json!(html_to_text(&description)));
    }
    if let Err((field, reason)) = price(&mut raw, &mut out, now) {
        return fault(field, reason);
    }
    if let Some(word) = take(&mut raw, "availability") {
        match availability(&word) {
            Some(stock) => {
                out.entry("in_stock").or_insert(json!(stock));
                out.insert("availability".into(), json!(word));
            }
            None => {
                return fault(
                    "availability",
                    format!("must be in_stock, out_of_stock, preorder or backorder, got {word:?}"),
                );
            }
        }
    }
    if let Err(reason) = category(&mut raw, &mut out) {
        return fault("category", reason);
    }
    if let Some(image) = take(&mut raw, "image_link") {
        out.entry("image_url").or_insert(json!(image));
    }
    let more = take_all(&mut raw, "additional_image_link", ',');
    if !more.is_empty() {
        out.insert("additional_image_links".into(), json!(more));
    }
    keep_rest(raw, &mut out);
    Entry::Record(out)
}

/// `price` and `sale_price` (`34.00 USD`), the sale price while `sale_price_effective_date`
/// allows; the regular price stays as `list_price` when a sale is on.
fn price(
    raw: &mut Map<String, Value>,
    out: &mut Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<(), (&'static str, String)> {
    let read = |field: &'static str, text: String| {
        money(&text).ok_or_else(|| {
            (
                field,
                format!("must be a price such as \"34.00 USD\", got {text:?}"),
            )
        })
    };
    let regular = take(raw, "price").map(|t| read("price", t)).transpose()?;
    let sale = take(raw, "sale_price")
        .map(|t| read("sale_price", t))
        .transpose()?;
    let window = take(raw, "sale_price_effective_date");
    let sale_is_on = window.as_deref().is_none_or(|w| {
        let (start, end) = sale_window(w);
        sale_on(start, end, now)
    });
    let (paid, list) = match (regular, sale) {
        (Some(regular), Some(sale)) if sale_is_on => (Some(sale), Some(regular)),
        (None, Some(sale)) if sale_is_on => (Some(sale), None),
        (regular, _) => (regular, None),
    };
    if let Some(paid) = paid {
        out.insert("price".into(), json!(paid.amount));
        if let Some(code) = paid.currency {
            out.entry("currency").or_insert(json!(code));
        }
    }
    if let Some(list) = list {
        out.insert("list_price".into(), json!(list.amount));
    }
    if let Some(window) = window {
        out.insert("sale_price_effective_date".into(), json!(window));
    }
    Ok(())
}

/// The category from the first `product_type` path (its other paths' leaves become tags), or
/// from `google_product_category` when it is a text path; both full paths are kept.
fn category(raw: &mut Map<String, Value>, out: &mut Map<String, Value>) -> Result<(), String> {
    let types = take_all(raw, "product_type", ',');
    let google = take(raw, "google_product_category");
    let leaf = types
        .first()
        .and_then(|t| path_leaf(t))
        .or_else(|| {
            google
                .as_deref()
                .filter(|g| !g.chars().all(|c| c.is_ascii_digit()))
                .and_then(path_leaf)
        })
        .map(String::from);
    let tags: Vec<String> = types
        .iter()
        .skip(1)
        .filter_map(|t| path_leaf(t))
        .filter(|t| Some(*t) != leaf.as_deref())
        .map(String::from)
        .collect();
    if !tags.is_empty() && !out.contains_key("tags") {
        out.insert("tags".into(), json!(tags));
    }
    match types.len() {
        0 => {}
        1 => {
            out.insert("product_type".into(), json!(types[0]));
        }
        _ => {
            out.insert("product_type".into(), json!(types));
        }
    }
    if let Some(google) = &google {
        out.insert("google_product_category".into(), json!(google));
    }
    match (leaf, out.contains_key("category")) {
        (_, true) => Ok(()),
        (Some(leaf), false) => {
            out.insert("category".into(), json!(leaf));
            Ok(())
        }
        (None, false) => Err(match google {
            Some(id) if path_levels(&id).len() == 1 => format!(
                "is required: product_type is empty and google_product_category is the \
                 numeric id {id}, which names no category in words; give product_type, or map \
                 a column with --map category=COLUMN"
            ),
            _ => "is required: product_type and google_product_category are both empty; \
                  give one, or map a column with --map category=COLUMN"
                .to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(value: Value) -> Entry {
        let Value::Object(raw) = value else {
            unreachable!()
        };
        let now = DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z")
            .unwrap()
            .to_utc();
        product(raw, now)
    }

    #[test]
    fn a_merchant_row_becomes_a_product() {
        let entry = map(json!({
            "id": "A1", "title": "Burr grinder", "description": "<p>Steel &amp; wood</p>",
            "price": "34.00 USD", "sale_price": "29.50 USD", "availability": "in stock",
            "product_type": "Kitchen > Coffee > Grinders, Gifts > For him",
            "google_product_category": "Home & Garden > Kitchen & Dining",
            "image_link": "https://shop.example/a.jpg", "brand": "Acme", "gtin": "",
        }));
        let Entry::Record(out) = entry else {
            panic!("{entry:?}")
        };
        assert_eq!(out["category"], "Grinders");
        assert_eq!(out["tags"], json!(["For him"]));
        assert_eq!(out["price"], 29.5);
        assert_eq!(out["list_price"], 34.0);
        assert_eq!(out["currency"], "USD");
        assert_eq!(out["in_stock"], true);
        assert_eq!(out["description"], "Steel & wood");
        assert_eq!(out["image_url"], "https://shop.example/a.jpg");
        assert_eq!(out["brand"], "Acme");
        assert!(!out.contains_key("gtin"));
        assert_eq!(
            out["product_type"],
            json!(["Kitchen > Coffee > Grinders", "Gifts > For him"])
        );
    }

    #[test]
    fn numeric_google_categories_and_bad_prices_are_named() {
        let numeric = map(json!({"id": "B", "title": "t", "price": "1 USD",
                                 "google_product_category": "2947"}));
        let Entry::Fault { field, reason, id } = numeric else {
            panic!()
        };
        assert_eq!((field, id.as_deref()), (Some("category"), Some("B")));
        assert!(reason.contains("2947"), "{reason}");
        let text = map(json!({"id": "C", "title": "t", "price": "1 USD",
                              "google_product_category": "Toys & Games > Puzzles"}));
        assert!(matches!(text, Entry::Record(ref r) if r["category"] == "Puzzles"));
        let Entry::Fault { field, .. } = map(json!({"id": "D", "price": "abc USD"})) else {
            panic!()
        };
        assert_eq!(field, Some("price"));
        let ended = map(
            json!({"id": "E", "title": "t", "price": "10 EUR", "sale_price": "5 EUR",
                               "sale_price_effective_date": "2026-11-01/2026-11-30",
                               "product_type": "X"}),
        );
        assert!(
            matches!(ended, Entry::Record(ref r) if r["price"] == 10.0 && !r.contains_key("list_price"))
        );
    }
}
