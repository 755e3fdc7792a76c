//! BM25F keyword scoring (`store::bm25`) against a brute-force computation in Rust over the
//! same rows: PostgreSQL's `english` parser gives each field's lexemes and their counts, and
//! everything else (document frequencies, IDF, field lengths, their averages, length
//! normalisation, saturation) is computed here from the products as they are. The index and
//! its statistics are checked to stay current through inserts, updates, price-only updates,
//! deletes, an attribute configuration change and a truncate.

use std::collections::{BTreeMap, HashMap};

use giftvec::store::bm25::{self, Bm25Params, GATE_MIN_DOCS, Gate};
use giftvec::store::{self, NewProduct, ProductFilters};
use serde_json::json;
use sqlx::PgPool;

/// Per product, per field (title, category, tags, description, attributes), lexeme → count.
type Corpus = BTreeMap<String, [HashMap<String, f64>; 5]>;

const NO_GATE: Gate = Gate {
    share: 0.0,
    min_docs: GATE_MIN_DOCS,
};

fn product(id: &str, title: &str, category: &str, tags: &[&str], description: &str) -> NewProduct {
    NewProduct {
        id: id.into(),
        sku: None,
        title: title.into(),
        description: description.into(),
        category: category.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        price: 20.0,
        currency: "USD".into(),
        in_stock: true,
        attributes: json!({"material": "walnut wood", "colour": "red"}),
    }
}

fn catalog() -> Vec<NewProduct> {
    vec![
        product(
            "a",
            "Espresso cup set",
            "Coffee",
            &["espresso", "cups"],
            "Two espresso cups.",
        ),
        product(
            "b",
            "Coffee grinder",
            "Coffee",
            &["coffee", "burr"],
            "A burr grinder for coffee beans, coffee lovers' favourite.",
        ),
        product(
            "c",
            "Fly fishing reel",
            "Fishing",
            &["fishing", "reel"],
            "A light reel for fly fishing on rivers.",
        ),
        product("d", "Fishing rod", "Fishing", &["rod"], "Carbon rod."),
        product(
            "e",
            "Tea sampler",
            "Tea",
            &["tea", "gift"],
            "Twelve teas for a tea lover: green, black and white tea.",
        ),
        product(
            "f",
            "Chess set",
            "Games",
            &["chess", "wood"],
            "Hand-carved walnut chess set with a folding board.",
        ),
        product(
            "g",
            "Coffee table book about tea and coffee",
            "Books",
            &[],
            "",
        ),
        product("h", "The", "Misc", &[], "A"),
    ]
}

/// Each product's lexeme counts per field, from the database's own parser.
async fn corpus(pool: &PgPool) -> Corpus {
    let rows: Vec<(String, i32, String, i32)> = sqlx::query_as(
        "SELECT p.id, f.field, u.lexeme, cardinality(u.positions)
         FROM products p
         CROSS JOIN LATERAL (VALUES (1, p.title), (2, p.category),
                                    (3, array_to_string(p.tags, ' ')), (4, p.description),
                                    (5, (SELECT string_agg(p.attributes ->> a.key, ' ' ORDER BY a.key)
                                         FROM embedding_text_attributes a
                                         WHERE p.attributes ? a.key))) AS f(field, body)
         CROSS JOIN LATERAL unnest(to_tsvector('english', coalesce(f.body, ''))) AS u",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM products")
        .fetch_all(pool)
        .await
        .unwrap();
    let mut corpus: Corpus = ids.into_iter().map(|id| (id, Default::default())).collect();
    for (id, field, lexeme, count) in rows {
        corpus.get_mut(&id).unwrap()[field as usize - 1].insert(lexeme, f64::from(count));
    }
    corpus
}

async fn lexemes(pool: &PgPool, text: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT tsvector_to_array(to_tsvector('english', $1))")
        .bind(text)
        .fetch_one(pool)
        .await
        .unwrap()
}

fn length(field: &HashMap<String, f64>) -> f64 {
    field.values().sum()
}

/// BM25F of every product holding one of `terms`, and its coverage, computed from scratch.
fn brute_force(corpus: &Corpus, terms: &[String], p: &Bm25Params) -> BTreeMap<String, (f64, f64)> {
    let n = corpus.len() as f64;
    let avg: Vec<f64> = (0..5)
        .map(|f| corpus.values().map(|d| length(&d[f])).sum::<f64>() / n)
        .collect();
    let idf = |t: &String| {
        let df = corpus
            .values()
            .filter(|d| d.iter().any(|f| f.contains_key(t)))
            .count() as f64;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    };
    let total: f64 = terms.iter().map(idf).sum();
    let mut out = BTreeMap::new();
    for (id, doc) in corpus {
        let (mut score, mut matched) = (0.0, 0.0);
        for t in terms {
            let tf: f64 = (0..5)
                .filter_map(|f| {
                    let count = *doc[f].get(t)?;
                    let norm = 1.0 - p.b[f] + p.b[f] * length(&doc[f]) / avg[f];
                    Some(p.weights[f] * count / norm)
                })
                .sum();
            if tf > 0.0 {
                score += idf(t) * tf / (p.k1 + tf);
                matched += idf(t);
            }
        }
        if score > 0.0 {
            out.insert(id.clone(), (score, matched / total));
        }
    }
    out
}

/// What the store ranks for `query`, as id → (score, coverage), checked to be in score order.
async fn ranked(pool: &PgPool, query: &str, p: &Bm25Params) -> BTreeMap<String, (f64, f64)> {
    let hits = bm25::search(pool, query, &ProductFilters::default(), 100, NO_GATE, p)
        .await
        .unwrap();
    assert!(hits.windows(2).all(|w| w[0].rank >= w[1].rank), "{query}");
    hits.into_iter()
        .map(|h| (h.product.id, (h.rank, h.coverage)))
        .collect()
}

async fn assert_matches_brute_force(pool: &PgPool, queries: &[&str], p: &Bm25Params) {
    let corpus = corpus(pool).await;
    for query in queries {
        let expected = brute_force(&corpus, &lexemes(pool, query).await, p);
        let got = ranked(pool, query, p).await;
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{query}"
        );
        for (id, (score, coverage)) in &expected {
            let (s, c) = got[id];
            assert!((s - score).abs() < 1e-9, "{query} {id}: {s} vs {score}");
            assert!(
                (c - coverage).abs() < 1e-9,
                "{query} {id}: {c} vs {coverage}"
            );
        }
    }
}

const QUERIES: [&str; 6] = [
    "coffee lover",
    "espresso cups for a coffee lover",
    "fly fishing reel",
    "tea",
    "walnut chess board",
    "red wood",
];

#[sqlx::test]
async fn scores_equal_a_brute_force_computation(pool: PgPool) {
    store::products::upsert_batch(&pool, &catalog())
        .await
        .unwrap();
    assert_matches_brute_force(&pool, &QUERIES, &Bm25Params::default()).await;
    let other = Bm25Params {
        k1: 2.0,
        weights: [1.0, 0.5, 4.0, 2.0, 3.0],
        b: [1.0, 0.0, 0.25, 1.0, 0.9],
    };
    assert_matches_brute_force(&pool, &QUERIES, &other).await;

    // A rarer word outweighs a commoner one: the grinder ("coffee" thrice) ranks below the
    // cups for "espresso coffee", as "espresso" is in one product and "coffee" in three.
    let hits = ranked(&pool, "espresso coffee", &Bm25Params::default()).await;
    assert!(hits["a"].0 > hits["b"].0);
    // Nothing in the catalog: no hits; a stop word only: no hits.
    assert!(
        ranked(&pool, "zeppelin", &Bm25Params::default())
            .await
            .is_empty()
    );
    assert!(
        ranked(&pool, "the", &Bm25Params::default())
            .await
            .is_empty()
    );
}

#[sqlx::test]
async fn the_statistics_stay_current_through_every_kind_of_write(pool: PgPool) {
    let p = Bm25Params::default();
    let mut rows = catalog();
    store::products::upsert_batch(&pool, &rows).await.unwrap();

    rows[0].title = "Espresso machine".into();
    rows[3].description = "Carbon rod for fly fishing, with a reel seat.".into();
    store::products::upsert_batch(&pool, &rows[..4])
        .await
        .unwrap();
    sqlx::query("UPDATE products SET price = price + 1, in_stock = false WHERE id IN ('b', 'c')")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM products WHERE id IN ('e', 'h')")
        .execute(&pool)
        .await
        .unwrap();
    assert_matches_brute_force(&pool, &QUERIES, &p).await;
    let more: Vec<NewProduct> = (0..5)
        .map(|i| {
            product(
                &format!("n{i}"),
                &format!("Tea cup {i}"),
                "Tea",
                &["tea"],
                "Tea tea.",
            )
        })
        .collect();
    store::products::upsert_batch(&pool, &more).await.unwrap();
    assert_matches_brute_force(&pool, &QUERIES, &p).await;

    // Configuring an attribute into the embedded text indexes its values.
    assert!(
        ranked(&pool, "walnut", &p).await.len() == 1,
        "only the chess set's description"
    );
    sqlx::query("INSERT INTO embedding_text_attributes (key) VALUES ('material')")
        .execute(&pool)
        .await
        .unwrap();
    assert!(ranked(&pool, "walnut", &p).await.len() > 1);
    assert_matches_brute_force(&pool, &QUERIES, &p).await;

    bm25::compact(&pool).await.unwrap();
    let (totals, repeated): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM bm25_totals),
                (SELECT count(*) FROM (SELECT lexeme FROM bm25_term_docs GROUP BY lexeme
                                       HAVING count(*) > 1 OR sum(docs) <= 0) r)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((totals, repeated), (1, 0), "folded to one row each");
    assert_matches_brute_force(&pool, &QUERIES, &p).await;

    sqlx::query("TRUNCATE products CASCADE")
        .execute(&pool)
        .await
        .unwrap();
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM product_terms) + (SELECT count(*) FROM bm25_term_docs)
              + (SELECT count(*) FROM bm25_totals)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(left, 0);
    store::products::upsert_batch(&pool, &catalog())
        .await
        .unwrap();
    assert_matches_brute_force(&pool, &QUERIES, &p).await;
}

#[sqlx::test]
async fn common_words_alone_rank_only_when_the_rest_are_too_few(pool: PgPool) {
    store::products::upsert_batch(&pool, &catalog())
        .await
        .unwrap();
    // With every lexeme in more than 1 % of 8 products and a floor of 2 products, "coffee"
    // (3 products) is common and "grinder" (1) informative.
    let gate = Gate {
        share: 0.01,
        min_docs: 2.0,
    };
    let p = Bm25Params::default();
    let search = |q: &'static str, k: i64| {
        let pool = pool.clone();
        async move {
            bm25::search(&pool, q, &ProductFilters::default(), k, gate, &p)
                .await
                .unwrap()
                .into_iter()
                .map(|h| h.product.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(search("coffee grinder", 1).await, ["b"]);
    // Fewer informative matches than asked for: the common-only ones follow.
    let all = search("coffee grinder", 10).await;
    assert_eq!(all[0], "b");
    assert_eq!(all.len(), 3, "{all:?}");
    // Filters hold in both tiers.
    let filters = ProductFilters {
        category: Some("Books".into()),
        ..ProductFilters::default()
    };
    let books = bm25::search(&pool, "coffee grinder", &filters, 10, gate, &p)
        .await
        .unwrap();
    assert_eq!(books.len(), 1);
    assert_eq!(books[0].product.id, "g");
}
