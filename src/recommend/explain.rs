//! Why a product was recommended: the score's contributions (the stored ones when the product
//! was served in the request, so they are exactly what ranked it), the history items that
//! pulled it up, the interests and tags it matches, its price against the budget, and a
//! summary whose every claim comes from those figures.

use std::collections::BTreeSet;

use crate::app::App;
use crate::store::Product;
use crate::store::recommendations::{self, ServedItem};
use crate::{Error, Result};

use super::diversity::cosine;
use super::experiments::Strategy;
use super::scoring::{self, Components};
use super::signals::{self, GiftRequest, request_text};

/// A history item close to the product.
#[derive(Debug, Clone, PartialEq)]
pub struct Pull {
    /// Product id.
    pub product_id: String,
    /// Its title.
    pub title: String,
    /// `user_history` (the shopper interacted with it) or `recipient_liked`.
    pub source: &'static str,
    /// Cosine similarity to the explained product.
    pub similarity: f64,
}

/// An explanation.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// The product.
    pub product: Product,
    /// The score.
    pub score: f64,
    /// Component values.
    pub components: Components,
    /// Contributions (sum to `score`).
    pub contributions: Components,
    /// Its position in the request's results, when it was shown.
    pub rank: Option<i32>,
    /// An exploration pick.
    pub exploration: bool,
    /// History items that pulled it up.
    pub pulls: Vec<Pull>,
    /// The recipient's interests it matches.
    pub matching_interests: Vec<String>,
    /// Its tags that the request or recipient mention.
    pub matching_tags: Vec<String>,
    /// Whether the price is within the budget (`None` without one).
    pub within_budget: Option<bool>,
    /// One or two sentences to quote.
    pub summary: String,
}

/// Similarity a history item needs to count as pulling the product up.
const PULL_MIN: f64 = 0.35;

/// Explains `product_id` under `req`: from `served` when it was shown in that request,
/// otherwise scored afresh the same way.
pub async fn explain(
    app: &App,
    req: &GiftRequest,
    strategy: Strategy,
    product_id: &str,
    served: Option<ServedItem>,
) -> Result<Explanation> {
    let s = signals::resolve(app, req).await?;
    let ids = [product_id.to_string()];
    let mut found = recommendations::with_vectors(&app.db, &app.model, &ids).await?;
    let Some(item) = found.pop() else {
        return Err(
            match crate::store::products::get(&app.db, product_id).await? {
                Some(_) => Error::NotFound(format!(
                    "product {product_id:?} has no embedding for model {} yet; retry shortly",
                    app.model.name
                )),
                None => Error::not_found("product", product_id),
            },
        );
    };
    let (score, components, contributions, rank, exploration) = match served {
        Some(it) => (
            it.score,
            serde_json::from_value(it.components).unwrap_or_default(),
            serde_json::from_value(it.contributions).unwrap_or_default(),
            Some(it.rank),
            it.exploration,
        ),
        None => {
            // The vote the ranking would have taken: the request's nearest candidates.
            let query = s.query_vector(app, strategy);
            let nearest = recommendations::candidates(
                &app.db,
                &app.model,
                &query,
                &req.filters,
                crate::search::category_vote::VOTERS as u32,
                app.search.ef_search,
            )
            .await?;
            let votes = signals::votes(&nearest, &query);
            let scored = s
                .score(app, &req.budget, strategy, vec![item.clone()], &votes)
                .await?
                .pop()
                .expect("one item in, one out");
            let (score, components, contributions) =
                (scored.score, scored.components, scored.contributions);
            (score, components, contributions, None, false)
        }
    };

    let mut pulls = Vec::new();
    if let Some(user) = &req.user_id {
        for h in recommendations::liked_by_user(&app.db, &app.model, user, 50).await? {
            if h.product.id != product_id {
                pulls.push(Pull {
                    similarity: cosine(&h.vector, &item.vector),
                    product_id: h.product.id,
                    title: h.product.title,
                    source: "user_history",
                });
            }
        }
    }
    if let Some(r) = &s.recipient
        && !r.liked_product_ids.is_empty()
    {
        for h in recommendations::with_vectors(&app.db, &app.model, &r.liked_product_ids).await? {
            pulls.push(Pull {
                similarity: cosine(&h.vector, &item.vector),
                product_id: h.product.id,
                title: h.product.title,
                source: "recipient_liked",
            });
        }
    }
    pulls.retain(|p| p.similarity >= PULL_MIN);
    pulls.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
    pulls.truncate(3);

    let product_words = words(&format!(
        "{} {} {}",
        item.product.title,
        item.product.tags.join(" "),
        item.product.description
    ));
    let interests: Vec<String> = s
        .recipient
        .as_ref()
        .map_or(Vec::new(), |r| r.interests.clone());
    let matching_interests: Vec<String> = interests
        .into_iter()
        .filter(|i| words(i).iter().any(|w| product_words.contains(w)))
        .collect();
    let mut said = request_text(req).unwrap_or_default();
    if let Some(r) = &s.recipient {
        said.push(' ');
        said.push_str(&super::recipients::profile_text(r));
    }
    let said = words(&said);
    let matching_tags: Vec<String> = item
        .product
        .tags
        .iter()
        .filter(|t| {
            let tw = words(t);
            !tw.is_empty() && tw.iter().all(|w| said.contains(w))
        })
        .cloned()
        .collect();
    let within_budget = (req.budget.min.is_some() || req.budget.max.is_some()).then(|| {
        req.budget.min.is_none_or(|m| item.product.price >= m)
            && req.budget.max.is_none_or(|m| item.product.price <= m)
    });
    let mut e = Explanation {
        product: item.product,
        score,
        components,
        contributions,
        rank,
        exploration,
        pulls,
        matching_interests,
        matching_tags,
        within_budget,
        summary: String::new(),
    };
    e.summary = summary(&e, req);
    Ok(e)
}

/// Lower-case words of 3+ letters, with a trailing plural `s` dropped.
fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(|w| {
            let w = w.to_lowercase();
            match w.strip_suffix('s') {
                Some(stem) if stem.chars().count() >= 3 && !w.ends_with("ss") => stem.to_string(),
                _ => w,
            }
        })
        .collect()
}

fn label(name: &str) -> &'static str {
    match name {
        scoring::CONTEXT => "similarity to the request",
        scoring::OCCASION => "fit with the occasion",
        scoring::KEYWORD => "words of the request it mentions",
        scoring::RECIPIENT => "fit with the recipient's profile",
        scoring::PREFERENCE => "closeness to the shopper's past likes",
        scoring::POPULARITY => "popularity with other shoppers",
        scoring::CATEGORY => "agreement with the kind of product the best matches are",
        _ => "how well the price uses the budget",
    }
}

fn summary(e: &Explanation, req: &GiftRequest) -> String {
    let mut top: Vec<(&String, &f64)> = e.contributions.iter().collect();
    top.sort_by(|a, b| b.1.total_cmp(a.1));
    let drivers: Vec<String> = top
        .iter()
        .take(2)
        .filter(|(_, c)| **c > 0.0)
        .map(|(n, c)| format!("{} ({:.2} of the {:.2})", label(n), c, e.score))
        .collect();
    let mut first = format!("\"{}\" scores {:.2}", e.product.title, e.score);
    if !drivers.is_empty() {
        first.push_str(&format!(", mostly from {}", drivers.join(" and ")));
    }
    first.push('.');
    let mut facts = Vec::new();
    if e.exploration {
        facts.push(format!(
            "it is an exploration pick from {}, outside the shopper's usual categories",
            e.product.category
        ));
    }
    if !e.matching_interests.is_empty() {
        facts.push(format!(
            "it matches the interests {}",
            e.matching_interests.join(", ")
        ));
    } else if !e.matching_tags.is_empty() {
        facts.push(format!(
            "its tags {} echo the request",
            e.matching_tags.join(", ")
        ));
    }
    if let Some(p) = e.pulls.first() {
        let whose = if p.source == "recipient_liked" {
            "the recipient liked"
        } else {
            "the shopper engaged with"
        };
        facts.push(format!(
            "it is close to \"{}\" that {whose} (similarity {:.2})",
            p.title, p.similarity
        ));
    }
    if let (Some(within), Some(max)) = (e.within_budget, req.budget.max) {
        let verb = if within { "within" } else { "outside" };
        facts.push(format!(
            "at {:.2} {} it is {verb} the {:.2} budget",
            e.product.price, e.product.currency, max
        ));
    }
    if facts.is_empty() {
        return first;
    }
    let mut second = facts.into_iter().take(2).collect::<Vec<_>>().join("; ");
    if let Some(f) = second.get_mut(0..1) {
        f.make_ascii_uppercase();
    }
    format!("{first} {second}.")
}

#[cfg(test)]
mod tests {
    use super::words;

    #[test]
    fn words_fold_case_and_plurals() {
        let w = words("Fly-Fishing Lures, lures & a Glass");
        assert!(w.contains("fly") && w.contains("fishing") && w.contains("lure"));
        assert!(w.contains("glass"));
    }
}
