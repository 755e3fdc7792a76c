//! Query expansion: past searches close in meaning to the request (from the analytics log:
//! only those that several distinct users made and acted on, as plain words) and, when a chat model is configured, rewrites of the request widen what both the keyword
//! and the vector search look for. The expanded vector is the normalised blend
//! `q + vector_weight * mean(expansions)`; the keyword text is the request plus the
//! expansions (lexemes are OR-ed, so more words find more, best-matching first).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::rewrite;
use crate::app::App;
use crate::store::{self, Embedding};

/// Where an expansion came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExpansionSource {
    /// A past search similar in meaning.
    PastQuery,
    /// A rewrite by the configured chat model.
    Rewrite,
}

/// One expansion used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Expansion {
    /// The text added to the search.
    pub query: String,
    /// Where it came from.
    pub source: ExpansionSource,
    /// Cosine similarity to the request (past queries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f64>,
}

/// An expanded request.
#[derive(Debug, Clone)]
pub struct Expanded {
    /// What was added.
    pub expansions: Vec<Expansion>,
    /// The vector to search with.
    pub vector: Embedding,
    /// The text to keyword-search with.
    pub text: String,
}

/// Expands `query` (whose embedding is `embedding`; `keywords` are its words for the keyword
/// side). Never fails the search: a source that cannot answer is skipped and logged.
pub async fn expand(app: &App, query: &str, keywords: &str, embedding: &Embedding) -> Expanded {
    let settings = &app.search.expansion;
    let mut expansions = past_queries(app, query, embedding).await;
    if let Some(chat) = &settings.chat {
        match rewrite::rewrites(chat, query).await {
            Ok(texts) => expansions.extend(texts.into_iter().map(|t| Expansion {
                query: t,
                source: ExpansionSource::Rewrite,
                similarity: None,
            })),
            Err(err) => tracing::warn!(error = %err, "query rewrite failed; searching without"),
        }
    }
    if expansions.is_empty() {
        return unexpanded(keywords, embedding);
    }
    let texts: Vec<String> = expansions.iter().map(|e| e.query.clone()).collect();
    let vectors: Vec<Embedding> = match app.embedder.embed(&texts).await {
        Ok(out) => out.items.into_iter().map(|i| i.embedding).collect(),
        Err(err) => {
            tracing::warn!(error = %err, "could not embed expansions; searching without");
            return unexpanded(keywords, embedding);
        }
    };
    Expanded {
        vector: blend(embedding, &vectors, settings.vector_weight),
        text: std::iter::once(keywords.to_string())
            .chain(texts)
            .collect::<Vec<_>>()
            .join(" "),
        expansions,
    }
}

/// The request as it is (`keywords`, its words for the keyword side): no expansions.
pub fn unexpanded(keywords: &str, embedding: &Embedding) -> Expanded {
    Expanded {
        expansions: Vec::new(),
        vector: embedding.clone(),
        text: keywords.to_string(),
    }
}

async fn past_queries(app: &App, query: &str, embedding: &Embedding) -> Vec<Expansion> {
    let settings = &app.search.expansion;
    let wanted = settings.max_past_queries;
    if wanted == 0 {
        return Vec::new();
    }
    let shared = store::queries::Provenance::Shared(settings.min_users);
    let k = wanted as i64 + 5;
    let past = match store::queries::similar(&app.read, &app.model, embedding, k, shared).await {
        Ok(past) => past,
        Err(err) => {
            tracing::warn!(error = %err, "could not read past queries; searching without");
            return Vec::new();
        }
    };
    let own = normalise(query);
    past.into_iter()
        .filter(|p| p.results > 0 && p.similarity >= settings.min_similarity)
        .filter(|p| normalise(&p.query) != own)
        .filter_map(|p| {
            let words = plain_words(&p.query);
            (!words.is_empty()).then_some(Expansion {
                query: words,
                source: ExpansionSource::PastQuery,
                similarity: Some(p.similarity),
            })
        })
        .take(wanted)
        .collect()
}

/// A past query's words without search operators (`-word`, quotes, `or`): another caller's
/// syntax must never exclude or require anything in this search.
fn plain_words(query: &str) -> String {
    query
        .split_whitespace()
        .filter(|w| !w.starts_with('-') && !w.eq_ignore_ascii_case("or"))
        .map(|w| w.trim_matches(|c: char| c == '"' || c == '\''))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn normalise(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// `normalise(q/|q| + weight * mean(v_i/|v_i|))`.
pub fn blend(query: &Embedding, others: &[Embedding], weight: f32) -> Embedding {
    let q = query.normalized();
    if others.is_empty() {
        return q;
    }
    let mut sum: Vec<f32> = q.as_slice().to_vec();
    let share = weight / others.len() as f32;
    for other in others {
        for (s, v) in sum.iter_mut().zip(other.normalized().as_slice()) {
            *s += share * v;
        }
    }
    Embedding::new(sum, q.dimensions())
        .map(|e| e.normalized())
        .unwrap_or(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_queries_lose_their_operators() {
        assert_eq!(plain_words("fly tying vise -kit"), "fly tying vise");
        assert_eq!(plain_words("\"tea set\" OR mug -plastic"), "tea set mug");
        assert_eq!(plain_words("-only -exclusions"), "");
    }
}
