//! Shop feeds read into giftvec's fields: each reader turns a format's own records (a feed
//! row, a Shopify product's rows, a WooCommerce product and its variations) into one record
//! in giftvec's vocabulary, which `validate` then checks like any other.

pub(crate) mod merchant;
pub(crate) mod merchant_xml;
pub(crate) mod shopify;
pub(crate) mod woocommerce;

use serde_json::{Map, Value};

/// What one product of a feed became.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Entry {
    /// A record in giftvec's fields, still to be validated.
    Record(Map<String, Value>),
    /// A row that cannot be a product: the field at fault (when one is), the reason, and the
    /// product's id when the row has one (so `--prune` keeps the stored product).
    Fault {
        /// The field at fault.
        field: Option<&'static str>,
        /// Why.
        reason: String,
        /// The id the row carries.
        id: Option<String>,
    },
    /// A product the feed lists but does not offer for sale (a draft, a private product).
    Skipped {
        /// Its id.
        id: String,
        /// Why it is not imported.
        reason: String,
    },
}

impl Entry {
    /// A fault with no product id known.
    pub(crate) fn fault(field: Option<&'static str>, reason: impl Into<String>) -> Self {
        Entry::Fault {
            field,
            reason: reason.into(),
            id: None,
        }
    }
}

/// One variant a shopper can buy: what it costs now, its regular price when that is higher
/// (a sale, Shopify's compare-at price), and whether it is in stock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Offer {
    /// The price paid now.
    pub price: f64,
    /// The regular price, when above `price`.
    pub list: Option<f64>,
    /// Whether this variant can be bought now.
    pub in_stock: bool,
}

/// Writes a product's price fields from its variants' offers (at least one): `price` is the
/// lowest among the offers in stock (among all when none is), the price a shopper can pay
/// now; `price_max` the highest, when higher; `list_price` the regular price of the offer
/// chosen, when above it; `in_stock` whether any offer is.
pub(crate) fn write_offers(offers: &[Offer], record: &mut Map<String, Value>) {
    let in_stock = offers.iter().any(|o| o.in_stock);
    let Some(chosen) = offers
        .iter()
        .filter(|o| o.in_stock || !in_stock)
        .min_by(|a, b| a.price.total_cmp(&b.price))
    else {
        return;
    };
    let high = offers.iter().map(|o| o.price).fold(chosen.price, f64::max);
    record.insert("price".into(), serde_json::json!(chosen.price));
    if high > chosen.price {
        record.insert("price_max".into(), serde_json::json!(high));
    }
    if let Some(list) = chosen.list.filter(|l| *l > chosen.price) {
        record.insert("list_price".into(), serde_json::json!(list));
    }
    record.insert("in_stock".into(), serde_json::json!(in_stock));
}

/// A product's entry and the line it starts on.
pub(crate) type FeedRow = (u64, Entry);

/// The text of a field, trimmed; `None` when absent, empty or not text.
pub(crate) fn text(record: &Map<String, Value>, key: &str) -> Option<String> {
    match record.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Array(items)) => items.iter().find_map(|v| match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            _ => None,
        }),
        _ => None,
    }
}

/// Removes a field and returns its text (see [`text`]).
pub(crate) fn take(record: &mut Map<String, Value>, key: &str) -> Option<String> {
    let value = text(record, key);
    record.remove(key);
    value
}

/// Every text value of a field: an XML field given several times, or one cell of
/// `separator`-separated values.
pub(crate) fn take_all(record: &mut Map<String, Value>, key: &str, separator: char) -> Vec<String> {
    let values: Vec<String> = match record.remove(key) {
        Some(Value::String(s)) => vec![s],
        Some(Value::Array(items)) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    values
        .iter()
        .flat_map(|v| v.split(separator))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
        .collect()
}

/// An attribute key from a shop's label ("Colour", "Pack size (g)" → `colour`,
/// `pack_size_g`): lower-case letters and digits joined by `_`, at most 64 characters.
pub(crate) fn attribute_key(label: &str) -> String {
    let mut key = String::new();
    for c in label.trim().chars() {
        if c.is_alphanumeric() {
            key.extend(c.to_lowercase());
        } else if !key.ends_with('_') && !key.is_empty() {
            key.push('_');
        }
    }
    key.trim_end_matches('_').chars().take(64).collect()
}

/// Moves every non-empty field left in `from` into `to` under the same name, unless `to`
/// already has it.
pub(crate) fn keep_rest(from: Map<String, Value>, to: &mut Map<String, Value>) {
    for (key, value) in from {
        let empty = match &value {
            Value::Null => true,
            Value::String(s) => s.trim().is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
            _ => false,
        };
        if !empty && !key.is_empty() {
            to.entry(key).or_insert(value);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::catalog::parse::RawRow;

    /// A row read from a file, from a JSON object.
    pub(crate) fn row(line: u64, value: Value) -> RawRow {
        let Value::Object(map) = value else {
            unreachable!()
        };
        (line, Ok(map))
    }

    #[test]
    fn the_price_is_the_lowest_a_shopper_can_pay_now() {
        let offer = |price, list, in_stock| Offer {
            price,
            list,
            in_stock,
        };
        let mut record = Map::new();
        let offers = [
            offer(20.0, None, false),
            offer(25.0, Some(30.0), true),
            offer(25.0, None, false),
            offer(27.0, None, true),
        ];
        write_offers(&offers, &mut record);
        let out = Value::Object(record);
        assert_eq!(
            out,
            serde_json::json!({"price": 25.0, "price_max": 27.0, "list_price": 30.0, "in_stock": true})
        );
        let mut none_in_stock = Map::new();
        write_offers(
            &[offer(9.0, Some(8.0), false), offer(7.0, None, false)],
            &mut none_in_stock,
        );
        assert_eq!(
            Value::Object(none_in_stock),
            serde_json::json!({"price": 7.0, "price_max": 9.0, "in_stock": false})
        );
    }

    #[test]
    fn attribute_keys_are_plain() {
        assert_eq!(attribute_key("Colour"), "colour");
        assert_eq!(attribute_key(" Pack size (g) "), "pack_size_g");
        assert_eq!(attribute_key("Größe"), "größe");
    }
}
