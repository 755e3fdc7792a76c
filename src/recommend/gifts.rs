//! `recommend_gifts`, the engine: candidates from the HNSW index around the blended request
//! vector (filters inside the scan), one documented score (see [`super::scoring`]), MMR for
//! `diversity`, Thompson-sampled exploration slots, rotation within a conversation, and the
//! served request stored for explanations, exploration feedback and experiment reports.

use std::collections::HashSet;

use serde_json::Value;

use crate::app::App;
use crate::search::interpret;
use crate::store::Product;
use crate::store::recommendations::{self, ServedItem, ServedRequest};
use crate::{Error, Result};

use super::diversity::{self, Candidate};
use super::experiments::Strategy;
use super::exploration;
use super::reasons;
use super::scoring::Components;
use super::signals::{self, GiftRequest, Scored, Signals};

/// One recommended product.
#[derive(Debug, Clone)]
pub struct Recommended {
    /// The product.
    pub product: Product,
    /// Its score (the sum of `contributions`).
    pub score: f64,
    /// Component values.
    pub components: Components,
    /// Component contributions.
    pub contributions: Components,
    /// Why, in a sentence built from the components.
    pub reason: String,
    /// An exploration pick.
    pub exploration: bool,
    /// Its embedding (for diversity figures).
    pub vector: Vec<f32>,
}

/// The answer to a gift request.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Stored request id (for explain_recommendation and record_event).
    pub request_id: String,
    /// The products, in order.
    pub items: Vec<Recommended>,
    /// Experiment and arm, when enrolled.
    pub experiment: Option<(String, String)>,
    /// Whether the shopper's taste shaped the list.
    pub personalised: bool,
    /// Things the calling model should know (no history yet, rotation ran dry, ...).
    pub notes: Vec<String>,
    /// Intra-list diversity of the result.
    pub diversity: f64,
}

/// The arm a request falls in, and the strategy, diversity and exploration it gets.
pub struct Plan {
    /// Experiment and arm names.
    pub experiment: Option<(String, String)>,
    /// Ranking strategy.
    pub strategy: Strategy,
    /// Diversity (0..1).
    pub diversity: f64,
    /// Exploration (0..1).
    pub exploration: f64,
}

/// Enrols the request in its experiment (by user id, else conversation id).
pub fn plan(app: &App, req: &GiftRequest) -> Result<Plan> {
    let experiments = &app.recommend.experiments;
    let experiment = match &req.experiment {
        Some(name) => Some(
            experiments
                .iter()
                .find(|e| &e.name == name)
                .ok_or_else(|| {
                    let known: Vec<&str> = experiments.iter().map(|e| e.name.as_str()).collect();
                    Error::unknown(
                        "experiment",
                        if known.is_empty() {
                            format!("no experiment {name:?} is configured (none is)")
                        } else {
                            format!("no experiment {name:?}; configured: {}", known.join(", "))
                        },
                    )
                })?,
        ),
        None => experiments.first(),
    };
    let unit = req.user_id.as_deref().or(req.conversation_id.as_deref());
    let mut p = Plan {
        experiment: None,
        strategy: Strategy::Personalised,
        diversity: req.diversity,
        exploration: req.exploration,
    };
    if let (Some(e), Some(unit)) = (experiment, unit) {
        let arm = e.assign(unit);
        p.experiment = Some((e.name.clone(), arm.name.clone()));
        p.strategy = arm.strategy;
        p.diversity = arm.diversity.unwrap_or(p.diversity);
        p.exploration = arm.exploration.unwrap_or(p.exploration);
    }
    Ok(p)
}

async fn fetch_scored(
    app: &App,
    req: &GiftRequest,
    s: &Signals,
    strategy: Strategy,
    filters: &recommendations::CandidateFilters,
    k: u32,
) -> Result<Vec<Scored>> {
    let query = s.query_vector(app, strategy);
    let items = recommendations::candidates(
        &app.db,
        &app.model,
        &query,
        filters,
        k,
        app.search.ef_search,
    )
    .await?;
    // Keyword evidence re-ranks the vector candidates. Adding the best keyword matches to the
    // pool as well (as hybrid search does) changed nothing on the labelled requests and costs
    // a ts_rank of every matching row (876 rows, 8 ms, at 10k products).
    // The nearest candidates' categories vote on what the request is about (as in search).
    let votes = signals::votes(&items, &query);
    let mut scored = s.score(app, &req.budget, strategy, items, &votes).await?;
    scored.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.item.product.id.cmp(&b.item.product.id))
    });
    Ok(scored)
}

/// Answers a gift request; `input` is stored with it (the call's arguments, for explanations).
pub async fn recommend(app: &App, req: &GiftRequest, input: Value) -> Result<Answer> {
    let plan = plan(app, req)?;
    let shown = async {
        match &req.conversation_id {
            Some(c) => recommendations::shown_in_conversation(&app.db, c).await,
            None => Ok(Vec::new()),
        }
    };
    let (s, shown) = tokio::try_join!(signals::resolve(app, req), shown)?;
    let mut notes = Vec::new();
    if let Some(user) = &req.user_id
        && s.preference.is_none()
    {
        notes.push(format!(
            "user {user:?} has no recorded events yet: results are not personalised to their \
             taste (record_event as they react, and the next call will be)"
        ));
    }

    let mut filters = req.filters.clone();
    if req.exclude_purchased {
        filters
            .exclude_ids
            .extend(s.history.purchased.iter().cloned());
    }
    if req.exclude_dismissed {
        filters
            .exclude_ids
            .extend(s.history.rejected.iter().cloned());
    }
    if let Some(r) = &s.recipient {
        filters
            .exclude_ids
            .extend(r.liked_product_ids.iter().cloned());
        filters
            .exclude_ids
            .extend(r.disliked_product_ids.iter().cloned());
    }
    let base_filters = filters.clone();
    filters.exclude_ids.extend(shown);

    let k = app
        .recommend
        .candidates
        .max(req.limit as u32 * 4)
        .min(crate::store::similarity::MAX_K);
    let mut pool = fetch_scored(app, req, &s, plan.strategy, &filters, k).await?;
    if pool.len() < req.limit && filters.exclude_ids.len() > base_filters.exclude_ids.len() {
        notes.push(
            "everything relevant was already shown in this conversation; repeating earlier \
             suggestions (widen the budget or categories for new ones)"
                .into(),
        );
        pool = fetch_scored(app, req, &s, plan.strategy, &base_filters, k).await?;
    }
    if pool.is_empty() {
        notes.push(
            "no product passes these filters (budget, categories, stock, exclusions); widen them"
                .into(),
        );
    }

    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_os_rng();
    let explore_n = exploration::slots(req.limit.min(pool.len()), plan.exploration, &mut rng);
    let exploit_n = req.limit.min(pool.len()) - explore_n;
    let exploit = mmr_pick(&pool, 1.0 - plan.diversity, exploit_n);

    let mut chosen: Vec<(usize, bool)> = exploit.iter().map(|&i| (i, false)).collect();
    let explored = if explore_n > 0 {
        explore(
            app, req, &s, &plan, &filters, &mut pool, &exploit, explore_n, &mut rng,
        )
        .await?
    } else {
        Vec::new()
    };
    for (slot, idx) in exploration::positions(chosen.len() + explored.len(), explored.len())
        .into_iter()
        .zip(explored)
    {
        chosen.insert(slot.min(chosen.len()), (idx, true));
    }
    // Exploration fell short (no category outside the usual ones passes the filters).
    let mut taken: HashSet<usize> = chosen.iter().map(|(i, _)| *i).collect();
    if chosen.len() < req.limit.min(pool.len()) {
        for i in 0..pool.len() {
            if chosen.len() >= req.limit {
                break;
            }
            if taken.insert(i) {
                chosen.push((i, false));
            }
        }
    }

    let words = req.context.as_deref().map(interpret::keywords);
    let asked = reasons::Asked {
        words: words.as_deref(),
        occasion: req.occasion.as_deref(),
        recipient: s.recipient.as_ref().map(|r| r.name.as_str()),
        interests: s.recipient.as_ref().map_or(&[], |r| r.interests.as_slice()),
    };
    let items: Vec<Recommended> = chosen
        .into_iter()
        .map(|(i, explored)| {
            let sc = &pool[i];
            let p = &sc.item.product;
            let mut reason = reasons::reason(&sc.contributions, p, &req.budget, &asked);
            if explored {
                reason = format!(
                    "Something different ({}, outside the usual categories): {}",
                    p.category,
                    reason.to_lowercase_first()
                );
            }
            Recommended {
                product: p.clone(),
                score: sc.score,
                components: sc.components.clone(),
                contributions: sc.contributions.clone(),
                reason,
                exploration: explored,
                vector: sc.item.vector.clone(),
            }
        })
        .collect();
    let vectors: Vec<&[f32]> = items.iter().map(|i| i.vector.as_slice()).collect();
    let ild = diversity::intra_list_diversity(&vectors);
    let served = ServedRequest {
        user_id: req.user_id.clone(),
        recipient_id: req.recipient_id.clone(),
        conversation_id: req.conversation_id.clone(),
        experiment: plan.experiment.clone(),
        model: app.model.name.clone(),
        input,
        items: items
            .iter()
            .enumerate()
            .map(|(rank, it)| ServedItem {
                product_id: it.product.id.clone(),
                category: it.product.category.clone(),
                rank: rank as i32 + 1,
                score: it.score,
                components: serde_json::to_value(&it.components).unwrap_or_default(),
                contributions: serde_json::to_value(&it.contributions).unwrap_or_default(),
                exploration: it.exploration,
            })
            .collect(),
    };
    let request_id = recommendations::save(&app.db, &served).await?;
    Ok(Answer {
        request_id,
        personalised: s.preference.is_some() && plan.strategy == Strategy::Personalised,
        items,
        experiment: plan.experiment,
        notes,
        diversity: ild,
    })
}

/// MMR over the scored pool with trade-off `lambda`.
fn mmr_pick(pool: &[Scored], lambda: f64, n: usize) -> Vec<usize> {
    if lambda >= 1.0 {
        return (0..n.min(pool.len())).collect();
    }
    let candidates: Vec<Candidate<'_>> = pool
        .iter()
        .map(|s| Candidate {
            relevance: s.score,
            vector: &s.item.vector,
            category: &s.item.product.category,
        })
        .collect();
    diversity::mmr(&candidates, lambda, n, None)
}

/// Picks `n` exploration items (indices into `pool`, which may grow): one per category outside
/// the usual ones, categories in Thompson order, the best-scored item of each.
#[allow(clippy::too_many_arguments)]
async fn explore(
    app: &App,
    req: &GiftRequest,
    s: &Signals,
    plan: &Plan,
    filters: &recommendations::CandidateFilters,
    pool: &mut Vec<Scored>,
    exploit: &[usize],
    n: usize,
    rng: &mut impl rand::Rng,
) -> Result<Vec<usize>> {
    let mut usual: HashSet<String> = s.history.liked_categories.iter().cloned().collect();
    usual.extend(
        exploit
            .iter()
            .map(|&i| pool[i].item.product.category.clone()),
    );
    let outside = |pool: &[Scored]| -> Vec<String> {
        let mut cats: Vec<String> = pool
            .iter()
            .map(|sc| sc.item.product.category.clone())
            .filter(|c| !usual.contains(c))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        cats.sort();
        cats
    };
    if outside(pool).len() < n {
        // The pool is all usual categories: look further, outside them.
        let mut wider = filters.clone();
        wider.exclude_categories.extend(usual.iter().cloned());
        wider
            .exclude_ids
            .extend(pool.iter().map(|sc| sc.item.product.id.clone()));
        let more = fetch_scored(app, req, s, plan.strategy, &wider, 100).await?;
        pool.extend(more);
    }
    let feedback = recommendations::category_feedback(&app.db, app.recommend.window_days).await?;
    let order = exploration::rank_categories(&outside(pool), &feedback, rng);
    let taken: HashSet<usize> = exploit.iter().copied().collect();
    let mut picks = Vec::new();
    for category in order.into_iter().take(n) {
        if let Some(best) = pool
            .iter()
            .enumerate()
            .filter(|(i, sc)| !taken.contains(i) && sc.item.product.category == category)
            .max_by(|a, b| a.1.score.total_cmp(&b.1.score))
        {
            picks.push(best.0);
        }
    }
    Ok(picks)
}

trait LowerFirst {
    fn to_lowercase_first(&self) -> String;
}

impl LowerFirst for String {
    fn to_lowercase_first(&self) -> String {
        let mut c = self.chars();
        match c.next() {
            Some(f) => f.to_lowercase().chain(c).collect(),
            None => String::new(),
        }
    }
}
