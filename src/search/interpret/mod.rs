//! Query understanding for gift requests. Agents pass the shopper's sentence ("something for
//! my dad who fishes, under 50 euros, in stock, not a mug"); the hard constraints in it become
//! filters, the gift boilerplate ("something for", "gift", "who loves") leaves the keyword
//! side, and what was understood is reported so the agent can correct it. Anything not
//! understood stays in the request: a phrase is taken out only when it was read as a price,
//! a stock constraint or an exclusion.

mod negation;
mod price;

use std::sync::LazyLock;

use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What giftvec understood in a request, and applied.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Interpretation {
    /// Lowest price taken from the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_price: Option<f64>,
    /// Highest price taken from the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_price: Option<f64>,
    /// Currency the request named (prices are compared in the catalog's currency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// True when the request asked for products in stock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_stock: Option<bool>,
    /// Terms the request ruled out: no result has them in its title, category or tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_terms: Vec<String>,
    /// The phrases read as constraints and taken out of the request, as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub understood: Vec<String>,
    /// What was searched for: the request without those phrases.
    pub searched_for: String,
}

/// Marks a phrase taken out (a boundary for what follows; collapsed away at the end).
const CUT: char = '\u{1f}';

static STOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)\b(?:(?:that(?:['’]s|\s+is|\s+are)|which\s+(?:is|are)|currently|only|items|products)\s+)?(?:in[-\s]stock|available\s+(?:now|today|right\s+now|immediately|to\s+ship)|ready\s+to\s+ship|ships?\s+(?:today|now|immediately|right\s+away))(?:\s+only)?\b",
    )
    .expect("valid regex")
});

/// Gift-request words that say nothing about the product; left out of the keyword side
/// (the meaning side keeps them: the model reads the sentence whole).
const BOILERPLATE: &[&str] = &[
    "gift",
    "gifts",
    "present",
    "presents",
    "something",
    "anything",
    "idea",
    "ideas",
    "looking",
    "need",
    "needs",
    "want",
    "wants",
    "get",
    "buy",
    "find",
    "recommend",
    "suggest",
    "suggestion",
    "suggestions",
    "please",
    "perfect",
    "nice",
    "good",
    "great",
    "best",
    "special",
    "thoughtful",
    "someone",
    "somebody",
    "person",
    "who",
    "loves",
    "love",
    "likes",
    "like",
    "enjoys",
    "enjoy",
    "really",
    "also",
    "would",
    "could",
    "should",
    "can",
    "you",
    "me",
    "i",
    "i'm",
    "im",
    "my",
    "for",
    "a",
    "an",
    "the",
    "some",
    "that",
    "is",
    "into",
    "her",
    "his",
    "him",
    "she",
    "he",
];

impl Interpretation {
    /// Adds the constraints read from the request to a call's own filters. A filter the call
    /// set wins over the text (a price bound of the call, over the text's whole price range),
    /// and what it overrode is dropped from `self`, which then tells what was applied.
    pub fn apply_to(
        &mut self,
        min_price: &mut Option<f64>,
        max_price: &mut Option<f64>,
        in_stock: &mut Option<bool>,
        exclude_terms: &mut Vec<String>,
    ) {
        if min_price.is_some() || max_price.is_some() {
            // The call set its own price range: the text's does not narrow it.
            self.min_price = None;
            self.max_price = None;
        } else {
            *min_price = self.min_price;
            *max_price = self.max_price;
        }
        if in_stock.is_some() {
            self.in_stock = None;
        } else {
            *in_stock = self.in_stock;
        }
        exclude_terms.extend(self.excluded_terms.iter().cloned());
    }

    /// True when nothing in the request was read as a constraint.
    pub fn is_empty(&self) -> bool {
        self.understood.is_empty()
    }

    /// The words for the keyword side: what was searched for, less gift boilerplate.
    pub fn keywords(&self) -> String {
        keywords(&self.searched_for)
    }
}

/// The request's words less gift boilerplate (web-search syntax such as "-kit" kept); the text
/// as it is when it is nothing but boilerplate ("a gift").
pub fn keywords(text: &str) -> String {
    let kept = text
        .split_whitespace()
        .filter(|w| {
            let bare = w
                .trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
                .to_lowercase();
            !bare.is_empty() && !BOILERPLATE.contains(&bare.as_str())
        })
        .collect::<Vec<_>>()
        .join(" ");
    if kept.is_empty() {
        text.trim().to_string()
    } else {
        kept
    }
}

/// Reads `text`: its price, stock and exclusion phrases, and the request left without them.
pub fn interpret(text: &str) -> Interpretation {
    let mut out = Interpretation::default();
    let mut work = text.to_string();
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    for p in price::phrases(&work) {
        if let Some(min) = p.min {
            out.min_price = Some(out.min_price.map_or(min, |m: f64| m.max(min)));
        }
        if let Some(max) = p.max {
            out.max_price = Some(out.max_price.map_or(max, |m: f64| m.min(max)));
        }
        out.currency = out.currency.or(p.currency.map(str::to_string));
        cuts.push(p.span);
    }
    if let (Some(min), Some(max)) = (out.min_price, out.max_price)
        && min > max
    {
        // "over 100 … under 50": keep the ceiling, the safer reading for a budget.
        out.min_price = None;
    }
    cut(&mut work, &cuts);
    let stock: Vec<(usize, usize)> = STOCK
        .find_iter(&work)
        .map(|m| (m.start(), m.end()))
        .collect();
    if !stock.is_empty() {
        out.in_stock = Some(true);
    }
    cut(&mut work, &stock);
    cuts.extend(stock);
    let exclusions = negation::exclusions(&work);
    for e in &exclusions {
        for t in &e.terms {
            if !out.excluded_terms.contains(t) {
                out.excluded_terms.push(t.clone());
            }
        }
    }
    let excluded: Vec<(usize, usize)> = exclusions.iter().map(|e| e.span).collect();
    cut(&mut work, &excluded);
    cuts.extend(excluded);
    cuts.sort_unstable();
    out.understood = cuts
        .iter()
        .map(|&(s, e)| text[s..e].trim().to_string())
        .collect();
    out.searched_for = tidy(&work);
    if out.searched_for.is_empty() {
        // Nothing but constraints ("under $50, in stock"): the request stays the text searched.
        out.searched_for = text.trim().to_string();
    }
    out
}

/// Replaces each byte range by [`CUT`] marks of the same length (ranges stay valid).
fn cut(work: &mut String, ranges: &[(usize, usize)]) {
    for &(s, e) in ranges {
        work.replace_range(s..e, &CUT.to_string().repeat(e - s));
    }
}

/// Words left dangling at either end when a phrase was cut ("…who fishes, and").
const DANGLING: &[&str] = &[
    "and", "or", "but", "with", "for", "that", "which", "is", "are", "of", "please", "at", "in",
    "to", "priced", "costing", "budget",
];

/// The text with cut marks gone, spaces collapsed, and dangling punctuation and joining
/// words at the cut edges removed.
fn tidy(work: &str) -> String {
    // Each cut becomes a space; commas left side by side become one.
    let mut pieces: Vec<String> = Vec::new();
    for piece in work.split(CUT) {
        let piece = piece.trim();
        if !piece.is_empty() {
            pieces.push(piece.to_string());
        }
    }
    let mut text = pieces.join(" ");
    loop {
        let before = text.clone();
        text = text
            .replace(" ,", ",")
            .replace(",,", ",")
            .replace(", ,", ",")
            .replace(" .", ".")
            .replace(",.", ".")
            .replace(";.", ".")
            .replace("  ", " ");
        let trimmed = text.trim_matches(|c: char| c.is_whitespace() || ",;:.-–—".contains(c));
        text = trimmed.to_string();
        for w in DANGLING {
            let lower = text.to_lowercase();
            if lower.ends_with(&format!(" {w}")) {
                text.truncate(text.len() - w.len() - 1);
            }
            if lower == *w {
                text.clear();
            }
        }
        if text == before {
            break;
        }
    }
    text
}

#[cfg(test)]
mod tests;
