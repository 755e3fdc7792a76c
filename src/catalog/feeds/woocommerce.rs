//! A WooCommerce product CSV export in giftvec's fields. Simple and external products are one
//! row each; a variable product's variations follow as `variation` rows whose `Parent` is
//! `id:<parent ID>` (or the parent's SKU) and fold into it: the lowest price, in stock if any
//! variation is. Unpublished products (drafts, private) and grouped products (their
//! children are products of their own) are skipped.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::{Entry, FeedRow, Offer, attribute_key, take, write_offers};
use crate::catalog::parse::RawRow;
use crate::catalog::values::{html_to_text, money, path_leaf, path_levels, sale_on};

/// A product row and the variations that name it as parent.
struct Product {
    line: u64,
    row: Map<String, Value>,
    variations: Vec<(u64, Map<String, Value>)>,
}

/// Folds the export's rows into one entry per product, in file order.
pub(crate) fn products(rows: impl Iterator<Item = RawRow>, now: DateTime<Utc>) -> Vec<FeedRow> {
    let mut out: Vec<FeedRow> = Vec::new();
    let mut products: Vec<Product> = Vec::new();
    let mut variations: Vec<(u64, Map<String, Value>)> = Vec::new();
    for (line, row) in rows {
        match row {
            Err(reason) => out.push((line, Entry::fault(None, reason))),
            Ok(row) if kind(&row).contains(&"variation") => variations.push((line, row)),
            Ok(row) => products.push(Product {
                line,
                row,
                variations: Vec::new(),
            }),
        }
    }
    let mut by_reference: HashMap<String, usize> = HashMap::new();
    for (at, product) in products.iter().enumerate() {
        if let Some(id) = super::text(&product.row, "id") {
            by_reference.insert(format!("id:{id}"), at);
        }
        if let Some(sku) = super::text(&product.row, "sku") {
            by_reference.entry(sku).or_insert(at);
        }
    }
    for (line, variation) in variations {
        let parent = super::text(&variation, "parent").unwrap_or_default();
        match by_reference.get(&parent) {
            Some(&at) => products[at].variations.push((line, variation)),
            None => out.push((
                line,
                Entry::fault(
                    Some("parent"),
                    format!("this variation's Parent {parent:?} is no product in the file"),
                ),
            )),
        }
    }
    for product in products {
        out.extend(fold(product, now));
    }
    out.sort_by_key(|(line, _)| *line);
    out
}

/// The words of `Type` (`simple`, `variable`, `variation`, `grouped`, `external`, possibly with
/// `virtual` or `downloadable`).
fn kind(row: &Map<String, Value>) -> Vec<&str> {
    match row.get("type") {
        Some(Value::String(t)) => t.split(',').map(str::trim).collect(),
        _ => Vec::new(),
    }
}

/// A row's offer: the sale price while its dates allow, else the regular price, and whether it
/// is in stock; `None` when the row has no price, `Err` with the reason when one cannot be read.
fn offer(row: &Map<String, Value>, now: DateTime<Utc>) -> Result<Option<Offer>, String> {
    let read = |key: &str| match super::text(row, key) {
        None => Ok(None),
        Some(text) => money(&text)
            .map(|m| Some(m.amount))
            .ok_or_else(|| format!("{key} must be a number such as 24.99, got {text:?}")),
    };
    let regular = read("regular price")?;
    let sale = read("sale price")?.filter(|_| {
        sale_on(
            super::text(row, "date sale price starts").as_deref(),
            super::text(row, "date sale price ends").as_deref(),
            now,
        )
    });
    let stock = super::text(row, "in stock?").map(|s| s.to_ascii_lowercase());
    let in_stock = match stock.as_deref() {
        None => true,
        Some(s) => matches!(s, "1" | "yes" | "true" | "instock"),
    };
    Ok(sale.or(regular).map(|price| Offer {
        price,
        list: regular.filter(|_| sale.is_some()),
        in_stock,
    }))
}

fn published(row: &Map<String, Value>) -> bool {
    super::text(row, "published").is_none_or(|p| p == "1")
}

fn fold(product: Product, now: DateTime<Utc>) -> Vec<FeedRow> {
    let Product {
        line,
        mut row,
        variations,
    } = product;
    let id = super::text(&row, "id").or_else(|| super::text(&row, "sku"));
    let fault = |line: u64, field: &'static str, reason: String| {
        (
            line,
            Entry::Fault {
                field: Some(field),
                reason,
                id: id.clone(),
            },
        )
    };
    let Some(product_id) = id.clone() else {
        return vec![fault(line, "id", "ID and SKU are both empty".into())];
    };
    let types = kind(&row).iter().map(|t| t.to_string()).collect::<Vec<_>>();
    let skipped = |reason: &str| {
        let id = product_id.clone();
        let reason = reason.to_string();
        vec![(line, Entry::Skipped { id, reason })]
    };
    if !published(&row) {
        return skipped("it is not published (Published is not 1)");
    }
    if types.iter().any(|t| t == "grouped") {
        return skipped("it is a grouped product; its children are imported on their own");
    }
    let mut out = Vec::new();
    let mut offers = Vec::new();
    if types.iter().any(|t| t == "variable") {
        for (vline, variation) in variations.iter().filter(|(_, v)| published(v)) {
            match offer(variation, now) {
                Ok(Some(o)) => offers.push(o),
                Ok(None) => out.push(fault(*vline, "price", "the variation has no price".into())),
                Err(reason) => out.push(fault(*vline, "price", reason)),
            }
        }
    }
    if offers.is_empty() {
        match offer(&row, now) {
            Ok(Some(o)) => offers.push(o),
            Ok(None) if out.is_empty() => {
                out.push(fault(
                    line,
                    "price",
                    "Regular price and Sale price are empty".into(),
                ));
                return out;
            }
            Ok(None) => return out,
            Err(reason) => {
                out.push(fault(line, "price", reason));
                return out;
            }
        }
    }
    let mut record = Map::new();
    record.insert("id".into(), json!(product_id));
    if let Some(sku) = take(&mut row, "sku") {
        record.insert("sku".into(), json!(sku));
    }
    record.insert("title".into(), json!(take(&mut row, "name")));
    let description = take(&mut row, "description").or_else(|| take(&mut row, "short description"));
    if let Some(description) = description {
        let description = description.replace("\\n", "\n");
        record.insert("description".into(), json!(html_to_text(&description)));
    }
    let paths = split_list(&take(&mut row, "categories").unwrap_or_default());
    let leaves: Vec<String> = paths
        .iter()
        .filter_map(|p| path_leaf(p))
        .map(String::from)
        .collect();
    let Some(category) = leaves.first().cloned() else {
        out.push(fault(
            line,
            "category",
            "is required: Categories is empty".into(),
        ));
        return out;
    };
    record.insert("category".into(), json!(category));
    let mut tags: Vec<String> = leaves
        .iter()
        .skip(1)
        .filter(|l| **l != category)
        .cloned()
        .collect();
    tags.extend(split_list(&take(&mut row, "tags").unwrap_or_default()));
    if !tags.is_empty() {
        record.insert("tags".into(), json!(tags));
    }
    if paths.iter().any(|p| path_levels(p).len() > 1) || paths.len() > 1 {
        record.insert("category_paths".into(), json!(paths));
    }
    write_offers(&offers, &mut record);
    if let Some(gtin) = take(&mut row, "gtin, upc, ean, or isbn") {
        record.insert("gtin".into(), json!(gtin));
    }
    let images = split_list(&take(&mut row, "images").unwrap_or_default());
    if let Some((first, more)) = images.split_first() {
        record.insert("image_url".into(), json!(first));
        if !more.is_empty() {
            record.insert("additional_image_links".into(), json!(more));
        }
    }
    if let Some(url) = take(&mut row, "external url") {
        record.insert("link".into(), json!(url));
    }
    for n in 1.. {
        let Some(name) = take(&mut row, &format!("attribute {n} name")) else {
            break;
        };
        let values =
            split_list(&take(&mut row, &format!("attribute {n} value(s)")).unwrap_or_default());
        if !values.is_empty() {
            record.insert(attribute_key(&name), json!(values));
        }
    }
    if let Some(brand) = take(&mut row, "brands").or_else(|| take(&mut row, "brand")) {
        record.insert("brand".into(), json!(brand));
    }
    if types.iter().any(|t| t == "variable") {
        record.insert("variants".into(), json!(offers.len()));
    }
    out.insert(0, (line, Entry::Record(record)));
    out
}

/// A WooCommerce list cell: values separated by commas, a literal comma written `\,`.
fn split_list(cell: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut chars = cell.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&',') => {
                current.push(',');
                chars.next();
            }
            ',' => items.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    items.push(current);
    items
        .into_iter()
        .map(|i| i.trim().to_string())
        .filter(|i| !i.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::row;
    use super::*;

    #[test]
    fn variations_fold_into_their_parent() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z")
            .unwrap()
            .to_utc();
        let rows = vec![
            row(
                2,
                json!({"id": "10", "type": "variable", "sku": "HOOD", "name": "Hoodie",
                "published": "1", "categories": "Clothing > Hoodies, Gifts",
                "tags": "warm, cotton", "description": "<p>Cosy\\nand warm</p>",
                "attribute 1 name": "Color", "attribute 1 value(s)": "Red, Blue",
                "images": "https://s.example/a.jpg, https://s.example/b.jpg"}),
            ),
            row(
                3,
                json!({"id": "11", "type": "variation", "parent": "id:10", "published": "1",
                "regular price": "45", "in stock?": "0"}),
            ),
            row(
                4,
                json!({"id": "12", "type": "variation", "parent": "HOOD", "published": "1",
                "regular price": "42", "sale price": "39.5", "in stock?": "1"}),
            ),
            row(
                5,
                json!({"id": "20", "type": "simple", "name": "Draft", "published": "0",
                "regular price": "5", "categories": "X"}),
            ),
            row(
                6,
                json!({"id": "30", "type": "variation", "parent": "id:99",
                "regular price": "5"}),
            ),
        ];
        let out = products(rows.into_iter(), now);
        let Entry::Record(hoodie) = &out[0].1 else {
            panic!("{out:?}")
        };
        assert_eq!(hoodie["category"], "Hoodies");
        assert_eq!(hoodie["tags"], json!(["Gifts", "warm", "cotton"]));
        assert_eq!(hoodie["price"], 39.5);
        assert_eq!(hoodie["price_max"], 45.0);
        assert_eq!(hoodie["list_price"], 42.0);
        assert_eq!(hoodie["in_stock"], true);
        assert_eq!(hoodie["color"], json!(["Red", "Blue"]));
        assert_eq!(hoodie["image_url"], "https://s.example/a.jpg");
        assert_eq!(hoodie["description"], "Cosy and warm");
        assert!(matches!(&out[1], (5, Entry::Skipped { .. })));
        assert!(matches!(
            &out[2],
            (
                6,
                Entry::Fault {
                    field: Some("parent"),
                    ..
                }
            )
        ));
        assert_eq!(split_list(r"a\, b, c"), vec!["a, b", "c"]);
    }
}
