//! The small value languages of shop feeds: HTML descriptions, prices written `34.00 USD`,
//! availability words, category paths written `Kitchen > Coffee > Grinders`.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// A price as a feed writes it, read into an amount and, when the text names one, a currency.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Money {
    /// The amount in the currency's main unit.
    pub amount: f64,
    /// ISO 4217 code, when the text carries one (a code or an unambiguous symbol).
    pub currency: Option<String>,
}

/// Symbols that name one currency. `$` and `¥` alone are not here: they name several.
const SYMBOLS: [(&str, &str); 6] = [
    ("US$", "USD"),
    ("€", "EUR"),
    ("£", "GBP"),
    ("₹", "INR"),
    ("₩", "KRW"),
    ("₽", "RUB"),
];

/// Reads `34.00 USD`, `USD 34.00`, `€12,50`, `$1,299.00`, `1.299,00 EUR`, `12`; `None` when
/// the text is not a price.
pub(crate) fn money(text: &str) -> Option<Money> {
    let mut rest = text.trim();
    let mut currency = None;
    for (symbol, code) in SYMBOLS {
        if let Some(stripped) = rest
            .strip_prefix(symbol)
            .or_else(|| rest.strip_suffix(symbol))
        {
            currency = Some(code.to_string());
            rest = stripped.trim();
            break;
        }
    }
    if currency.is_none() {
        let (code, stripped) = iso_code(rest);
        currency = code;
        rest = stripped;
    }
    let rest = rest
        .trim()
        .trim_start_matches(['$', '¥'])
        .trim_end_matches(['$', '¥'])
        .trim();
    let amount = amount(rest)?;
    Some(Money { amount, currency })
}

/// A leading or trailing three-letter code, separated from the number by a space or not.
fn iso_code(text: &str) -> (Option<String>, &str) {
    let letters = |s: &str| s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic());
    if text.len() > 3 && text.is_char_boundary(text.len() - 3) {
        let (head, tail) = text.split_at(text.len() - 3);
        if letters(tail) && !head.ends_with(|c: char| c.is_ascii_alphabetic()) {
            return (Some(tail.to_ascii_uppercase()), head.trim());
        }
    }
    if text.len() > 3 && text.is_char_boundary(3) {
        let (head, tail) = text.split_at(3);
        if letters(head) && !tail.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return (Some(head.to_ascii_uppercase()), tail.trim());
        }
    }
    (None, text)
}

/// A number with thousands separators: the last of `.` and `,` is the decimal mark when both
/// appear; a lone `,` is decimal unless exactly three digits follow it.
fn amount(text: &str) -> Option<f64> {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\''))
        .collect();
    if digits.is_empty()
        || !digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        || !digits.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    let normalised = match (digits.rfind('.'), digits.rfind(',')) {
        (Some(dot), Some(comma)) if comma > dot => digits.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => digits.replace(',', ""),
        (None, Some(comma)) => {
            let after = digits.len() - comma - 1;
            if digits.matches(',').count() == 1 && after != 3 {
                digits.replace(',', ".")
            } else {
                digits.replace(',', "")
            }
        }
        (Some(_), None) if digits.matches('.').count() > 1 => digits.replace('.', ""),
        _ => digits,
    };
    normalised.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Whether an availability word means the product can be bought and shipped now: `in stock`,
/// `in_stock`, `instock`, `available` and schema.org's `InStock` are; `out of stock`,
/// `preorder`, `backorder`, `sold out`, `discontinued` are not. `None` for other words.
pub(crate) fn availability(word: &str) -> Option<bool> {
    let word = word.trim();
    let word = word
        .rsplit_once('/')
        .filter(|(head, _)| head.contains("schema.org"))
        .map_or(word, |(_, tail)| tail);
    let key: String = word
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    match key.as_str() {
        "instock" | "available" | "limitedavailability" | "onlineonly" | "instoreonly" => {
            Some(true)
        }
        "outofstock" | "soldout" | "preorder" | "backorder" | "discontinued" | "unavailable" => {
            Some(false)
        }
        _ => None,
    }
}

/// Whether a sale whose window is `start`..`end` (either may be absent) is on at `now`. The
/// ends are ISO 8601 (`2026-11-27T00:00-08:00`, `2026-11-27 00:00:00`, `2026-11-27`); an end
/// that cannot be read does not stop the sale.
pub(crate) fn sale_on(start: Option<&str>, end: Option<&str>, now: DateTime<Utc>) -> bool {
    let after_start = start.and_then(instant).is_none_or(|t| now >= t);
    let before_end = end.and_then(instant).is_none_or(|t| now <= t);
    after_start && before_end
}

/// Google's `sale_price_effective_date` interval, `start/end`.
pub(crate) fn sale_window(interval: &str) -> (Option<&str>, Option<&str>) {
    match interval.split_once('/') {
        Some((start, end)) => (Some(start.trim()), Some(end.trim())),
        None => (Some(interval.trim()), None),
    }
}

fn instant(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for pattern in [
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M%:z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(text, pattern) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for pattern in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, pattern) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// Levels that say nothing about what a product is; a path's leaf skips them.
const GENERIC_LEVELS: [&str; 9] = [
    "other",
    "others",
    "misc",
    "miscellaneous",
    "general",
    "all",
    "default",
    "various",
    "more",
];

/// The levels of `Home & Garden > Kitchen > Coffee` (also `/`-less `›` and `»` separators).
pub(crate) fn path_levels(path: &str) -> Vec<&str> {
    path.split(['>', '›', '»'])
        .map(str::trim)
        .filter(|level| !level.is_empty())
        .collect()
}

/// The most specific useful level of a category path: its last level, unless that is a
/// generic word such as "Other", then the one before.
pub(crate) fn path_leaf(path: &str) -> Option<&str> {
    let levels = path_levels(path);
    levels
        .iter()
        .rev()
        .find(|level| !GENERIC_LEVELS.contains(&level.to_ascii_lowercase().as_str()))
        .or(levels.last())
        .copied()
}

/// Whether text holds markup or entities worth rendering (`<p>`, `</b>`, `<!--`, `&amp;`,
/// `&#8217;`); plain text with a stray `<` or `&` is left as it is.
pub(crate) fn looks_like_html(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
        || bytes.iter().enumerate().any(|(i, &b)| {
            b == b'&' && {
                let rest = &bytes[i + 1..];
                let name = rest
                    .iter()
                    .take(32)
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'#')
                    .count();
                name > 1 && rest.get(name) == Some(&b';')
            }
        })
}

/// HTML (a fragment or a document) as clean text: tags dropped the way a browser lays them out
/// (blocks and `<br>` become line breaks, list items their own lines), entities decoded,
/// scripts and styles gone, runs of blank lines and spaces folded. Text that is not HTML
/// comes back unchanged.
pub(crate) fn html_to_text(text: &str) -> Cow<'_, str> {
    if !looks_like_html(text) {
        return Cow::Borrowed(text);
    }
    let rendered = html2text::config::plain_no_decorate()
        .raw_mode(true)
        .allow_width_overflow()
        .string_from_read(text.as_bytes(), 100_000)
        .unwrap_or_else(|_| text.to_string());
    Cow::Owned(fold_whitespace(&rendered))
}

/// Trims every line, folds runs of spaces inside it and keeps at most one blank line in a row.
fn fold_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(&line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> Option<(f64, Option<String>)> {
        money(text).map(|m| (m.amount, m.currency))
    }

    #[test]
    fn prices_as_feeds_write_them() {
        let table = [
            ("34.00 USD", Some((34.0, Some("USD")))),
            ("USD 34.00", Some((34.0, Some("USD")))),
            ("34 usd", Some((34.0, Some("USD")))),
            ("12,50 EUR", Some((12.5, Some("EUR")))),
            ("€12,50", Some((12.5, Some("EUR")))),
            ("12.50€", Some((12.5, Some("EUR")))),
            ("£1,299.99", Some((1299.99, Some("GBP")))),
            ("1.299,00 EUR", Some((1299.0, Some("EUR")))),
            ("$1,299", Some((1299.0, None))),
            ("US$ 5", Some((5.0, Some("USD")))),
            ("1 299,95 SEK", Some((1299.95, Some("SEK")))),
            ("CHF 1'299.50", Some((1299.5, Some("CHF")))),
            ("19.9", Some((19.9, None))),
            ("0", Some((0.0, None))),
            ("abc USD", None),
            ("USD", None),
            ("", None),
            ("-5 USD", None),
            ("12 dollars", None),
            ("1e308", None),
            ("NaN", None),
        ];
        for (text, expected) in table {
            let expected = expected.map(|(a, c): (f64, Option<&str>)| (a, c.map(String::from)));
            assert_eq!(m(text), expected, "{text:?}");
        }
    }

    #[test]
    fn sale_windows() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z")
            .unwrap()
            .to_utc();
        let on = |interval: &str| {
            let (start, end) = sale_window(interval);
            sale_on(start, end, now)
        };
        assert!(on("2026-11-27T00:00-08:00/2026-12-31T23:59-08:00"));
        assert!(!on("2026-12-02T00:00+0100/2026-12-31T23:59+0100"));
        assert!(!on("2026-11-01/2026-11-30"));
        assert!(on("2026-11-01 00:00:00"));
        assert!(on("someday/never"));
    }

    #[test]
    fn availability_words() {
        for word in [
            "in stock",
            "in_stock",
            "InStock",
            "https://schema.org/InStock",
            "available",
        ] {
            assert_eq!(availability(word), Some(true), "{word}");
        }
        for word in [
            "out of stock",
            "out_of_stock",
            "preorder",
            "backorder",
            "Sold out",
        ] {
            assert_eq!(availability(word), Some(false), "{word}");
        }
        assert_eq!(availability("perhaps"), None);
    }

    #[test]
    fn category_leaves_skip_generic_levels() {
        assert_eq!(path_leaf("Kitchen > Coffee > Grinders"), Some("Grinders"));
        assert_eq!(
            path_leaf("Home & Garden > Kitchen > Other"),
            Some("Kitchen")
        );
        assert_eq!(path_leaf("Mugs"), Some("Mugs"));
        assert_eq!(path_leaf("Other"), Some("Other"));
        assert_eq!(path_leaf(" > "), None);
        assert_eq!(path_levels("A › B » C"), vec!["A", "B", "C"]);
    }

    #[test]
    fn html_becomes_clean_text() {
        let html = "<p>Caf&eacute; grinder &amp; scale &#8211; <b>steel</b></p>\
                    <ul><li>40 settings</li><li>USB&nbsp;charged</li></ul>\
                    <script>alert(1)</script><br><br><br>Made in Italy";
        assert_eq!(
            html_to_text(html),
            "Café grinder & scale – steel\n* 40 settings\n* USB charged\n\nMade in Italy"
        );
        assert_eq!(
            html_to_text("Salt & pepper, size < 10 cm"),
            "Salt & pepper, size < 10 cm"
        );
        assert!(looks_like_html("a &amp; b"));
        assert!(!looks_like_html("AT&T; R&D"));
    }
}
