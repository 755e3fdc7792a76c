//! The `reason` of a recommendation: a sentence a model can quote to a person. It names what
//! matched — the request's own words found in the product, the recipient's interests, the
//! occasion, the budget — and follows the score: its clauses are the two components that
//! contributed most, in that order, so a reason never claims what did not rank the product.

use super::scoring::{
    BUDGET_FIT, Budget, CATEGORY, CONTEXT, Components, KEYWORD, OCCASION, POPULARITY, PREFERENCE,
    RECIPIENT,
};
use crate::store::Product;

/// What the request asked, as the reasons quote it.
#[derive(Debug, Clone, Default)]
pub struct Asked<'a> {
    /// The request's words (context less gift boilerplate), if it had a context.
    pub words: Option<&'a str>,
    /// The occasion, as given.
    pub occasion: Option<&'a str>,
    /// The recipient's name ("recipient" for one described inline).
    pub recipient: Option<&'a str>,
    /// The recipient's interests.
    pub interests: &'a [String],
}

/// Most words a reason quotes from the request.
const MAX_QUOTED: usize = 3;

/// Words that say nothing about a product ("wine and cooking" matched "and"), which a reason
/// never quotes.
const FUNCTION_WORDS: &[&str] = &[
    "about", "after", "again", "all", "also", "and", "any", "are", "aren", "because", "been",
    "before", "being", "both", "but", "could", "did", "didn", "does", "doesn", "don", "each",
    "few", "for", "from", "had", "has", "have", "her", "here", "hers", "him", "his", "how", "into",
    "isn", "its", "just", "more", "most", "nor", "not", "now", "off", "once", "only", "other",
    "our", "ours", "out", "own", "she", "should", "some", "such", "than", "that", "the", "their",
    "theirs", "them", "then", "there", "these", "they", "this", "those", "too", "until", "very",
    "was", "wasn", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "with",
    "won", "would", "yet", "you", "your", "yours",
];

/// Lower-case words of at least 3 letters that are not function words, for matching (short
/// words say little).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .filter(|w| !FUNCTION_WORDS.contains(&w.as_str()))
        .collect()
}

/// Whether two words are one word in different forms (plural, -ing, -er: "fishing" and
/// "fish", "candles" and "candle").
fn same_word(a: &str, b: &str) -> bool {
    let forms = |w: &str| -> Vec<String> {
        let w = w.trim_end_matches("'s");
        let mut out = vec![w.to_string()];
        for suffix in ["ing", "ers", "er", "es", "s"] {
            if let Some(r) = w.strip_suffix(suffix)
                && r.chars().count() >= 3
            {
                out.push(r.to_string());
            }
        }
        out
    };
    let theirs = forms(b);
    a == b || forms(a).iter().any(|f| theirs.contains(f))
}

/// The request's words found in the product's title, category, tags or description, in the
/// request's order, at most [`MAX_QUOTED`].
pub fn matched_words(request: &str, product: &Product) -> Vec<String> {
    let text = format!(
        "{} {} {} {}",
        product.title,
        product.category,
        product.tags.join(" "),
        product.description
    );
    let have = words(&text);
    let mut out: Vec<String> = Vec::new();
    for w in words(request) {
        if out.len() < MAX_QUOTED && !out.contains(&w) && have.iter().any(|h| same_word(h, &w)) {
            out.push(w);
        }
    }
    out
}

/// "a", "a and b", "a, b and c".
fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The recipient's interests the product's text mentions.
fn matched_interests(interests: &[String], product: &Product) -> Vec<String> {
    interests
        .iter()
        .filter(|i| !matched_words(i, product).is_empty())
        .take(MAX_QUOTED)
        .cloned()
        .collect()
}

/// The reason for `product`, from its score's `contributions`.
pub fn reason(
    contributions: &Components,
    product: &Product,
    budget: &Budget,
    asked: &Asked<'_>,
) -> String {
    let mut top: Vec<(&String, &f64)> = contributions.iter().filter(|(_, c)| **c > 0.0).collect();
    top.sort_by(|a, b| b.1.total_cmp(a.1));
    let who = asked.recipient.unwrap_or("the recipient");
    let mut parts: Vec<String> = Vec::new();
    for (name, _) in top.iter().take(2) {
        let part = match name.as_str() {
            CONTEXT | KEYWORD => {
                let said = asked
                    .words
                    .map(|w| matched_words(w, product))
                    .unwrap_or_default();
                match (said.is_empty(), name.as_str()) {
                    (false, _) => format!("matches {} from the request", list(&said)),
                    (true, KEYWORD) => "has the words of the request".to_string(),
                    (true, _) => "close to what was described".to_string(),
                }
            }
            OCCASION => match asked.occasion {
                Some(o) => format!("suits the occasion ({o})"),
                None => "suits the occasion".to_string(),
            },
            RECIPIENT => {
                let liked = matched_interests(asked.interests, product);
                if liked.is_empty() {
                    format!("fits what {who} is like")
                } else {
                    format!("fits {who}'s interest in {}", list(&liked))
                }
            }
            PREFERENCE => "like things the shopper liked before".to_string(),
            POPULARITY => "popular with other shoppers".to_string(),
            BUDGET_FIT => "makes good use of the budget".to_string(),
            CATEGORY => format!(
                "in the {} category, like the closest matches",
                product.category.to_lowercase()
            ),
            _ => continue,
        };
        // The two text components can say the same thing: say it once.
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    if parts.is_empty() {
        // Nothing contributed positively (e.g. a popularity arm before any events).
        parts.push("among the products nearest to the request".to_string());
    }
    if let Some(max) = budget.max {
        parts.push(format!(
            "{:.2} {}, within the {max:.2} budget",
            product.price, product.currency
        ));
    }
    let mut text = parts.join("; ");
    if let Some(first) = text.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    text.push('.');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(title: &str, tags: &[&str], description: &str) -> Product {
        Product {
            title: title.into(),
            category: "Outdoors".into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            description: description.into(),
            price: 34.0,
            currency: "USD".into(),
            ..Product::default()
        }
    }

    fn parts(list: &[(&str, f64)]) -> Components {
        list.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn names_the_requests_words_the_product_has_and_the_budget() {
        let p = product(
            "Fly Fishing Reel",
            &["fishing"],
            "For anglers who love rivers.",
        );
        let asked = Asked {
            words: Some("dad fishing rivers jazz"),
            ..Asked::default()
        };
        let budget = Budget {
            min: None,
            max: Some(50.0),
        };
        let why = reason(
            &parts(&[(CONTEXT, 0.3), (KEYWORD, 0.1)]),
            &p,
            &budget,
            &asked,
        );
        assert_eq!(
            why,
            "Matches fishing and rivers from the request; 34.00 USD, within the 50.00 budget."
        );
    }

    #[test]
    fn function_words_are_never_quoted() {
        let p = product(
            "Wine Glass Set",
            &["wine"],
            "For the wine lover and the cook, with care.",
        );
        assert_eq!(
            matched_words("wife who likes wine and cooking, with the family", &p),
            ["wine", "cooking"]
        );
    }

    #[test]
    fn follows_the_largest_contributions_in_order() {
        let p = product("Jazz Vinyl Box", &["music"], "Classic records.");
        let interests = ["jazz".to_string(), "golf".to_string()];
        let asked = Asked {
            words: Some("something nice"),
            occasion: Some("birthday"),
            recipient: Some("Dad"),
            interests: &interests,
        };
        let why = reason(
            &parts(&[
                (RECIPIENT, 0.4),
                (OCCASION, 0.2),
                (CONTEXT, 0.1),
                (POPULARITY, 0.0),
            ]),
            &p,
            &Budget::default(),
            &asked,
        );
        assert_eq!(
            why,
            "Fits Dad's interest in jazz; suits the occasion (birthday)."
        );
    }

    #[test]
    fn names_the_category_the_closest_matches_share() {
        let p = product("Trail Lantern", &[], "Bright and light.");
        let why = reason(
            &parts(&[(CATEGORY, 0.3), (CONTEXT, 0.2)]),
            &p,
            &Budget::default(),
            &Asked {
                words: Some("camping trip"),
                ..Asked::default()
            },
        );
        assert_eq!(
            why,
            "In the outdoors category, like the closest matches; close to what was described."
        );
    }

    #[test]
    fn says_nothing_it_cannot_back() {
        let p = product("Candle", &[], "Smells of pine.");
        let none = Components::new();
        assert_eq!(
            reason(&none, &p, &Budget::default(), &Asked::default()),
            "Among the products nearest to the request."
        );
        let why = reason(
            &parts(&[(CONTEXT, 0.2)]),
            &p,
            &Budget::default(),
            &Asked {
                words: Some("cozy evenings"),
                ..Asked::default()
            },
        );
        assert_eq!(why, "Close to what was described.");
        assert!(
            same_word("candles", "candle")
                && same_word("fishing", "fish")
                && !same_word("cat", "car")
        );
    }
}
