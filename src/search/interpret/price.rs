//! Prices a request states in words: "under $50", "between 20 and 40 euros", "about twenty
//! dollars", "a £30 gift", "budget 100", "50 or less". A bare number counts only beside a price
//! word ("under 50", "budget 100"), never when it reads as an age or a quantity ("kids under 5",
//! "a man over 50", "2-4 players").

use std::sync::LazyLock;

use regex::Regex;

/// One price phrase found in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct PricePhrase {
    /// Byte range of the whole phrase (cue words included) in the text.
    pub span: (usize, usize),
    /// Lowest price it allows.
    pub min: Option<f64>,
    /// Highest price it allows.
    pub max: Option<f64>,
    /// ISO code of the currency it names, when it names one.
    pub currency: Option<&'static str>,
}

/// Share either side of an "about X" price.
const AROUND: f64 = 0.25;

/// An amount: a currency before or after a number (digits, or words for round sums).
static AMOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        (?P<pre>[$€£¥]|\b(?:usd|eur|gbp|cad|aud|chf|jpy)\s?)?
        (?P<num>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?
           |(?:(?:a|one|two|three|four|five)\s+)?hundred|(?:a|one)\s+thousand
           |(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[-\s](?:one|two|three|four|five|six|seven|eight|nine)\b)?
           |ten|eleven|twelve|fifteen)
        (?P<k>k\b)?
        (?:\s?(?P<post>[$€£¥]|(?:dollars?|bucks|usd|euros?|eur|pounds?|quid|gbp|yen|jpy|cad|aud|chf|francs?)\b))?",
    )
    .expect("valid regex")
});

/// What after a bare number makes it an age, a size or a count rather than a price.
static UNIT_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^(?:\s?-?\s?)(?:s\b|th\b|st\b|nd\b|rd\b|%|x\b|years?|yrs?|yo\b|y/o|months?|mos?\b|weeks?|days?|hours?|hrs?|minutes?|mins?|seconds?|kg|g\b|grams?|lbs?\b|oz\b|ml\b|l\b|lit(?:er|re)s?|cm\b|mm\b|m\b|met(?:er|re)s?|inch|in\b|ft\b|feet|gb\b|tb\b|mb\b|mp\b|w\b|watts?|mah|pieces?|pcs|pack|people|persons?|players?|guests?|cups?|-?year|person|seat)",
    )
    .expect("valid regex")
});

/// Words that say a price is meant ("my budget is", "priced at", "spend").
const PRICE_WORDS: &str = r"\b(?:(?:my|a|the|our|with\s+a|on\s+a)\s+)?(?:budget|price(?:\s+range)?|priced|costs?|costing|spend(?:ing)?|to\s+spend)(?:\s+(?:is|of|at|:|=|limit(?:\s+of)?))?";

/// The bound a cue before an amount sets.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Bound {
    Max,
    Min,
    Around,
    /// A budget with no bound word ("a $30 gift", "budget 50"): the most to spend.
    Budget,
}

static CUE_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    let max = r"\b(?:under|below|beneath|less\s+than|lower\s+than|cheaper\s+than|up\s+to|upto|at\s+most|no\s+more\s+than|not\s+more\s+than|no\s+higher\s+than|not\s+over|max(?:imum)?\.?|within)|<=?|≤";
    let min = r"\b(?:over|above|more\s+than|at\s+least|starting\s+(?:at|from)|min(?:imum)?\.?|no\s+less\s+than|not\s+less\s+than|upwards\s+of)|>=?|≥";
    let around = r"\b(?:around|about|approx(?:imately|\.)?|roughly|circa|close\s+to|near|in\s+the\s+(?:region|range|ballpark)\s+of|somewhere\s+around)|~";
    Regex::new(&format!(
        r"(?ix)(?P<price>{PRICE_WORDS}\s*)?(?:(?P<max>{max})|(?P<min>{min})|(?P<around>{around})|(?P<for>\bfor|\bof))?\s*(?:\b(?:a|an|the)\b|:)?\s*$"
    ))
    .expect("valid regex")
});

static CUE_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^\s*(?:(?P<max>or\s+(?:less|under|below|cheaper|lower)|max(?:imum)?\b|tops\b|at\s+(?:the\s+)?most|and\s+(?:under|below|less))|(?P<min>or\s+(?:more|above|over|higher)|and\s+(?:up|above|over)\b|\+|plus\b|minimum\b|at\s+least)|(?P<around>-?ish\b|or\s+so\b))",
    )
    .expect("valid regex")
});

/// Who a bare "under 5" or "over 50" is about: then it is an age.
static AGE_HOLDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)\b(?:kids?|children|child|boys?|girls?|toddlers?|babies|baby|teens?|teenagers?|ages?|aged|men|women|man|woman|people|folks|adults?|seniors?|guys?|ladies|him|her|them|someone|dad|mom|mum|grandpa|grandma|parents?)\s*$",
    )
    .expect("valid regex")
});

/// What joins two amounts into a range ("20-40", "20 to 40", "between 20 and 40").
static RANGE_JOIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?ix)^\s*(?:-|–|—|to|and)\s*$").expect("valid regex"));

static RANGE_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?ix)(?:{PRICE_WORDS}\s*)?(?P<cue>\bbetween|\bfrom|\bin\s+the)?\s*(?:range\s+(?:of\s+)?)?$"
    ))
    .expect("valid regex")
});

/// An amount as found, before its context is read.
#[derive(Debug, Clone)]
struct Amount {
    start: usize,
    end: usize,
    value: f64,
    currency: Option<&'static str>,
}

fn currency_of(word: &str) -> Option<&'static str> {
    let w = word.trim().to_lowercase();
    Some(match w.as_str() {
        "$" | "usd" | "dollar" | "dollars" | "bucks" => "USD",
        "€" | "eur" | "euro" | "euros" => "EUR",
        "£" | "gbp" | "pound" | "pounds" | "quid" => "GBP",
        "¥" | "jpy" | "yen" => "JPY",
        "cad" => "CAD",
        "aud" => "AUD",
        "chf" | "franc" | "francs" => "CHF",
        _ => return None,
    })
}

fn number_of(text: &str) -> Option<f64> {
    let t = text.to_lowercase();
    if t.starts_with(|c: char| c.is_ascii_digit()) {
        return t.replace(',', "").parse().ok();
    }
    let unit = |w: &str| -> Option<f64> {
        Some(match w {
            "a" | "one" => 1.0,
            "two" => 2.0,
            "three" => 3.0,
            "four" => 4.0,
            "five" => 5.0,
            "six" => 6.0,
            "seven" => 7.0,
            "eight" => 8.0,
            "nine" => 9.0,
            "ten" => 10.0,
            "eleven" => 11.0,
            "twelve" => 12.0,
            "fifteen" => 15.0,
            "twenty" => 20.0,
            "thirty" => 30.0,
            "forty" => 40.0,
            "fifty" => 50.0,
            "sixty" => 60.0,
            "seventy" => 70.0,
            "eighty" => 80.0,
            "ninety" => 90.0,
            _ => return None,
        })
    };
    let words: Vec<&str> = t
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter(|w| !w.is_empty())
        .collect();
    match words.as_slice() {
        ["hundred"] => Some(100.0),
        [n, "hundred"] => unit(n).map(|v| v * 100.0),
        [_, "thousand"] => Some(1000.0),
        [tens, ones] => Some(unit(tens)? + unit(ones)?),
        [n] => unit(n),
        _ => None,
    }
}

fn amounts(text: &str) -> Vec<Amount> {
    let mut found = Vec::new();
    for caps in AMOUNT.captures_iter(text) {
        let whole = caps.get(0).expect("match");
        let num = caps.name("num").expect("number");
        let start = whole.start();
        // A number inside a word or a code ("x500", "v2", "1.5.3") is no amount.
        if text[..start]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '.')
            && caps.name("pre").is_none()
        {
            continue;
        }
        let words = !num.as_str().starts_with(|c: char| c.is_ascii_digit());
        let currency = caps
            .name("pre")
            .or(caps.name("post"))
            .and_then(|m| currency_of(m.as_str()));
        // Number words are prices only with a currency ("fifty dollars", not "fifty shades").
        if words && currency.is_none() {
            continue;
        }
        let Some(mut value) = number_of(num.as_str()) else {
            continue;
        };
        if caps.name("k").is_some() {
            value *= 1000.0;
        }
        // "5-year-old", "2 players", "50s": not a price.
        if currency.is_none() && UNIT_AFTER.is_match(&text[whole.end()..]) {
            continue;
        }
        if currency.is_none() && text[whole.end()..].starts_with(|c: char| c.is_alphanumeric()) {
            continue;
        }
        found.push(Amount {
            start,
            end: whole.end(),
            value,
            currency,
        });
    }
    found
}

/// The start of the cue before `at` that `m` matched (the phrase begins there).
fn cue_start(before: &str, m: &regex::Captures<'_>) -> usize {
    let whole = m.get(0).expect("match");
    let trimmed = &before[whole.start()..];
    whole.start() + (trimmed.len() - trimmed.trim_start().len())
}

/// The price phrases of `text`, in order.
pub fn phrases(text: &str) -> Vec<PricePhrase> {
    let found = amounts(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < found.len() {
        let a = &found[i];
        let before = &text[..a.start];
        // A range: two amounts joined by "-", "to" or "and" (the last only after "between").
        if let Some(b) = found.get(i + 1)
            && RANGE_JOIN.is_match(&text[a.end..b.start])
        {
            let join = text[a.end..b.start].trim().to_lowercase();
            let start = RANGE_START.captures(before).expect("matches empty");
            let cue = start.name("cue").map(|m| m.as_str().to_lowercase());
            let priced = a.currency.is_some()
                || b.currency.is_some()
                || start.get(0).is_some_and(|m| !m.as_str().trim().is_empty());
            let age = AGE_HOLDER.is_match(&before[..cue_start(before, &start)]);
            if (join != "and" || cue.as_deref() == Some("between")) && priced && !age {
                let (lo, hi) = if a.value <= b.value {
                    (a.value, b.value)
                } else {
                    (b.value, a.value)
                };
                out.push(PricePhrase {
                    span: (cue_start(before, &start), b.end),
                    min: Some(lo),
                    max: Some(hi),
                    currency: a.currency.or(b.currency),
                });
                i += 2;
                continue;
            }
        }
        i += 1;
        let cue = CUE_BEFORE.captures(before).expect("matches empty");
        let after = CUE_AFTER.captures(&text[a.end..]);
        let priced = cue
            .name("price")
            .is_some_and(|m| !m.as_str().trim().is_empty());
        let bound = if cue.name("max").is_some() {
            Some(Bound::Max)
        } else if cue.name("min").is_some() {
            Some(Bound::Min)
        } else if cue.name("around").is_some() {
            Some(Bound::Around)
        } else if let Some(after) = &after {
            Some(if after.name("max").is_some() {
                Bound::Max
            } else if after.name("min").is_some() {
                Bound::Min
            } else {
                Bound::Around
            })
        } else if priced || a.currency.is_some() {
            Some(Bound::Budget)
        } else {
            None
        };
        let Some(bound) = bound else { continue };
        let start = match cue.name("for") {
            // "for 30": thirty of something, not a price.
            Some(_) if a.currency.is_none() => continue,
            // "a gift for $30": the amount is the phrase; "for" stays in the request.
            Some(_) => a.start,
            // "a £30 gift": no cue word, so the article stays with the request.
            None if !priced && bound == Bound::Budget => a.start,
            None => cue_start(before, &cue),
        };
        if a.currency.is_none() && !priced {
            // A bare number: an age when it is about a person ("kids under 5"), and a bare
            // "over 50" / "about 30" is too often one to take as a price.
            if bound != Bound::Max || AGE_HOLDER.is_match(&before[..start]) {
                continue;
            }
        }
        let end = a.end + after.as_ref().map_or(0, |m| m.get(0).expect("match").end());
        let (min, max) = match bound {
            Bound::Max | Bound::Budget => (None, Some(a.value)),
            Bound::Min => (Some(a.value), None),
            Bound::Around => (
                Some(round_cents(a.value * (1.0 - AROUND))),
                Some(round_cents(a.value * (1.0 + AROUND))),
            ),
        };
        out.push(PricePhrase {
            span: (start, end),
            min,
            max,
            currency: a.currency,
        });
    }
    out
}

fn round_cents(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
