//! Merchant Center XML feeds: RSS 2.0 `<item>`s or Atom `<entry>`s whose product attributes
//! are elements in the `g:` namespace (`http://base.google.com/ns/1.0`) beside the plain
//! `<title>`, `<link>` and `<description>`. Each item becomes one record keyed as a TSV
//! header would be; an attribute given twice becomes a list, one with sub-elements
//! (`<g:shipping><g:country>…`) an object.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use serde_json::{Map, Value};

use crate::catalog::format::normalise_name;
use crate::catalog::parse::RawRow;

/// The namespace of Merchant Center's product attributes.
const GOOGLE: &[u8] = b"http://base.google.com/ns/1.0";

/// One open element inside an item.
struct Open {
    key: String,
    google: bool,
    text: String,
    href: Option<String>,
    children: Map<String, Value>,
}

impl Open {
    fn value(self) -> Value {
        if !self.children.is_empty() {
            return Value::Object(self.children);
        }
        let text = self.text.trim();
        match self.href {
            Some(href) if text.is_empty() => Value::String(href),
            _ => Value::String(text.to_string()),
        }
    }
}

/// The item being read: its record, which keys a `g:` element set, and where it began.
struct Item {
    line: u64,
    record: Map<String, Value>,
    google_keys: Vec<String>,
    open: Vec<Open>,
}

impl Item {
    /// Files a finished element: into its parent element, or into the record where a `g:`
    /// attribute wins over a plain element of the same name (Atom's `<id>` against `<g:id>`).
    fn close(&mut self, element: Open) {
        let google = element.google;
        let key = element.key.clone();
        let value = element.value();
        if let Some(parent) = self.open.last_mut() {
            push(&mut parent.children, key, value);
            return;
        }
        let set_by_google = self.google_keys.contains(&key);
        match (google, set_by_google, self.record.contains_key(&key)) {
            (false, true, _) => {}
            (true, false, true) => {
                self.record.insert(key.clone(), value);
                self.google_keys.push(key);
            }
            (google, _, _) => {
                push(&mut self.record, key.clone(), value);
                if google {
                    self.google_keys.push(key);
                }
            }
        }
    }

    fn finish(mut self) -> RawRow {
        for alias in ["summary", "content"] {
            if !self.record.contains_key("description")
                && let Some(text) = self.record.remove(alias)
            {
                self.record.insert("description".into(), text);
            }
        }
        (self.line, Ok(self.record))
    }
}

/// Adds `value` under `key`, turning a repeated key into a list.
fn push(map: &mut Map<String, Value>, key: String, value: Value) {
    match map.get_mut(&key) {
        None => {
            map.insert(key, value);
        }
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

/// Counts lines up to a byte offset, moving forward only.
struct Lines<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
}

impl Lines<'_> {
    fn at(&mut self, offset: u64) -> u64 {
        let offset = (offset as usize).min(self.bytes.len());
        if offset > self.at {
            self.line += self.bytes[self.at..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            self.at = offset;
        }
        self.line
    }
}

/// Every item of the feed, with the line it starts on. A document that stops being
/// well-formed yields one error at that line and nothing after it.
pub(crate) fn items(bytes: &[u8]) -> Vec<RawRow> {
    let mut reader = NsReader::from_reader(bytes);
    let mut lines = Lines {
        bytes,
        at: 0,
        line: 1,
    };
    let mut out = Vec::new();
    let mut item: Option<Item> = None;
    loop {
        let start = reader.buffer_position();
        let (ns, event) = match reader.read_resolved_event() {
            Ok(pair) => pair,
            Err(err) => {
                let line = lines.at(reader.error_position());
                out.push((line, Err(format!("the XML is not well-formed here: {err}"))));
                return out;
            }
        };
        let google = matches!(ns, ResolveResult::Bound(n) if n.as_ref() == GOOGLE);
        match event {
            Event::Start(e) if item.is_none() => {
                if matches!(e.local_name().as_ref(), b"item" | b"entry") {
                    item = Some(Item {
                        line: lines.at(start),
                        record: Map::new(),
                        google_keys: Vec::new(),
                        open: Vec::new(),
                    });
                }
            }
            Event::Empty(e) if item.is_none() => {
                if matches!(e.local_name().as_ref(), b"item" | b"entry") {
                    out.push((lines.at(start), Ok(Map::new())));
                }
            }
            Event::Start(e) => {
                let current = item.as_mut().expect("inside an item");
                current.open.push(opened(&e, google));
            }
            Event::Empty(e) => {
                let current = item.as_mut().expect("inside an item");
                let element = opened(&e, google);
                current.close(element);
            }
            Event::End(_) => {
                if let Some(current) = item.as_mut() {
                    match current.open.pop() {
                        Some(element) => current.close(element),
                        None => out.push(item.take().expect("inside an item").finish()),
                    }
                }
            }
            Event::Text(t) => {
                if let Some(open) = item.as_mut().and_then(|i| i.open.last_mut()) {
                    open.text.push_str(&t.decode().unwrap_or_default());
                }
            }
            Event::CData(t) => {
                if let Some(open) = item.as_mut().and_then(|i| i.open.last_mut()) {
                    open.text.push_str(&t.decode().unwrap_or_default());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(open) = item.as_mut().and_then(|i| i.open.last_mut()) {
                    let name = r.decode().unwrap_or_default();
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => open.text.push(c),
                        _ => match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(text) => open.text.push_str(text),
                            // An HTML entity in an XML feed (`&eacute;`): left for the HTML
                            // reader of descriptions.
                            None => {
                                open.text.push('&');
                                open.text.push_str(&name);
                                open.text.push(';');
                            }
                        },
                    }
                }
            }
            Event::Eof => return out,
            _ => {}
        }
    }
}

fn opened(e: &quick_xml::events::BytesStart<'_>, google: bool) -> Open {
    let key = normalise_name(&String::from_utf8_lossy(e.local_name().as_ref()));
    let href = e
        .try_get_attribute("href")
        .ok()
        .flatten()
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()));
    Open {
        key,
        google,
        text: String::new(),
        href,
        children: Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rss_items_read_with_their_namespaced_attributes() {
        let feed = r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">
<channel><title>Shop</title><link>https://shop.example</link>
<item>
  <g:id>A1</g:id>
  <title>Mug &amp; saucer</title>
  <description><![CDATA[<p>Stoneware</p>]]></description>
  <g:price>12.00 USD</g:price>
  <g:product_type>Kitchen &gt; Mugs</g:product_type>
  <g:product_type>Gifts</g:product_type>
  <g:shipping><g:country>US</g:country><g:price>4.95 USD</g:price></g:shipping>
</item>
<item><g:id>A2</g:id><title>Caf&eacute;</title></item>
</channel></rss>"#;
        let items = items(feed.as_bytes());
        assert_eq!(items.len(), 2);
        let (line, first) = &items[0];
        assert_eq!(*line, 4);
        let first = first.as_ref().unwrap();
        assert_eq!(first["id"], "A1");
        assert_eq!(first["title"], "Mug & saucer");
        assert_eq!(first["description"], "<p>Stoneware</p>");
        assert_eq!(first["product_type"], json!(["Kitchen > Mugs", "Gifts"]));
        assert_eq!(
            first["shipping"],
            json!({"country": "US", "price": "4.95 USD"})
        );
        assert_eq!(items[1].1.as_ref().unwrap()["title"], "Caf&eacute;");
    }

    #[test]
    fn atom_entries_prefer_google_ids_and_take_link_hrefs() {
        let feed = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:g="http://base.google.com/ns/1.0">
<entry><id>tag:shop,2026:1</id><g:id>B1</g:id><title>Lamp</title>
<link href="https://shop.example/lamp"/><summary>Warm light</summary></entry></feed>"#;
        let items = items(feed.as_bytes());
        let record = items[0].1.as_ref().unwrap();
        assert_eq!(record["id"], "B1");
        assert_eq!(record["link"], "https://shop.example/lamp");
        assert_eq!(record["description"], "Warm light");
    }

    #[test]
    fn a_broken_document_reports_its_line_and_keeps_what_came_before() {
        let feed = "<rss xmlns:g=\"http://base.google.com/ns/1.0\"><channel>\n\
                    <item><g:id>1</g:id></item>\n<item><g:id>2</g:x></item>\n\
                    <item><g:id>3</g:id></item></channel></rss>";
        let items = items(feed.as_bytes());
        assert_eq!(items.len(), 2);
        assert!(items[0].1.is_ok());
        assert_eq!(items[1].0, 3);
        assert!(items[1].1.as_ref().unwrap_err().contains("not well-formed"));
    }
}
