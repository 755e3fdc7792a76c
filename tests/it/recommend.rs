//! recommend_gifts: filters hold on every result and the ranking equals a brute-force scoring
//! of the whole catalog; an event changes the next answer; explanations add up to the score
//! that ranked the item; diversity and exploration do what they say; conversations rotate;
//! bad input is refused naming the field.

use std::collections::{BTreeMap, HashSet};

use giftvec::app::App;
use giftvec::recommend::scoring::{self, Budget};
use giftvec::tools::Tool;
use giftvec::tools::explain_recommendation;
use giftvec::tools::recommend_gifts::Output;
use giftvec::tools::record_event::RecordEvent;
use rand::Rng;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::{cosine_distance, rng};
use crate::embed_local::local_settings;
use crate::server::seed;

pub async fn recommend(app: &App, args: Value) -> giftvec::Result<Output> {
    crate::common::call_tool(app, "recommend_gifts", args).await
}

async fn explain(app: &App, args: Value) -> giftvec::Result<explain_recommendation::Output> {
    crate::common::call_tool(app, "explain_recommendation", args).await
}

async fn event(app: &App, user: &str, product: &str, kind: &str, request: Option<&str>) {
    let input = serde_json::from_value(json!({"user_id": user, "product_id": product,
        "kind": kind, "request_id": request}))
    .unwrap();
    RecordEvent::call(app, input).await.unwrap();
}

async fn seeded(pool: &PgPool) -> App {
    let app = App::from_pool(pool.clone(), &local_settings())
        .await
        .unwrap();
    seed(&app).await;
    app
}

/// Every product with its embedding, price, stock and category.
async fn catalog(pool: &PgPool) -> Vec<(String, String, f64, bool, Vec<f32>)> {
    let rows: Vec<(String, String, f64, bool, pgvector::Vector)> = sqlx::query_as(
        "SELECT p.id, p.category, p.price::float8, p.in_stock, e.embedding
         FROM products p JOIN product_embeddings e ON e.product_id = p.id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(a, b, c, d, e)| (a, b, c, d, e.to_vec()))
        .collect()
}

#[sqlx::test]
async fn filters_hold_and_the_ranking_equals_brute_force_scoring(pool: PgPool) {
    let app = seeded(&pool).await;
    let products = catalog(&pool).await;
    let categories: Vec<String> = products
        .iter()
        .map(|p| p.1.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let contexts = [
        "my dad loves fishing and being outdoors",
        "a cosy present for a friend who reads a lot",
        "coffee lover, works from home",
        "teenager into video games and music",
    ];
    let mut r = rng(11);
    for round in 0..12 {
        let context = contexts[round % contexts.len()];
        let max = r.random_range(15.0..120.0f64).round();
        let min = if round % 3 == 0 {
            Some((max / 3.0).round())
        } else {
            None
        };
        let include: Vec<String> = if round % 4 == 1 {
            categories
                .iter()
                .take(r.random_range(2..8))
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        let exclude: Vec<String> = if round % 4 == 2 {
            categories.iter().skip(3).take(4).cloned().collect()
        } else {
            Vec::new()
        };
        let exclude_ids: Vec<String> = products.iter().step_by(5).map(|p| p.0.clone()).collect();
        let in_stock = round % 2 == 0;
        let out = recommend(
            &app,
            json!({"context": context, "budget": {"min": min, "max": max},
                   "categories": include, "exclude_categories": exclude,
                   "exclude_ids": exclude_ids, "in_stock": in_stock, "limit": 8,
                   "diversity": 0.0}),
        )
        .await
        .unwrap();

        // Oracle: score every eligible product by the documented formula, take the top 8.
        let q = app
            .embedder
            .embed(&[context.to_string()])
            .await
            .unwrap()
            .items[0]
            .embedding
            .normalized();
        let budget = Budget {
            min,
            max: Some(max),
        };
        let ranks: std::collections::HashMap<String, f64> = sqlx::query_as(
            "SELECT p.id, ts_rank(p.search_tsv, q.q)::float8 FROM products p,
                    giftvec_keyword_query($1) AS q(q) WHERE p.search_tsv @@ q.q",
        )
        .bind(giftvec::search::interpret::keywords(context))
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
        let eligible: Vec<_> = products
            .iter()
            .filter(|(id, cat, price, stock, _)| {
                min.is_none_or(|m| *price >= m)
                    && *price <= max
                    && (include.is_empty() || include.contains(cat))
                    && !exclude.contains(cat)
                    && !exclude_ids.contains(id)
                    && (!in_stock || *stock)
            })
            .collect();
        // The category vote: the categories of the 10 eligible products nearest the request,
        // each by its cosine to it.
        let mut nearest: Vec<(f64, &String, &String)> = eligible
            .iter()
            .map(|(id, cat, _, _, v)| (cosine_distance(q.as_slice(), v), id, cat))
            .collect();
        nearest.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
        let votes = giftvec::search::category_vote::shares(
            nearest.iter().map(|(d, _, cat)| (cat.as_str(), 1.0 - d)),
        );
        let mut expected: Vec<(f64, String)> = eligible
            .iter()
            .map(|(id, cat, price, _, v)| {
                let c: scoring::Components = [
                    (
                        "context".to_string(),
                        1.0 - cosine_distance(q.as_slice(), v),
                    ),
                    ("popularity".to_string(), 0.0),
                    (
                        "keyword".to_string(),
                        scoring::keyword(ranks.get(id).copied().unwrap_or(0.0)),
                    ),
                    ("budget_fit".to_string(), budget.fit(*price).unwrap()),
                    (
                        "category".to_string(),
                        votes.get(cat.as_str()).copied().unwrap_or(0.0),
                    ),
                ]
                .into();
                let (score, _) = scoring::combine(
                    &c,
                    &app.recommend.weights,
                    giftvec::recommend::experiments::Strategy::Personalised,
                );
                (score, id.clone())
            })
            .collect();
        expected.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        expected.truncate(8);
        let got: Vec<(f64, String)> = out
            .recommendations
            .iter()
            .map(|x| (x.score, x.product.id.clone()))
            .collect();
        assert_eq!(got.len(), expected.len(), "round {round}");
        for ((gs, gid), (es, eid)) in got.iter().zip(&expected) {
            assert!(
                (gs - es).abs() < 1e-5,
                "round {round}: {gid} {gs} vs {eid} {es}"
            );
        }
        let got_ids: HashSet<&String> = got.iter().map(|g| &g.1).collect();
        let want_ids: HashSet<&String> = expected.iter().map(|e| &e.1).collect();
        assert_eq!(got_ids, want_ids, "round {round}");
        for rec in &out.recommendations {
            let sum: f64 = rec.contributions.values().sum();
            assert!((sum - rec.score).abs() < 1e-12);
            assert!(!rec.reason.is_empty());
        }
    }
}

#[sqlx::test]
async fn an_event_changes_the_very_next_recommendation(pool: PgPool) {
    let app = seeded(&pool).await;
    let args = json!({"user_id": "shopper", "context": "a thoughtful gift for a friend",
                      "limit": 10, "diversity": 0.0});
    let first = recommend(&app, args.clone()).await.unwrap();
    assert!(!first.personalised);
    assert!(first.notes.iter().any(|n| n.contains("no recorded events")));
    let top = first.recommendations[0].product.id.clone();

    // Dismissing the top pick removes it; liking fishing gear pulls fishing up.
    event(&app, "shopper", &top, "dismiss", Some(&first.request_id)).await;
    let fishing: Vec<String> =
        sqlx::query_scalar("SELECT id FROM products WHERE category = 'Fishing' ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(fishing.len() >= 3);
    event(&app, "shopper", &fishing[0], "purchase", None).await;
    for id in &fishing[1..] {
        event(&app, "shopper", id, "like", None).await;
    }
    let second = recommend(&app, args).await.unwrap();
    assert!(second.personalised);
    let ids: Vec<&str> = second
        .recommendations
        .iter()
        .map(|r| r.product.id.as_str())
        .collect();
    assert!(!ids.contains(&top.as_str()), "dismissed {top} came back");
    assert!(
        !ids.contains(&fishing[0].as_str()),
        "the purchase came back"
    );
    let fishy = |o: &Output| {
        o.recommendations
            .iter()
            .filter(|r| r.product.category == "Fishing")
            .count()
    };
    assert!(
        fishy(&second) > fishy(&first),
        "{} vs {}",
        fishy(&second),
        fishy(&first)
    );
    assert!(
        second
            .recommendations
            .iter()
            .all(|r| r.components.contains_key("preference"))
    );
}

#[sqlx::test]
async fn explanations_add_up_to_the_score_that_ranked_the_item(pool: PgPool) {
    let app = seeded(&pool).await;
    let recipient = json!({"description": "my dad, retired, fishes every weekend",
                           "interests": ["fishing", "coffee"]});
    let out = recommend(
        &app,
        json!({"context": "birthday present", "recipient": recipient,
               "budget": {"max": 80}, "limit": 6, "exploration": 0.34}),
    )
    .await
    .unwrap();
    assert_eq!(out.recommendations.len(), 6);
    for rec in &out.recommendations {
        let e = explain(
            &app,
            json!({"request_id": out.request_id, "product_id": rec.product.id}),
        )
        .await
        .unwrap();
        assert!(e.from_request);
        assert_eq!(e.score, rec.score);
        assert_eq!(e.rank, Some(rec.rank as i32));
        assert_eq!(e.exploration, rec.exploration);
        let sum: f64 = e.contributions.values().sum();
        assert!((sum - e.score).abs() < 1e-12);
        assert!(e.summary.contains(&rec.product.title));
        assert!(e.summary.contains(&format!("{:.2}", e.score)));
        assert_eq!(e.price.within_budget, Some(true));
        // Claims in the summary come from the fields.
        for interest in ["fishing", "coffee"] {
            if e.summary.contains(&format!("interests {interest}")) {
                assert!(e.matching_interests.iter().any(|i| i == interest));
            }
        }
        if e.exploration {
            assert!(e.summary.contains("exploration pick"));
        }
    }

    // A product not in the answer is scored afresh under the same request, the same way as
    // with the request described again.
    let shown: HashSet<&str> = out
        .recommendations
        .iter()
        .map(|r| r.product.id.as_str())
        .collect();
    let other: String = sqlx::query_scalar(
        "SELECT id FROM products WHERE price <= 80 AND in_stock ORDER BY id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(!shown.contains(other.as_str()));
    let by_request = explain(
        &app,
        json!({"request_id": out.request_id, "product_id": other}),
    )
    .await
    .unwrap();
    let by_fields = explain(
        &app,
        json!({"product_id": other, "context": "birthday present", "recipient": recipient,
               "budget": {"max": 80}}),
    )
    .await
    .unwrap();
    assert!(!by_request.from_request && by_request.rank.is_none());
    assert!((by_request.score - by_fields.score).abs() < 1e-9);
    let contributions: BTreeMap<String, f64> = by_fields.contributions;
    assert!((contributions.values().sum::<f64>() - by_fields.score).abs() < 1e-12);

    for (args, code, field) in [
        (
            json!({"request_id": "rec_nope", "product_id": other}),
            "not_found",
            None,
        ),
        (
            json!({"product_id": "nope", "context": "x"}),
            "not_found",
            None,
        ),
        (
            json!({"product_id": other}),
            "invalid_input",
            Some("context"),
        ),
    ] {
        let err = explain(&app, args).await.unwrap_err();
        assert_eq!(err.code(), code);
        if let (Some(f), giftvec::Error::InvalidInput { field, .. }) = (field, &err) {
            assert_eq!(field, f);
        }
    }
}

#[sqlx::test]
async fn diversity_and_exploration_do_what_they_say(pool: PgPool) {
    let app = seeded(&pool).await;
    let args = |diversity: f64| {
        json!({"context": "something for someone who loves coffee", "limit": 8,
               "diversity": diversity})
    };
    let plain = recommend(&app, args(0.0)).await.unwrap();
    let varied = recommend(&app, args(0.7)).await.unwrap();
    assert!(
        varied.diversity > plain.diversity + 0.02,
        "{} vs {}",
        varied.diversity,
        plain.diversity
    );
    let cats = |o: &Output| {
        o.recommendations
            .iter()
            .map(|r| r.product.category.clone())
            .collect::<HashSet<_>>()
            .len()
    };
    assert!(cats(&varied) >= cats(&plain));

    // A shopper whose history is all fishing: exploration picks come from elsewhere, at the
    // share asked for over many calls.
    let fishing: Vec<String> =
        sqlx::query_scalar("SELECT id FROM products WHERE category = 'Fishing'")
            .fetch_all(&pool)
            .await
            .unwrap();
    for id in &fishing {
        event(&app, "angler", id, "like", None).await;
    }
    let (mut explored, mut shown) = (0, 0);
    for _ in 0..30 {
        let out = recommend(
            &app,
            json!({"user_id": "angler", "context": "a gift for me", "limit": 10,
                   "exploration": 0.3, "exclude_purchased": false}),
        )
        .await
        .unwrap();
        for r in &out.recommendations {
            shown += 1;
            if r.exploration {
                explored += 1;
                assert_ne!(r.product.category, "Fishing");
                assert!(r.reason.starts_with("Something different"));
            }
        }
    }
    let share = explored as f64 / shown as f64;
    // Binomial over 30 calls of 10 slots at 0.3 (sd ≈ 0.026): within 4 sd.
    assert!((share - 0.3).abs() < 0.105, "exploration share {share}");
}

#[sqlx::test]
async fn a_conversation_rotates_instead_of_repeating(pool: PgPool) {
    let app = seeded(&pool).await;
    let args = json!({"context": "gift for a coffee lover", "conversation_id": "c-1", "limit": 5});
    let first = recommend(&app, args.clone()).await.unwrap();
    let second = recommend(&app, args).await.unwrap();
    let a: HashSet<String> = first
        .recommendations
        .iter()
        .map(|r| r.product.id.clone())
        .collect();
    assert_eq!(a.len(), 5);
    for r in &second.recommendations {
        assert!(!a.contains(&r.product.id), "{} repeated", r.product.id);
    }
    // Another conversation starts afresh.
    let other = recommend(
        &app,
        json!({"context": "gift for a coffee lover", "conversation_id": "c-2", "limit": 5}),
    )
    .await
    .unwrap();
    assert_eq!(
        other.recommendations[0].product.id,
        first.recommendations[0].product.id
    );
}

#[sqlx::test]
async fn a_saved_recipient_steers_and_is_rebuilt_for_the_current_model(pool: PgPool) {
    let app = seeded(&pool).await;
    let saved = giftvec::tools::upsert_recipient::UpsertRecipient::call(
        &app,
        serde_json::from_value(json!({"user_id": "u1", "name": "dad",
            "description": "loves fly fishing on quiet rivers", "interests": ["fishing"]}))
        .unwrap(),
    )
    .await
    .unwrap();
    let id = saved.recipient.id;
    // As after a model switch: no profile vector under the serving model.
    sqlx::query("DELETE FROM recipient_vectors")
        .execute(&pool)
        .await
        .unwrap();
    let out = recommend(
        &app,
        json!({"user_id": "u1", "recipient_id": id, "limit": 5}),
    )
    .await
    .unwrap();
    let fishing = out
        .recommendations
        .iter()
        .filter(|r| r.product.category == "Fishing")
        .count();
    assert!(fishing >= 2, "{fishing} fishing picks");
    assert!(out.recommendations[0].components.contains_key("recipient"));
    let rebuilt: i64 = sqlx::query_scalar("SELECT count(*) FROM recipient_vectors")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rebuilt, 1);
    let err = recommend(&app, json!({"user_id": "u2", "recipient_id": id}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
}

#[sqlx::test]
async fn bad_requests_name_the_field(pool: PgPool) {
    let app = seeded(&pool).await;
    let stored_before: i64 = sqlx::query_scalar("SELECT count(*) FROM products")
        .fetch_one(&pool)
        .await
        .unwrap();
    let cases = [
        (json!({}), "context"),
        (json!({"context": ""}), "context"),
        (json!({"context": "x".repeat(5000)}), "context"),
        (json!({"user_id": "nobody"}), "user_id"),
        (json!({"recipient_id": "r_1"}), "recipient_id"),
        (
            json!({"context": "x", "budget": {"min": 50, "max": 10}}),
            "budget.min",
        ),
        (json!({"context": "x", "budget": {"max": -1}}), "budget.max"),
        (json!({"context": "x", "limit": 1000}), "limit"),
        (json!({"context": "x", "diversity": 2}), "diversity"),
        (json!({"context": "x", "exploration": -0.1}), "exploration"),
        (json!({"recipient": {"interests": []}}), "recipient"),
        (
            json!({"context": "'; DROP TABLE products; --", "exclude_ids": [""]}),
            "exclude_ids",
        ),
    ];
    for (args, field) in cases {
        let err = recommend(&app, args.clone()).await.unwrap_err();
        match &err {
            giftvec::Error::InvalidInput { field: f, .. } => {
                assert!(f.starts_with(field), "{args}: {f}")
            }
            other => panic!("{args}: {other:?}"),
        }
    }
    let err = recommend(&app, json!({"user_id": "u", "recipient_id": "r_unknown"}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
    // A well-formed category no product has names nothing: not_found, naming the field.
    let err = recommend(&app, json!({"context": "x", "categories": ["Fishng"]}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
    assert!(
        err.to_string().starts_with("categories: no product has"),
        "{err}"
    );
    let err = recommend(&app, json!({"context": "x", "experiment": "nope"}))
        .await
        .unwrap_err();
    assert_eq!((err.code(), err.field()), ("not_found", Some("experiment")));
    let ok = recommend(&app, json!({"context": "'; DROP TABLE products; --"})).await;
    assert!(ok.is_ok());
    let stored_after: i64 = sqlx::query_scalar("SELECT count(*) FROM products")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored_before, stored_after);
}

#[sqlx::test]
async fn experiments_assign_sticky_arms_and_report_what_happened(pool: PgPool) {
    use giftvec::tools::experiment_report::{ExperimentReport, Input as ReportInput};
    let mut app = seeded(&pool).await;
    let mut settings = (*app.recommend).clone();
    settings.experiments = giftvec::recommend::experiments::parse(
        r#"[{"name": "recs-v1", "arms": [
              {"name": "baseline", "share": 0.5, "strategy": "popularity"},
              {"name": "personalised", "share": 0.5, "strategy": "personalised", "diversity": 0.5}]}]"#,
    )
    .unwrap();
    app.recommend = std::sync::Arc::new(settings);

    let (mut impressions, mut clicks, mut buys) = (
        BTreeMap::<String, u64>::new(),
        BTreeMap::<String, u64>::new(),
        BTreeMap::<String, u64>::new(),
    );
    for u in 0..24 {
        let user = format!("user-{u}");
        let args = json!({"user_id": user, "context": "a present for a tea lover", "limit": 4});
        let out = recommend(&app, args.clone()).await.unwrap();
        let arm = out.experiment.clone().unwrap();
        assert_eq!(arm.name, "recs-v1");
        let again = recommend(&app, args).await.unwrap();
        assert_eq!(again.experiment.unwrap().arm, arm.arm, "sticky");
        *impressions.entry(arm.arm.clone()).or_default() += 8;
        // The personalised arm's shoppers click the first item and buy the second.
        if arm.arm == "personalised" {
            let (a, b) = (
                &out.recommendations[0].product.id,
                &out.recommendations[1].product.id,
            );
            event(&app, &user, a, "click", Some(&out.request_id)).await;
            event(&app, &user, a, "view", Some(&out.request_id)).await;
            event(&app, &user, b, "purchase", Some(&out.request_id)).await;
            *clicks.entry(arm.arm.clone()).or_default() += 2;
            *buys.entry(arm.arm.clone()).or_default() += 1;
        }
    }
    assert_eq!(impressions.len(), 2, "both arms used: {impressions:?}");
    let report = ExperimentReport::call(&app, ReportInput::default())
        .await
        .unwrap();
    assert_eq!(
        (report.experiment.as_str(), report.baseline.as_str()),
        ("recs-v1", "baseline")
    );
    for a in &report.arms {
        assert_eq!(a.impressions, impressions[&a.arm], "{}", a.arm);
        assert_eq!(
            a.clicks,
            clicks.get(&a.arm).copied().unwrap_or(0),
            "{}",
            a.arm
        );
        assert_eq!(
            a.conversions,
            buys.get(&a.arm).copied().unwrap_or(0),
            "{}",
            a.arm
        );
        assert!(a.ctr.low <= a.ctr.value && a.ctr.value <= a.ctr.high);
    }
    let personalised = report
        .arms
        .iter()
        .find(|a| a.arm == "personalised")
        .unwrap();
    assert_eq!(personalised.significant, Some(true), "{report:?}");
    assert!(
        report.conclusion.starts_with("personalised beats baseline"),
        "{}",
        report.conclusion
    );
    let err = ExperimentReport::call(
        &app,
        ReportInput {
            experiment: None,
            baseline: Some("nope".into()),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
}

#[sqlx::test]
async fn diversify_reranks_for_variety_and_refuses_huge_lists(pool: PgPool) {
    use giftvec::tools::diversify::Output as Diversified;
    let app = seeded(&pool).await;
    let call = |args: Value| {
        let app = app.clone();
        async move { crate::common::call_tool::<Diversified>(&app, "diversify", args).await }
    };
    // A samey list: the coffee products first, then the rest.
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM products ORDER BY category <> 'Coffee & Tea', id LIMIT 40",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let out: Diversified = call(json!({"product_ids": ids, "lambda": 0.3, "limit": 6}))
        .await
        .unwrap();
    assert_eq!(out.results.len(), 6);
    assert_eq!(
        out.results[0].product.id, ids[0],
        "the most relevant stays first"
    );
    assert!(out.diversity_after > out.diversity_before + 0.05, "{out:?}");
    assert!(out.categories_after > out.categories_before);
    let kept = call(json!({"product_ids": ids, "lambda": 1.0, "limit": 6}))
        .await
        .unwrap();
    let order: Vec<&String> = kept.results.iter().map(|h| &h.product.id).collect();
    assert_eq!(
        order,
        ids.iter().take(6).collect::<Vec<_>>(),
        "lambda 1 keeps the order"
    );
    let capped =
        call(json!({"product_ids": ids, "lambda": 1.0, "limit": 10, "max_per_category": 2}))
            .await
            .unwrap();
    let mut per: BTreeMap<String, usize> = BTreeMap::new();
    for h in &capped.results {
        *per.entry(h.product.category.clone()).or_default() += 1;
    }
    assert!(per.values().all(|&n| n <= 2), "{per:?}");
    let searched = call(json!({"query": "coffee", "lambda": 0.5, "limit": 5}))
        .await
        .unwrap();
    assert_eq!(searched.results.len(), 5);

    let huge: Vec<String> = (0..10_000).map(|i| format!("p{i}")).collect();
    for (args, field) in [
        (json!({"product_ids": huge}), "product_ids"),
        (json!({"product_ids": ["a", "a"]}), "product_ids"),
        (json!({}), "product_ids"),
        (json!({"product_ids": ids, "lambda": 1.5}), "lambda"),
        (json!({"product_ids": ids, "scores": [1.0]}), "scores"),
        (json!({"product_ids": ids, "limit": 0}), "limit"),
    ] {
        match call(args.clone()).await.unwrap_err() {
            giftvec::Error::InvalidInput { field: f, message } => {
                assert_eq!(f, field, "{args}");
                if args["product_ids"]
                    .as_array()
                    .is_some_and(|a| a.len() == 10_000)
                {
                    assert!(message.contains("limit is 200"), "{message}");
                }
            }
            other => panic!("{args}: {other:?}"),
        }
    }
}
