//! Which kind of catalog file this is: giftvec's own JSON Lines or CSV, or a feed a shop
//! already has (Google Merchant Center, Shopify, WooCommerce), named on the command line or
//! told from the file's first bytes.

use std::path::Path;

/// Catalog file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// giftvec's own fields, one JSON object per line.
    Jsonl,
    /// giftvec's own fields, comma- (or tab- or semicolon-) separated with a header row.
    Csv,
    /// A Google Merchant Center product feed: TSV, CSV, or RSS 2.0 / Atom XML with the `g:`
    /// namespace.
    GoogleMerchant,
    /// A Shopify products CSV export (one product per `Handle`, variants folded).
    Shopify,
    /// A WooCommerce product CSV export (variations folded into their parent).
    Woocommerce,
}

impl Format {
    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::GoogleMerchant => "google-merchant",
            Format::Shopify => "shopify",
            Format::Woocommerce => "woocommerce",
        }
    }
}

/// How the records are laid out in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// One JSON object per line.
    Jsonl,
    /// A header row and delimited rows (the delimiter byte).
    Delimited(u8),
    /// An XML document.
    Xml,
}

/// The format and layout of a file from `forced` (the `--format` flag) or else its start.
pub(crate) fn detect(
    path: &Path,
    head: &[u8],
    forced: Option<Format>,
) -> Result<(Format, Layout), String> {
    let start = content_start(head);
    let layout = if start.starts_with(b"<") {
        Layout::Xml
    } else if start.starts_with(b"{") || is_json_lines_name(path) {
        Layout::Jsonl
    } else {
        Layout::Delimited(delimiter(first_line(start)))
    };
    let format = match (forced, layout) {
        (Some(format), _) => format,
        (None, Layout::Jsonl) => Format::Jsonl,
        (None, Layout::Xml) => Format::GoogleMerchant,
        (None, Layout::Delimited(d)) => from_header(&header_names(first_line(start), d)),
    };
    match (format, layout) {
        (Format::GoogleMerchant, _) | (Format::Jsonl, Layout::Jsonl) => Ok((format, layout)),
        (_, Layout::Xml) => Err(format!(
            "{} is XML, which is read only as a Google Merchant Center feed (--format \
             google-merchant)",
            path.display()
        )),
        (Format::Jsonl, _) => Err(format!(
            "{} does not start with a JSON object; drop --format jsonl or give a JSON Lines file",
            path.display()
        )),
        (_, Layout::Jsonl) => Err(format!(
            "{} holds JSON Lines, not {}; use --format jsonl",
            path.display(),
            format.name()
        )),
        _ => Ok((format, layout)),
    }
}

/// What a delimited file's header says it is. giftvec's own CSV has a `category` column,
/// which none of the shop exports has.
fn from_header(names: &[String]) -> Format {
    let has = |name: &str| names.iter().any(|n| n == name);
    if has("handle") && (has("variant price") || has("body (html)"))
        || has("url handle") && has("title")
    {
        Format::Shopify
    } else if has("regular price") && has("name") && (has("type") || has("parent")) {
        Format::Woocommerce
    } else if !has("category")
        && has("id")
        && has("title")
        && [
            "availability",
            "image_link",
            "link",
            "google_product_category",
            "product_type",
            "sale_price",
        ]
        .iter()
        .any(|n| has(n))
    {
        Format::GoogleMerchant
    } else {
        Format::Csv
    }
}

/// The file past a UTF-8 byte-order mark and leading white space.
fn content_start(head: &[u8]) -> &[u8] {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let skip = head.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &head[skip..]
}

fn first_line(start: &[u8]) -> &[u8] {
    let end = start
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(start.len());
    &start[..end]
}

fn is_json_lines_name(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        ["jsonl", "ndjson", "json"]
            .iter()
            .any(|x| e.eq_ignore_ascii_case(x))
    })
}

/// The separator a header row uses most outside quotes: tab, comma or semicolon.
fn delimiter(line: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in line {
        match b {
            b'"' => quoted = !quoted,
            b'\t' if !quoted => counts[0] += 1,
            b',' if !quoted => counts[1] += 1,
            b';' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], i == 1)).unwrap_or(1);
    [b'\t', b',', b';'][best]
}

/// Header names as the readers key records: trimmed, unquoted, lower-cased, without a `g:`
/// prefix.
pub(crate) fn header_names(line: &[u8], delimiter: u8) -> Vec<String> {
    String::from_utf8_lossy(line)
        .trim_end_matches('\r')
        .split(delimiter as char)
        .map(normalise_name)
        .collect()
}

/// A column or element name as records key it.
pub(crate) fn normalise_name(name: &str) -> String {
    let name = name
        .trim_start_matches('\u{feff}')
        .trim()
        .trim_matches('"')
        .trim()
        .to_lowercase();
    match name.strip_prefix("g:") {
        Some(rest) => rest.to_string(),
        None => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guess(name: &str, head: &str) -> Result<(Format, Layout), String> {
        detect(Path::new(name), head.as_bytes(), None)
    }

    #[test]
    fn formats_are_told_from_the_first_bytes() {
        let cases = [
            ("a.jsonl", "{\"id\":1}\n", Format::Jsonl, Layout::Jsonl),
            (
                "a.txt",
                "\u{feff}  <?xml version=\"1.0\"?><rss>",
                Format::GoogleMerchant,
                Layout::Xml,
            ),
            (
                "a.tsv",
                "id\ttitle\tprice\tavailability\n",
                Format::GoogleMerchant,
                Layout::Delimited(b'\t'),
            ),
            (
                "a.csv",
                "g:id,g:title,g:price,g:image_link\n",
                Format::GoogleMerchant,
                Layout::Delimited(b','),
            ),
            (
                "a.csv",
                "Handle,Title,Body (HTML),Variant Price\n",
                Format::Shopify,
                Layout::Delimited(b','),
            ),
            (
                "a.csv",
                "Title,URL handle,Description,Price\n",
                Format::Shopify,
                Layout::Delimited(b','),
            ),
            (
                "a.csv",
                "ID,Type,SKU,Name,\"Regular price\"\n",
                Format::Woocommerce,
                Layout::Delimited(b','),
            ),
            (
                "a.csv",
                "id;title;category;price\n",
                Format::Csv,
                Layout::Delimited(b';'),
            ),
            (
                "a.csv",
                "id,title,category,price,link\n",
                Format::Csv,
                Layout::Delimited(b','),
            ),
            ("a.csv", "Name,Cost\n", Format::Csv, Layout::Delimited(b',')),
        ];
        for (name, head, format, layout) in cases {
            assert_eq!(guess(name, head), Ok((format, layout)), "{head}");
        }
    }

    #[test]
    fn a_forced_format_must_fit_the_layout() {
        let forced = |f, head: &str| detect(Path::new("x"), head.as_bytes(), Some(f));
        assert!(
            forced(Format::Shopify, "<rss/>")
                .unwrap_err()
                .contains("google-merchant")
        );
        assert!(
            forced(Format::Csv, "{\"id\":1}")
                .unwrap_err()
                .contains("--format jsonl")
        );
        assert!(forced(Format::Jsonl, "id,title").is_err());
        assert_eq!(
            forced(Format::GoogleMerchant, "id,title,price\n"),
            Ok((Format::GoogleMerchant, Layout::Delimited(b',')))
        );
    }
}
