//! What a gift request has to go on: the request text's embedding, the recipient's profile,
//! the shopper's taste and history. Shared by `recommend_gifts` and `explain_recommendation`.

use crate::app::App;
use crate::search::{category_vote, interpret};
use crate::store::recipients::{self as stored, Recipient};
use crate::store::recommendations::{self, CandidateFilters, UserHistory, WithVector};
use crate::store::{self, Embedding};
use crate::{Error, Result};

use super::experiments::Strategy;
use super::recipients::{profile_text, profile_vector};
use super::scoring::{self, Budget, Components};

/// A validated gift request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GiftRequest {
    /// What the agent knows so far (free text).
    pub context: Option<String>,
    /// The occasion ("birthday", "retirement").
    pub occasion: Option<String>,
    /// The shopper.
    pub user_id: Option<String>,
    /// A saved recipient of the shopper.
    pub recipient_id: Option<String>,
    /// A recipient described inline (not saved).
    pub recipient: Option<Recipient>,
    /// Budget (also a hard price filter).
    pub budget: Budget,
    /// Category, price, stock and id filters.
    pub filters: CandidateFilters,
    /// Leave out what the shopper already bought.
    pub exclude_purchased: bool,
    /// Leave out what the shopper dismissed or disliked.
    pub exclude_dismissed: bool,
    /// How many results.
    pub limit: usize,
    /// 0..1: how much to trade relevance for variety (MMR).
    pub diversity: f64,
    /// 0..1: share of slots for picks outside the usual categories.
    pub exploration: f64,
    /// The conversation (for rotation).
    pub conversation_id: Option<String>,
    /// Experiment to enrol in (default: the first configured).
    pub experiment: Option<String>,
}

/// What the catalog's activity and text say about one product.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Facts {
    /// Positive event weight on it in the window.
    pub positive: f64,
    /// `ts_rank` of the request's words against it (0 when they do not match).
    pub keyword_rank: f64,
    /// Its category's share of the vote of the nearest candidates (`None`: no vote taken).
    pub category_share: Option<f64>,
}

/// Each category's share of the vote of the request's nearest candidates.
pub type Votes = std::collections::HashMap<String, f64>;

/// The vote of `nearest` (candidates nearest first) on what `query` is about: the categories
/// of the first [`category_vote::VOTERS`], each by its cosine to the query.
pub fn votes(nearest: &[WithVector], query: &Embedding) -> Votes {
    let q = query.as_slice();
    category_vote::shares(nearest.iter().map(|c| {
        (
            c.product.category.as_str(),
            super::diversity::cosine(q, &c.vector),
        )
    }))
    .into_iter()
    .map(|(category, share)| (category.to_string(), share))
    .collect()
}

/// A candidate with its score and the score's parts.
#[derive(Debug, Clone)]
pub struct Scored {
    /// The product and its vector.
    pub item: WithVector,
    /// The score (the sum of `contributions`).
    pub score: f64,
    /// Component values.
    pub components: Components,
    /// Component contributions.
    pub contributions: Components,
}

/// What the request resolved to.
#[derive(Debug, Clone, Default)]
pub struct Signals {
    /// Embedding of the context.
    pub context: Option<Embedding>,
    /// Embedding of "a gift for <occasion>".
    pub occasion: Option<Embedding>,
    /// The words matched against product text: the context and the recipient's interests.
    pub keywords: Option<String>,
    /// The recipient (saved or inline).
    pub recipient: Option<Recipient>,
    /// The recipient's profile vector.
    pub recipient_vector: Option<Embedding>,
    /// The shopper's preference vector.
    pub preference: Option<Embedding>,
    /// The shopper's history.
    pub history: UserHistory,
}

/// The text embedded for the request: context, then the occasion.
pub fn request_text(req: &GiftRequest) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(c) = &req.context {
        parts.push(c.clone());
    }
    if let Some(o) = &req.occasion {
        parts.push(format!("Occasion: {o}."));
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// Resolves the request's signals; fails, naming what to provide, when there is nothing to
/// recommend from. The request's texts are embedded in one batch while the database reads
/// (saved recipient, taste, history) run alongside.
pub async fn resolve(app: &App, req: &GiftRequest) -> Result<Signals> {
    if req.recipient_id.is_some() && req.user_id.is_none() {
        return Err(Error::invalid(
            "recipient_id",
            "needs user_id too: recipients belong to the user who saved them",
        ));
    }
    let inline_text = req
        .recipient
        .as_ref()
        .filter(|r| !r.description.trim().is_empty() || !r.interests.is_empty())
        .map(profile_text);
    let texts: Vec<String> = [
        req.context.clone(),
        req.occasion.as_ref().map(|o| format!("a gift for {o}")),
        inline_text.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let embedded = async {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        Ok::<_, Error>(
            app.embedder
                .embed(&texts)
                .await?
                .items
                .into_iter()
                .map(|i| i.embedding.normalized())
                .collect::<Vec<Embedding>>(),
        )
    };
    let saved = async {
        let (Some(id), Some(user)) = (&req.recipient_id, &req.user_id) else {
            return Ok(None);
        };
        let r = stored::get(&app.db, user, id)
            .await?
            .ok_or_else(|| Error::not_found("recipient of this user", id))?;
        let v = stored::vector(&app.db, &app.model, user, id).await?;
        Ok::<_, Error>(Some((r, v)))
    };
    let taste = async {
        let Some(user) = &req.user_id else {
            return Ok((None, UserHistory::default()));
        };
        let (preference, history) = tokio::try_join!(
            store::people::preference_vector(&app.db, &app.model, user),
            recommendations::user_history(&app.db, user),
        )?;
        Ok::<_, Error>((preference.map(|p| p.normalized()), history))
    };
    let (vectors, saved, (preference, history)) = tokio::try_join!(embedded, saved, taste)?;

    let mut s = Signals {
        preference,
        history,
        ..Signals::default()
    };
    let mut vectors = vectors.into_iter();
    if req.context.is_some() {
        s.context = vectors.next();
    }
    if req.occasion.is_some() {
        s.occasion = vectors.next();
    }
    if let Some((r, stored_vector)) = saved {
        s.recipient_vector = match stored_vector {
            Some(v) => Some(v),
            // Saved under another model (a model switch): build it for this one, once.
            None => {
                let v = profile_vector(app, &r).await?;
                stored::set_vector(&app.db, &app.model, &r.user_id, &r.id, v.as_ref()).await?;
                v
            }
        };
        s.recipient = Some(r);
    } else if let Some(r) = &req.recipient {
        // An inline recipient has no liked products: its profile is its text alone.
        if inline_text.is_some() {
            s.recipient_vector = vectors.next();
        }
        s.recipient = Some(r.clone());
    }
    let interests = s.recipient.as_ref().map(|r| r.interests.join(" "));
    // The keyword side matches what the request is about, not its gift boilerplate.
    let words = [req.context.as_deref().map(interpret::keywords), interests]
        .into_iter()
        .flatten()
        .filter(|w| !w.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    s.keywords = (!words.is_empty()).then_some(words);
    if s.context.is_none()
        && s.occasion.is_none()
        && s.recipient_vector.is_none()
        && s.preference.is_none()
    {
        return Err(nothing_to_go_on(req, &s));
    }
    Ok(s)
}

fn nothing_to_go_on(req: &GiftRequest, s: &Signals) -> Error {
    const WHAT: &str = "give context (what you know about the recipient and the occasion, \
        e.g. \"dad, 60, loves fly fishing and jazz; retirement gift\"), an occasion, or a \
        recipient (recipient_id of a saved recipient, or an inline recipient with a \
        description or interests)";
    if s.recipient.is_some() {
        return Error::invalid(
            if req.recipient_id.is_some() {
                "recipient_id"
            } else {
                "recipient"
            },
            format!(
                "the recipient has no description, interests or liked products to go on; {WHAT}"
            ),
        );
    }
    if let Some(user) = &req.user_id {
        return Error::invalid(
            "user_id",
            format!(
                "user {user:?} has no recorded events yet, so their taste says nothing; {WHAT}"
            ),
        );
    }
    Error::invalid("context", format!("nothing to recommend from: {WHAT}"))
}

impl Signals {
    /// The vector candidates are fetched around: the weighted sum of the vector signals the
    /// strategy uses (all of them when it uses none).
    pub fn query_vector(&self, app: &App, strategy: Strategy) -> Embedding {
        let w = &app.recommend.weights;
        let all = [
            (scoring::CONTEXT, w.context, &self.context),
            (scoring::OCCASION, w.occasion, &self.occasion),
            (scoring::RECIPIENT, w.recipient, &self.recipient_vector),
            (scoring::PREFERENCE, w.preference, &self.preference),
        ];
        let used: Vec<_> = all
            .iter()
            .filter(|(name, _, v)| {
                v.is_some() && (strategy != Strategy::Similarity || *name != scoring::PREFERENCE)
            })
            .collect();
        let chosen = if used.is_empty() {
            all.iter().filter(|(_, _, v)| v.is_some()).collect()
        } else {
            used
        };
        let dims = app.model.dimensions as usize;
        let mut sum = vec![0f32; dims];
        for (_, weight, v) in chosen {
            if let Some(v) = v {
                for (s, x) in sum.iter_mut().zip(v.as_slice()) {
                    *s += *weight as f32 * x;
                }
            }
        }
        Embedding::new(sum.clone(), dims)
            .map(|e| e.normalized())
            .unwrap_or_else(|_| {
                // Signals that cancel out exactly: fall back to the first present.
                self.context
                    .clone()
                    .or_else(|| self.occasion.clone())
                    .or_else(|| self.recipient_vector.clone())
                    .or_else(|| self.preference.clone())
                    .expect("resolve() guarantees a vector signal")
            })
    }

    /// Scores `items` under `strategy`: one query for their event weights and keyword ranks,
    /// then the components and their weighted sum. Ranking and explanations both score here,
    /// so an explanation computes exactly what the ranking did.
    pub async fn score(
        &self,
        app: &App,
        budget: &Budget,
        strategy: Strategy,
        items: Vec<WithVector>,
        votes: &Votes,
    ) -> Result<Vec<Scored>> {
        let ids: Vec<String> = items.iter().map(|i| i.product.id.clone()).collect();
        let known = recommendations::facts(
            &app.db,
            self.keywords.as_deref(),
            &ids,
            app.recommend.window_days,
        )
        .await?;
        Ok(items
            .into_iter()
            .map(|item| {
                let (positive, keyword_rank) =
                    known.get(&item.product.id).copied().unwrap_or_default();
                let category_share = (!votes.is_empty())
                    .then(|| votes.get(&item.product.category).copied().unwrap_or(0.0));
                let facts = Facts {
                    positive,
                    keyword_rank,
                    category_share,
                };
                let components =
                    self.components(app, budget, &item.vector, item.product.price, facts);
                let (score, contributions) =
                    scoring::combine(&components, &app.recommend.weights, strategy);
                Scored {
                    item,
                    score,
                    components,
                    contributions,
                }
            })
            .collect())
    }

    /// The component values of a product with embedding `vector` and price `price`, given
    /// what events and keyword search say about it.
    pub fn components(
        &self,
        app: &App,
        budget: &Budget,
        vector: &[f32],
        price: f64,
        facts: Facts,
    ) -> Components {
        let cos = super::diversity::cosine;
        let mut c = Components::new();
        if let Some(v) = &self.context {
            c.insert(scoring::CONTEXT.into(), cos(v.as_slice(), vector));
        }
        if let Some(v) = &self.occasion {
            c.insert(scoring::OCCASION.into(), cos(v.as_slice(), vector));
        }
        if self.keywords.is_some() {
            c.insert(
                scoring::KEYWORD.into(),
                scoring::keyword(facts.keyword_rank),
            );
        }
        if let Some(v) = &self.recipient_vector {
            c.insert(scoring::RECIPIENT.into(), cos(v.as_slice(), vector));
        }
        if let Some(v) = &self.preference {
            c.insert(scoring::PREFERENCE.into(), cos(v.as_slice(), vector));
        }
        c.insert(
            scoring::POPULARITY.into(),
            scoring::popularity(facts.positive, app.recommend.popularity_scale),
        );
        if let Some(fit) = budget.fit(price) {
            c.insert(scoring::BUDGET_FIT.into(), fit);
        }
        if let Some(share) = facts.category_share {
            c.insert(scoring::CATEGORY.into(), share);
        }
        c
    }
}
