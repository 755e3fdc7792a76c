//! A Shopify products CSV export in giftvec's fields. The export writes one row per variant
//! (and one per extra image) under the product's `Handle`; only the first row carries the
//! product's own columns. Variants fold into one product: the lowest price (the highest kept
//! as `price_max`), in stock if any variant is, the option values as attributes. Products
//! among the variants in stock (the highest kept as `price_max`), in stock if any variant is
//! (untracked, quantity above 0, or sold on when out), the option values as attributes. Both
//! the legacy header (`Handle`, `Variant Price`, …) and the current one (`URL handle`,
//! `Price`, …) are read. Products whose `Status` is not `active` (drafts, archived) are skipped, not imported.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::{Entry, FeedRow, Offer, attribute_key, take, take_all, write_offers};
use crate::catalog::parse::RawRow;
use crate::catalog::values::{html_to_text, money, path_leaf};

/// The current export's column names (2024 on) and the legacy names this reader keys by.
const CURRENT_NAMES: [(&str, &str); 13] = [
    ("url handle", "handle"),
    ("description", "body (html)"),
    ("published on online store", "published"),
    ("sku", "variant sku"),
    ("barcode", "variant barcode"),
    ("price", "variant price"),
    ("compare-at price", "variant compare at price"),
    ("inventory tracker", "variant inventory tracker"),
    ("inventory quantity", "variant inventory qty"),
    (
        "continue selling when out of stock",
        "variant inventory policy",
    ),
    ("product image url", "image src"),
    ("variant image url", "variant image"),
    ("weight value (grams)", "variant grams"),
];

/// Renames a current-header row's columns to the legacy names.
fn legacy_names(row: &mut Map<String, Value>) {
    for (current, legacy) in CURRENT_NAMES {
        if let Some(value) = row.remove(current) {
            row.entry(legacy).or_insert(value);
        }
    }
}

/// One handle's rows.
struct Group {
    handle: String,
    line: u64,
    product: Option<Map<String, Value>>,
    variants: Vec<(u64, Map<String, Value>)>,
    images: Vec<(i64, String)>,
}

/// Folds the export's rows into one entry per handle, in the order handles first appear;
/// unreadable rows are faults at their own lines.
pub(crate) fn products(rows: impl Iterator<Item = RawRow>) -> Vec<FeedRow> {
    let mut out: Vec<FeedRow> = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (line, row) in rows {
        let mut row = match row {
            Ok(row) => row,
            Err(reason) => {
                out.push((line, Entry::fault(None, reason)));
                continue;
            }
        };
        legacy_names(&mut row);
        let Some(handle) = take(&mut row, "handle") else {
            out.push((line, Entry::fault(Some("id"), "Handle is empty")));
            continue;
        };
        let at = *index.entry(handle.clone()).or_insert_with(|| {
            groups.push(Group {
                handle: handle.clone(),
                line,
                product: None,
                variants: Vec::new(),
                images: Vec::new(),
            });
            groups.len() - 1
        });
        let group = &mut groups[at];
        if let Some(src) = take(&mut row, "image src") {
            let position = take(&mut row, "image position")
                .and_then(|p| p.parse().ok())
                .unwrap_or(i64::MAX);
            group.images.push((position, src));
        }
        if ["variant price", "option1 value", "variant sku"]
            .iter()
            .any(|k| super::text(&row, k).is_some())
        {
            group.variants.push((line, row.clone()));
        }
        if group.product.is_none() && super::text(&row, "title").is_some() {
            group.product = Some(row);
        }
    }
    for group in groups {
        out.extend(fold(group));
    }
    out.sort_by_key(|(line, _)| *line);
    out
}

/// One product from its rows, plus a fault for each variant that could not be read.
fn fold(group: Group) -> Vec<FeedRow> {
    let id = group.handle.clone();
    let fault = |line: u64, field: &'static str, reason: String| {
        (
            line,
            Entry::Fault {
                field: Some(field),
                reason,
                id: Some(id.clone()),
            },
        )
    };
    let Some(mut product) = group.product else {
        let reason = format!(
            "no row of handle {:?} has a Title (the product's first row carries it)",
            group.handle
        );
        return vec![fault(group.line, "title", reason)];
    };
    let status = take(&mut product, "status").map(|s| s.to_ascii_lowercase());
    let published = take(&mut product, "published").map(|s| s.to_ascii_lowercase());
    if let Some(status) = status.filter(|s| s != "active") {
        let skipped = Entry::Skipped {
            id,
            reason: format!("its Status is {status}"),
        };
        return vec![(group.line, skipped)];
    }
    if published.as_deref() == Some("false") {
        let skipped = Entry::Skipped {
            id,
            reason: "it is not published (Published is FALSE)".into(),
        };
        return vec![(group.line, skipped)];
    }
    let mut out = Vec::new();
    let mut offers: Vec<Offer> = Vec::new();
    for (line, variant) in &group.variants {
        let Some(text) = super::text(variant, "variant price") else {
            out.push(fault(*line, "price", "Variant Price is empty".into()));
            continue;
        };
        let Some(price) = money(&text) else {
            let reason = format!("Variant Price must be a number such as 24.99, got {text:?}");
            out.push(fault(*line, "price", reason));
            continue;
        };
        let compare = super::text(variant, "variant compare at price")
            .and_then(|t| money(&t))
            .map(|m| m.amount);
        let tracked = super::text(variant, "variant inventory tracker").is_some();
        let quantity = super::text(variant, "variant inventory qty")
            .and_then(|q| q.parse::<f64>().ok())
            .unwrap_or(0.0);
        let oversold = super::text(variant, "variant inventory policy")
            .is_some_and(|p| p.eq_ignore_ascii_case("continue") || p.eq_ignore_ascii_case("true"));
        offers.push(Offer {
            price: price.amount,
            list: compare,
            in_stock: !tracked || quantity > 0.0 || oversold,
        });
    }
    if offers.is_empty() {
        if out.is_empty() {
            out.push(fault(
                group.line,
                "price",
                "the product has no variant with a Variant Price".into(),
            ));
        }
        return out;
    }
    let mut record = Map::new();
    record.insert("id".into(), json!(id));
    record.insert("title".into(), json!(take(&mut product, "title")));
    if let Some(body) = take(&mut product, "body (html)") {
        record.insert("description".into(), json!(html_to_text(&body)));
    }
    let kind = take(&mut product, "type");
    let taxonomy = take(&mut product, "product category");
    let category = kind
        .clone()
        .or_else(|| taxonomy.as_deref().and_then(path_leaf).map(String::from));
    match category {
        Some(category) => record.insert("category".into(), json!(category)),
        None => {
            let reason = "is required: Type and Product Category are both empty".into();
            out.push(fault(group.line, "category", reason));
            return out;
        }
    };
    let tags = take_all(&mut product, "tags", ',');
    if !tags.is_empty() {
        record.insert("tags".into(), json!(tags));
    }
    write_offers(&offers, &mut record);
    attributes(&mut product, &group.variants, group.images, &mut record);
    if let Some(kind) = kind {
        record.insert("product_type".into(), json!(kind));
    }
    if let Some(taxonomy) = taxonomy {
        record.insert("product_category".into(), json!(taxonomy));
    }
    out.insert(0, (group.line, Entry::Record(record)));
    out
}

/// Vendor, images, option values, and the single variant's SKU and barcode.
fn attributes(
    product: &mut Map<String, Value>,
    variants: &[(u64, Map<String, Value>)],
    mut images: Vec<(i64, String)>,
    record: &mut Map<String, Value>,
) {
    if let Some(vendor) = take(product, "vendor") {
        record.insert("brand".into(), json!(vendor));
    }
    images.sort_by_key(|(position, _)| *position);
    let mut urls = images.into_iter().map(|(_, url)| url);
    if let Some(first) = urls.next() {
        record.insert("image_url".into(), json!(first));
    }
    let more: Vec<String> = urls.collect();
    if !more.is_empty() {
        record.insert("additional_image_links".into(), json!(more));
    }
    for n in 1..=3 {
        let Some(name) = super::text(product, &format!("option{n} name")) else {
            continue;
        };
        let mut values: Vec<String> = Vec::new();
        for (_, variant) in variants {
            if let Some(value) = super::text(variant, &format!("option{n} value"))
                && !values.contains(&value)
            {
                values.push(value);
            }
        }
        let placeholder = name == "Title" && values == ["Default Title"];
        if !values.is_empty() && !placeholder {
            record.insert(attribute_key(&name), json!(values));
        }
    }
    if let [(_, only)] = variants {
        if let Some(sku) = super::text(only, "variant sku") {
            record.insert("sku".into(), json!(sku));
        }
        if let Some(barcode) = super::text(only, "variant barcode") {
            record.insert("gtin".into(), json!(barcode));
        }
    }
    record.insert("variants".into(), json!(variants.len()));
    if take(product, "gift card").is_some_and(|g| g.eq_ignore_ascii_case("true")) {
        record.insert("gift_card".into(), json!(true));
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::row;
    use super::*;

    #[test]
    fn variants_fold_into_one_product() {
        let rows = vec![
            row(
                2,
                json!({"handle": "tee", "title": "Tee", "body (html)": "<b>Soft</b>",
                "vendor": "Acme", "type": "Shirts", "tags": "cotton, gift", "status": "active",
                "option1 name": "Size", "option1 value": "S", "variant price": "22.00",
                "variant inventory tracker": "shopify", "variant inventory qty": "0",
                "image src": "https://cdn.example/1.jpg", "image position": "1"}),
            ),
            row(
                3,
                json!({"handle": "tee", "option1 value": "M", "variant price": "20.00",
                "variant inventory tracker": "shopify", "variant inventory qty": "0"}),
            ),
            row(
                4,
                json!({"handle": "tee", "option1 value": "L", "variant price": "25.00",
                "variant inventory tracker": "shopify", "variant inventory qty": "3"}),
            ),
            row(
                5,
                json!({"handle": "tee", "image src": "https://cdn.example/2.jpg",
                "image position": "2"}),
            ),
            row(
                6,
                json!({"handle": "draft", "title": "Draft", "status": "draft",
                "variant price": "1"}),
            ),
            row(
                7,
                json!({"handle": "bad", "title": "Bad", "type": "T", "variant price": "x"}),
            ),
        ];
        let out = products(rows.into_iter());
        let Entry::Record(tee) = &out[0].1 else {
            panic!("{out:?}")
        };
        assert_eq!(out[0].0, 2);
        // Only L (25.00) is in stock: that is the price a shopper can pay now.
        assert_eq!(tee["price"], 25.0);
        assert!(!tee.contains_key("price_max"));
        assert_eq!(tee["in_stock"], true);
        assert_eq!(tee["size"], json!(["S", "M", "L"]));
        assert_eq!(tee["image_url"], "https://cdn.example/1.jpg");
        assert_eq!(
            tee["additional_image_links"],
            json!(["https://cdn.example/2.jpg"])
        );
        assert_eq!(tee["tags"], json!(["cotton", "gift"]));
        assert_eq!(tee["description"], "Soft");
        assert!(matches!(&out[1].1, Entry::Skipped { id, .. } if id == "draft"));
        assert!(
            matches!(&out[2], (7, Entry::Fault { field: Some("price"), id: Some(id), .. }) if id == "bad")
        );
    }
}
