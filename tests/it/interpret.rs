//! Query understanding end to end: what search_products and recommend_gifts read from the
//! request holds on every result, is reported, and `interpret: false` searches the text as
//! written.

use giftvec::app::App;
use giftvec::search::products::{self as product_search, SearchRequest};
use giftvec::store::ProductFilters;
use giftvec::tools::Tool;
use giftvec::tools::recommend_gifts::{self, RecommendGifts};
use giftvec::tools::search_products::{self, SearchProducts};
use giftvec::tools::views::ProductView;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::embed_local::local_settings;
use crate::server::seed;

async fn search(app: &App, args: Value) -> search_products::Output {
    let input: search_products::Input = serde_json::from_value(args).unwrap();
    SearchProducts::call(app, input).await.unwrap()
}

async fn recommend(app: &App, args: Value) -> recommend_gifts::Output {
    let input: recommend_gifts::Input = serde_json::from_value(args).unwrap();
    RecommendGifts::call(app, input).await.unwrap()
}

/// Whether the product's title, category or tags name `term` (plain substring, independent
/// of the full-text filter under test).
fn names(p: &ProductView, term: &str) -> bool {
    let text = format!("{} {} {}", p.title, p.category, p.tags.join(" ")).to_lowercase();
    text.contains(term)
}

/// A request, its lowest and highest price, in stock only, and a term no result may name.
type Case = (
    &'static str,
    Option<f64>,
    Option<f64>,
    bool,
    Option<&'static str>,
);

const REQUESTS: &[Case] = &[
    (
        "coffee gift under $30, not a mug",
        None,
        Some(30.0),
        false,
        Some("mug"),
    ),
    (
        "something for a gardener between 20 and 60 dollars, in stock",
        Some(20.0),
        Some(60.0),
        true,
        None,
    ),
    (
        "gift for my wife who likes cooking, no jewellery, about 40 dollars",
        Some(30.0),
        Some(50.0),
        false,
        Some("jewel"),
    ),
    (
        "board games for a family, less than 25 euros",
        None,
        Some(25.0),
        false,
        None,
    ),
];

#[sqlx::test]
async fn constraints_read_from_the_request_hold_on_every_result(pool: PgPool) {
    let app = App::from_pool(pool, &local_settings()).await.unwrap();
    seed(&app).await;
    for &(query, min, max, in_stock, excluded) in REQUESTS {
        let out = search(&app, json!({"query": query, "limit": 50})).await;
        let read = out
            .interpreted
            .as_ref()
            .unwrap_or_else(|| panic!("{query}: nothing read"));
        assert_eq!((read.min_price, read.max_price), (min, max), "{query}");
        assert_eq!(read.in_stock, in_stock.then_some(true), "{query}");
        assert!(!read.searched_for.is_empty() && read.searched_for.len() < query.len());
        assert!(!out.results.is_empty(), "{query}: no results");
        for hit in &out.results {
            let p = &hit.product;
            assert!(
                min.is_none_or(|m| p.price >= m) && max.is_none_or(|m| p.price <= m),
                "{query}: {} at {}",
                p.id,
                p.price
            );
            assert!(!in_stock || p.in_stock, "{query}: {} out of stock", p.id);
            if let Some(term) = excluded {
                assert!(!names(p, term), "{query}: {} names {term}", p.title);
            }
        }
        // The constraints did something: as written, the same request reaches products they
        // rule out.
        let raw = search(
            &app,
            json!({"query": query, "limit": 50, "interpret": false}),
        )
        .await;
        assert!(raw.interpreted.is_none());
        assert!(
            raw.results.iter().any(|h| {
                let p = &h.product;
                min.is_some_and(|m| p.price < m)
                    || max.is_some_and(|m| p.price > m)
                    || (in_stock && !p.in_stock)
                    || excluded.is_some_and(|t| names(p, t))
            }),
            "{query}: the catalog slice cannot show the constraint"
        );
    }
}

#[sqlx::test]
async fn explicit_filters_win_over_the_text(pool: PgPool) {
    let app = App::from_pool(pool, &local_settings()).await.unwrap();
    seed(&app).await;
    let out = search(
        &app,
        json!({"query": "coffee gift under $30", "limit": 50, "filters": {"max_price": 80}}),
    )
    .await;
    assert!(out.results.iter().all(|h| h.product.price <= 80.0));
    assert!(out.results.iter().any(|h| h.product.price > 30.0));
    // Read, but not applied: not reported as applied.
    let read = out.interpreted.unwrap();
    assert_eq!(read.max_price, None);
    assert_eq!(read.understood, ["under $30"]);
}

#[sqlx::test]
async fn interpret_false_searches_the_request_as_written(pool: PgPool) {
    let app = App::from_pool(pool, &local_settings()).await.unwrap();
    seed(&app).await;
    let query = "something for my dad who loves fishing, under $40, not a hat";
    let out = search(
        &app,
        json!({"query": query, "limit": 20, "interpret": false}),
    )
    .await;
    let filters = ProductFilters::default();
    let raw = product_search::search(
        &app,
        &SearchRequest {
            query,
            keywords: query,
            mode: product_search::Mode::Hybrid,
            depth: 21,
            filters: &filters,
            fusion: app.search.fusion,
            expand: false,
            user_id: None,
            personal_weight: 0.0,
        },
    )
    .await
    .unwrap();
    let ids = |v: Vec<String>| v;
    assert_eq!(
        ids(out.results.iter().map(|h| h.product.id.clone()).collect()),
        ids(raw
            .hits
            .iter()
            .take(20)
            .map(|h| h.product.id.clone())
            .collect())
    );
    for (a, b) in out.results.iter().zip(&raw.hits) {
        assert_eq!(a.score, b.score);
    }
}

#[sqlx::test]
async fn recommend_gifts_reads_the_budget_and_exclusions_in_context(pool: PgPool) {
    let app = App::from_pool(pool, &local_settings()).await.unwrap();
    seed(&app).await;
    let teacher = recommend(
        &app,
        json!({"context": "a thank-you gift for my son's teacher, about 20 dollars", "limit": 8}),
    )
    .await;
    let read = teacher.interpreted.as_ref().unwrap();
    assert_eq!((read.min_price, read.max_price), (Some(15.0), Some(25.0)));
    assert!(!teacher.recommendations.is_empty());
    for r in &teacher.recommendations {
        assert!(
            (15.0..=25.0).contains(&r.product.price),
            "{} at {}",
            r.product.title,
            r.product.price
        );
    }
    let wife = recommend(
        &app,
        json!({"context": "anniversary gift for my wife who likes wine and cooking, not jewellery", "limit": 10}),
    )
    .await;
    assert_eq!(
        wife.interpreted.as_ref().unwrap().excluded_terms,
        ["jewellery"]
    );
    assert!(
        wife.recommendations
            .iter()
            .all(|r| !names(&r.product, "jewel"))
    );
    // The budget field wins over the text.
    let set = recommend(
        &app,
        json!({"context": "a gift for my teacher, about 20 dollars", "budget": {"max": 90}, "limit": 10}),
    )
    .await;
    assert!(set.recommendations.iter().any(|r| r.product.price > 25.0));
}

/// The sorted titles a keyword search for "gift" returns with `terms` excluded.
async fn titles_kept(pool: &PgPool, terms: &[&str]) -> Vec<String> {
    let filters = ProductFilters {
        exclude_terms: terms.iter().map(|t| t.to_string()).collect(),
        ..Default::default()
    };
    let mut titles: Vec<String> = giftvec::store::keyword::search(pool, "gift", &filters, 50, &[])
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.product.title)
        .collect();
    titles.sort();
    titles
}

#[sqlx::test]
async fn an_excluded_term_names_words_not_the_ends_of_compounds(pool: PgPool) {
    use giftvec::store::products::upsert_batch;
    let titles = [
        "Football",
        "Tennis Ball",
        "Spiral Notebook",
        "Picture Book",
        "Alto Saxophone",
    ];
    let mut rows = crate::common::products(titles.len());
    for (row, title) in rows.iter_mut().zip(titles) {
        row.title = title.into();
        row.category = "Gifts".into();
        row.description = "A gift".into();
        row.tags = vec![];
    }
    upsert_batch(&pool, &rows).await.unwrap();
    // "no balls" rules out the ball; a compound that ends in the word stays, as "no books"
    // must not rule out a notebook, nor "no phones" a saxophone.
    assert_eq!(
        titles_kept(&pool, &["balls"]).await,
        [
            "Alto Saxophone",
            "Football",
            "Picture Book",
            "Spiral Notebook"
        ]
    );
    assert_eq!(
        titles_kept(&pool, &["books"]).await,
        [
            "Alto Saxophone",
            "Football",
            "Spiral Notebook",
            "Tennis Ball"
        ]
    );
    assert_eq!(titles_kept(&pool, &["phones"]).await.len(), 5);
}

#[sqlx::test]
async fn an_excluded_term_rules_out_what_names_it_but_not_what_is_free_of_it(pool: PgPool) {
    use giftvec::store::products::upsert_batch;
    let mut rows = crate::common::products(7);
    let items = [
        ("Alcohol-Free Gin", "Drinks", "A gift"),
        ("Non-alcoholic Craft Beer", "Drinks", "A gift"),
        ("Whisky Tasting Set", "Alcohol", "A gift"),
        ("Jewelry Box", "Storage", "A gift"),
        ("Silver Bracelet", "Jewelry", "A gift"),
        (
            "Herbal Tea Set",
            "Tea",
            "A gift with no alcohol, and no jewellery",
        ),
        ("Coffee Mugs", "Kitchen", "A gift"),
    ];
    for (row, (title, category, description)) in rows.iter_mut().zip(items) {
        row.title = title.into();
        row.category = category.into();
        row.description = description.into();
        row.tags = vec![];
    }
    upsert_batch(&pool, &rows).await.unwrap();
    assert_eq!(
        titles_kept(&pool, &[]).await.len(),
        7,
        "{:?}",
        titles_kept(&pool, &[]).await
    );
    // Named in the title or category: out; free of it, or only in a description: kept.
    assert_eq!(
        titles_kept(&pool, &["alcohol"]).await,
        [
            "Alcohol-Free Gin",
            "Coffee Mugs",
            "Herbal Tea Set",
            "Jewelry Box",
            "Non-alcoholic Craft Beer",
            "Silver Bracelet"
        ]
    );
    // Either spelling, and plurals, through the stemmer.
    assert_eq!(
        titles_kept(&pool, &["jewellery", "mug"]).await,
        [
            "Alcohol-Free Gin",
            "Herbal Tea Set",
            "Non-alcoholic Craft Beer",
            "Whisky Tasting Set"
        ]
    );
    // Query syntax in a term is only text.
    assert_eq!(
        titles_kept(&pool, &["'); DROP TABLE products; --", "a & !b | c:*"])
            .await
            .len(),
        7
    );
    assert_eq!(titles_kept(&pool, &["the", "   "]).await.len(), 7);
}
