//! Reading a file's products, whatever its format, into entries in giftvec's fields.

use std::io::Read;

use chrono::Utc;
use serde_json::Value;

use super::feeds::{self, Entry, FeedRow};
use super::format::{Format, Layout};
use super::mapping::{FieldMap, require_columns};
use super::parse::{RawRecord, csv_rows, jsonl_rows};
use super::values::html_to_text;
use crate::{Error, Result};

/// The file's products as entries in giftvec's fields, whatever the format.
pub(crate) fn entries<R: Read + 'static>(
    format: Format,
    layout: Layout,
    mut reader: R,
    map: &FieldMap,
) -> Result<Box<dyn Iterator<Item = FeedRow>>> {
    let now = Utc::now();
    let own = {
        let map = map.clone();
        move |(line, record): (u64, RawRecord)| (line, own_entry(record, &map))
    };
    if matches!(format, Format::Shopify | Format::Woocommerce) && !map.is_empty() {
        return Err(Error::invalid(
            "--map",
            format!(
                "applies to giftvec's own CSV and JSON Lines and to Merchant Center feeds; a {} \
                 export is read by its own column names",
                format.name()
            ),
        ));
    }
    let delimiter = match layout {
        Layout::Delimited(d) => d,
        _ => b',',
    };
    let delimited = |reader: R, delimiter: u8| {
        csv_rows(reader, delimiter).map_err(|e| Error::invalid("file", e))
    };
    Ok(match (format, layout) {
        (Format::Jsonl, _) => Box::new(jsonl_rows(reader).map(own)),
        (_, Layout::Xml) => {
            let mut bytes = Vec::new();
            reader
                .read_to_end(&mut bytes)
                .map_err(|err| Error::invalid("file", format!("cannot read the file: {err}")))?;
            let map = map.clone();
            let items = feeds::merchant_xml::items(&bytes);
            Box::new(
                items
                    .into_iter()
                    .map(move |(line, item)| (line, merchant_entry(item, &map, now))),
            )
        }
        (Format::Csv, _) => {
            let (header, rows) = delimited(reader, delimiter)?;
            require_columns(
                "giftvec CSV",
                &header,
                map,
                &["id", "title", "category", "price"],
            )?;
            Box::new(rows.map(own))
        }
        (Format::GoogleMerchant, _) => {
            let (header, rows) = delimited(reader, delimiter)?;
            let required = ["id", "title", "price|sale_price"];
            require_columns("a Merchant Center feed", &header, map, &required)?;
            let map = map.clone();
            Box::new(rows.map(move |(line, row)| (line, merchant_entry(row, &map, now))))
        }
        (Format::Shopify, _) => {
            let (header, rows) = delimited(reader, delimiter)?;
            let required = ["handle|url handle", "title", "variant price|price"];
            require_columns("a Shopify export", &header, map, &required)?;
            Box::new(feeds::shopify::products(rows).into_iter())
        }
        (Format::Woocommerce, _) => {
            let (header, rows) = delimited(reader, delimiter)?;
            let required = ["id|sku", "name", "regular price|sale price"];
            require_columns("a WooCommerce export", &header, map, &required)?;
            Box::new(feeds::woocommerce::products(rows, now).into_iter())
        }
    })
}

/// A record of giftvec's own format, mapped, its HTML description rendered as text.
fn own_entry(record: RawRecord, map: &FieldMap) -> Entry {
    match record {
        Err(reason) => Entry::fault(None, reason),
        Ok(mut record) => {
            map.apply(&mut record);
            if let Some(Value::String(description)) = record.get_mut("description")
                && let std::borrow::Cow::Owned(text) = html_to_text(description)
            {
                *description = text;
            }
            Entry::Record(record)
        }
    }
}

fn merchant_entry(record: RawRecord, map: &FieldMap, now: chrono::DateTime<Utc>) -> Entry {
    match record {
        Err(reason) => Entry::fault(None, reason),
        Ok(mut record) => {
            map.apply(&mut record);
            feeds::merchant::product(record, now)
        }
    }
}
