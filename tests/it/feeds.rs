//! Importing the feeds shops already have (`tests/data/feeds/`, written from each format's
//! published field list): Google Merchant Center TSV, CSV, RSS and Atom; Shopify exports with
//! the legacy and the current header; a WooCommerce export. Each file's products land with
//! the fields the format means, bad rows are named, drafts are skipped, re-importing changes
//! nothing, and `--prune` removes only what a full feed no longer lists.

use std::path::{Path, PathBuf};
use std::process::Command;

use giftvec::catalog::{FieldMap, ImportOptions, ImportReport, import_file};
use giftvec::store;
use sqlx::PgPool;

use crate::common::url_of;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/feeds")
        .join(name)
}

async fn import(pool: &PgPool, path: &Path, options: ImportOptions) -> ImportReport {
    import_file(pool, path, &options).await.unwrap()
}

/// (id, title, category, price, currency, in stock, image) as the product is stored.
type Expected = (
    &'static str,
    &'static str,
    &'static str,
    f64,
    &'static str,
    bool,
    &'static str,
);

struct Case {
    file: &'static str,
    format: &'static str,
    products: Vec<Expected>,
    rejected: Vec<(u64, &'static str)>,
    skipped: Vec<&'static str>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            file: "merchant.tsv",
            format: "google-merchant",
            products: vec![
                (
                    "GV-KIT-001",
                    "Enamelled Cast Iron Dutch Oven 5.5 qt",
                    "Dutch Ovens",
                    69.0,
                    "USD",
                    true,
                    "https://cdn.example.com/img/dutch-oven-red.jpg",
                ),
                (
                    "GV-COF-002",
                    "Manual Burr Coffee Grinder",
                    "Grinders",
                    34.0,
                    "USD",
                    true,
                    "https://cdn.example.com/img/burr-grinder.jpg",
                ),
                (
                    "GV-KIT-003",
                    "Silicone Spatula Set (3 pcs)",
                    "Kitchen Tools & Utensils",
                    19.9,
                    "EUR",
                    true,
                    "https://cdn.example.com/img/spatula-set.jpg",
                ),
                (
                    "GV-BOK-004",
                    "The Art of Slow Coffee (Hardcover)",
                    "Coffee",
                    24.0,
                    "USD",
                    false,
                    "https://cdn.example.com/img/art-of-slow-coffee.jpg",
                ),
                (
                    "GV-TOY-005",
                    "Wooden Marble Run (60 pieces)",
                    "Building Toys",
                    45.0,
                    "USD",
                    false,
                    "https://cdn.example.com/img/marble-run.jpg",
                ),
                (
                    "GV-OUT-006",
                    "Insulated Camping Mug 350 ml - Forest Green",
                    "Drinkware",
                    22.0,
                    "USD",
                    true,
                    "https://cdn.example.com/img/camp-mug-green.jpg",
                ),
            ],
            rejected: vec![],
            skipped: vec![],
        },
        Case {
            file: "merchant.csv",
            format: "google-merchant",
            products: vec![
                (
                    "GV-CSV-101",
                    "Gooseneck Pour-Over Kettle, 1 L",
                    "Kettles",
                    39.0,
                    "USD",
                    true,
                    "https://cdn.example.com/img/gooseneck-kettle.jpg",
                ),
                (
                    "GV-CSV-102",
                    "Hardback Notebook Gift Set",
                    "Notebooks",
                    9.99,
                    "GBP",
                    true,
                    "https://cdn.example.com/img/notebook-set.jpg",
                ),
                (
                    "GV-CSV-104",
                    "Folding Camp Stool",
                    "Camp Furniture",
                    28.0,
                    "GBP",
                    false,
                    "https://cdn.example.com/img/camp-stool.jpg",
                ),
            ],
            rejected: vec![(4, "price")],
            skipped: vec![],
        },
        Case {
            file: "merchant-rss.xml",
            format: "google-merchant",
            products: vec![
                (
                    "GV-RSS-201",
                    "Espresso Tamper 58 mm",
                    "Espresso Tools",
                    29.0,
                    "USD",
                    true,
                    "https://cdn.example.com/img/espresso-tamper.jpg",
                ),
                (
                    "GV-RSS-202",
                    "The Little Lighthouse & the Storm (Picture Book)",
                    "Picture Books",
                    14.99,
                    "USD",
                    false,
                    "https://cdn.example.com/img/little-lighthouse.jpg",
                ),
                (
                    "GV-RSS-203",
                    "Stainless Steel Water Bottle 750 ml",
                    "Bottles",
                    25.6,
                    "USD",
                    false,
                    "https://cdn.example.com/img/water-bottle-750.jpg",
                ),
                (
                    "GV-RSS-204",
                    "Wooden Stacking Rainbow",
                    "Educational Toys",
                    27.5,
                    "USD",
                    true,
                    "https://cdn.example.com/img/stacking-rainbow.jpg",
                ),
            ],
            rejected: vec![],
            skipped: vec![],
        },
        Case {
            file: "merchant-atom.xml",
            format: "google-merchant",
            products: vec![
                (
                    "GV-ATM-301",
                    "Moka Pot, 6 Cup",
                    "Stovetop Brewers",
                    42.0,
                    "USD",
                    true,
                    "https://cdn.example.com/img/moka-pot-6.jpg",
                ),
                (
                    "GV-ATM-302",
                    "Hiking Trail Journal",
                    "Journals",
                    18.0,
                    "USD",
                    false,
                    "https://cdn.example.com/img/trail-journal.jpg",
                ),
                (
                    "GV-ATM-303",
                    "Kids' Binoculars 8x21",
                    "Binoculars",
                    24.95,
                    "USD",
                    true,
                    "https://cdn.example.com/img/kids-binoculars.jpg",
                ),
            ],
            rejected: vec![],
            skipped: vec![],
        },
        shopify("shopify.csv"),
        shopify("shopify-legacy.csv"),
        Case {
            file: "woocommerce.csv",
            format: "woocommerce",
            products: vec![
                (
                    "101",
                    "Ceramic Pour-Over Dripper",
                    "Coffee",
                    18.0,
                    "USD",
                    true,
                    "https://shop.example.com/wp-content/uploads/2025/10/dripper.jpg",
                ),
                (
                    "102",
                    "Merino Wool Beanie",
                    "Winter Accessories",
                    27.0,
                    "USD",
                    true,
                    "https://shop.example.com/wp-content/uploads/2025/10/beanie-red.jpg",
                ),
                (
                    "106",
                    "Enamel Camp Mug Set",
                    "Kitchen",
                    34.0,
                    "USD",
                    true,
                    "https://shop.example.com/wp-content/uploads/2025/10/a.jpg",
                ),
            ],
            rejected: vec![],
            skipped: vec!["105", "107"],
        },
    ]
}

fn shopify(file: &'static str) -> Case {
    Case {
        file,
        format: "shopify",
        products: vec![
            (
                "walnut-serving-board",
                "Walnut Serving Board",
                "Serving Boards",
                48.0,
                "USD",
                true,
                "https://cdn.shopify.com/s/files/1/0612/3456/7890/files/walnut-board.jpg?v=1718000001",
            ),
            // Only the L variant (25.00) is in stock: the price a shopper can pay now.
            (
                "linen-apron",
                "Stonewashed Linen Apron",
                "Aprons",
                25.0,
                "USD",
                true,
                "https://cdn.shopify.com/s/files/1/0612/3456/7890/files/linen-apron-front.jpg?v=1718000002",
            ),
            (
                "single-origin-coffee-sampler",
                "Single-Origin Coffee Sampler",
                "Coffee",
                32.0,
                "USD",
                true,
                "https://cdn.shopify.com/s/files/1/0612/3456/7890/files/coffee-sampler.jpg?v=1718000006",
            ),
        ],
        rejected: vec![],
        skipped: vec!["holiday-cookie-cutter-set"],
    }
}

#[sqlx::test]
async fn every_feed_lands_with_the_fields_its_format_means(pool: PgPool) {
    for case in cases() {
        sqlx::query("TRUNCATE products CASCADE")
            .execute(&pool)
            .await
            .unwrap();
        let report = import(&pool, &fixture(case.file), ImportOptions::default()).await;
        assert_eq!(report.format, case.format, "{}", case.file);
        let rejected: Vec<(u64, &str)> = report
            .errors
            .iter()
            .map(|e| (e.line, e.field.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            rejected, case.rejected,
            "{}: {:?}",
            case.file, report.errors
        );
        let skipped: Vec<&str> = report.skipped.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(skipped, case.skipped, "{}", case.file);
        assert_eq!(
            report.counts.inserted,
            case.products.len() as u64,
            "{}",
            case.file
        );
        for (id, title, category, price, currency, in_stock, image) in &case.products {
            let p = store::products::get(&pool, id).await.unwrap();
            let p = p.unwrap_or_else(|| panic!("{}: {id} missing", case.file));
            let got = (
                p.title.as_str(),
                p.category.as_str(),
                p.price,
                p.currency.as_str(),
                p.in_stock,
            );
            assert_eq!(
                got,
                (*title, *category, *price, *currency, *in_stock),
                "{}: {id}",
                case.file
            );
            assert_eq!(p.attributes["image_url"], *image, "{}: {id}", case.file);
            for text in [&p.title, &p.description] {
                assert!(
                    !text.contains('<') && !text.contains("&amp;") && !text.contains("&#"),
                    "{}: {id} keeps markup: {text:?}",
                    case.file
                );
            }
        }
        let again = import(&pool, &fixture(case.file), ImportOptions::default()).await;
        assert_eq!(
            (again.counts.inserted, again.counts.updated),
            (0, 0),
            "{}: re-importing changes nothing",
            case.file
        );
    }
}

#[sqlx::test]
async fn feed_details_survive_as_attributes_and_text(pool: PgPool) {
    import(&pool, &fixture("merchant.tsv"), ImportOptions::default()).await;
    let oven = store::products::get(&pool, "GV-KIT-001")
        .await
        .unwrap()
        .unwrap();
    assert!(
        oven.description.contains("crème brûlée & slow-cooked"),
        "{:?}",
        oven.description
    );
    assert_eq!(
        oven.attributes["list_price"], 89.0,
        "the sale price is what a shopper pays"
    );
    assert_eq!(oven.attributes["google_product_category"], "638");
    for key in ["brand", "gtin", "link", "condition"] {
        assert!(
            oven.attributes.get(key).is_some(),
            "{key} kept: {}",
            oven.attributes
        );
    }
    let grinder = store::products::get(&pool, "GV-COF-002")
        .await
        .unwrap()
        .unwrap();
    assert!(
        grinder.attributes["product_type"].is_array(),
        "{}",
        grinder.attributes
    );

    import(&pool, &fixture("shopify.csv"), ImportOptions::default()).await;
    let apron = store::products::get(&pool, "linen-apron")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(apron.attributes["size"], serde_json::json!(["S", "M", "L"]));
    assert_eq!(apron.attributes["variants"], 3);
    let sampler = store::products::get(&pool, "single-origin-coffee-sampler")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sampler.tags, ["coffee", "gift", "kitchen"]);

    import(&pool, &fixture("woocommerce.csv"), ImportOptions::default()).await;
    let beanie = store::products::get(&pool, "102").await.unwrap().unwrap();
    assert_eq!(beanie.attributes["price_max"], 29.0);
    assert!(
        beanie.tags.iter().any(|t| t == "Gifts"),
        "{:?}",
        beanie.tags
    );
    assert!(
        store::products::get(&pool, "103").await.unwrap().is_none(),
        "variations fold"
    );
    let dripper = store::products::get(&pool, "101").await.unwrap().unwrap();
    assert!(
        !dripper.description.contains("\\n"),
        "{:?}",
        dripper.description
    );
}

#[sqlx::test]
async fn a_mapping_reads_other_columns_and_says_what_is_still_missing(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.csv");
    std::fs::write(
        &path,
        "Code,Name,Cost,Department,Blurb\nk1,Kite,\"$12.50\",Toys,<p>Flies &amp; loops</p>\n",
    )
    .unwrap();
    let err = import_file(&pool, &path, &ImportOptions::default())
        .await
        .unwrap_err()
        .to_string();
    for part in [
        "no column for id, title, category, price",
        "code, name, cost, department, blurb",
    ] {
        assert!(err.contains(part), "{err}");
    }
    let partial = ImportOptions {
        map: FieldMap::parse("title=Name,price=Cost", "--map").unwrap(),
        ..Default::default()
    };
    let err = import_file(&pool, &path, &partial)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no column for id, category"), "{err}");
    let full = ImportOptions {
        map: FieldMap::parse(
            "id=code,title=Name,price=Cost,category=Department,description=Blurb",
            "--map",
        )
        .unwrap(),
        ..Default::default()
    };
    let report = import(&pool, &path, full).await;
    assert_eq!(report.counts.inserted, 1, "{:?}", report.errors);
    let kite = store::products::get(&pool, "k1").await.unwrap().unwrap();
    assert_eq!(
        (kite.title.as_str(), kite.price, kite.category.as_str()),
        ("Kite", 12.5, "Toys")
    );
    assert_eq!(kite.description, "Flies & loops");
    let wrong = ImportOptions {
        map: FieldMap::parse("title=Label", "--map").unwrap(),
        ..Default::default()
    };
    let err = import_file(&pool, &path, &wrong)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("Label"), "{err}");
}

#[sqlx::test]
async fn prune_removes_only_what_a_full_feed_no_longer_lists(pool: PgPool) {
    import(&pool, &fixture("merchant.tsv"), ImportOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let smaller = dir.path().join("feed.tsv");
    let text = std::fs::read_to_string(fixture("merchant.tsv")).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("GV-TOY-005"))
        .collect();
    std::fs::write(&smaller, kept.join("\n") + "\n").unwrap();

    let report = import(&pool, &smaller, ImportOptions::default()).await;
    assert_eq!(report.absent, ["GV-TOY-005"]);
    assert_eq!(report.pruned, 0);
    assert!(
        store::products::get(&pool, "GV-TOY-005")
            .await
            .unwrap()
            .is_some(),
        "only reported"
    );

    // A feed with a row whose id cannot be read is not a trustworthy full list.
    let broken = dir.path().join("broken.tsv");
    std::fs::write(&broken, kept.join("\n") + "\n\"unterminated\tx\n").unwrap();
    let options = || ImportOptions {
        prune: true,
        ..Default::default()
    };
    let refused = import(&pool, &broken, options()).await;
    assert!(refused.prune_refused.is_some(), "{refused:?}");
    assert!(
        store::products::get(&pool, "GV-TOY-005")
            .await
            .unwrap()
            .is_some()
    );

    let pruned = import(&pool, &smaller, options()).await;
    assert_eq!((pruned.pruned, pruned.absent.len()), (1, 1));
    assert!(
        store::products::get(&pool, "GV-TOY-005")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store::products::count(&pool).await.unwrap(), 5);

    // A rejected row keeps its stored product: the feed still lists it.
    let bad_price = dir.path().join("bad.tsv");
    let text = kept.join("\n").replace("34.00 USD", "thirty USD");
    std::fs::write(&bad_price, text + "\n").unwrap();
    let report = import(&pool, &bad_price, options()).await;
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert_eq!(report.pruned, 0);
    assert!(
        store::products::get(&pool, "GV-COF-002")
            .await
            .unwrap()
            .is_some()
    );
}

#[sqlx::test]
async fn the_command_names_formats_maps_and_prunes(pool: PgPool) {
    let url = url_of(&pool);
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_giftvec"))
            .args(args)
            .env("DATABASE_URL", &url)
            .env("GIFTVEC_LOG", "warn")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let csv = fixture("merchant.csv");
    let csv = csv.to_str().unwrap();
    let (code, stdout, stderr) = run(&["import", csv]);
    assert_eq!(code, Some(2), "one row rejected: {stdout}{stderr}");
    assert!(
        stdout.contains("(google-merchant): 4 rows read; 3 inserted"),
        "{stdout}"
    );
    assert!(stderr.contains("line 4: price"), "{stderr}");

    let woo = fixture("woocommerce.csv");
    let (code, stdout, stderr) = run(&["import", woo.to_str().unwrap(), "--format", "woocommerce"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stderr.contains("105 skipped"), "{stderr}");
    assert!(
        stdout.contains("3 stored products are not in this file"),
        "{stdout}"
    );
    let (code, stdout, _) = run(&["import", woo.to_str().unwrap(), "--prune"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("removed 3 products"), "{stdout}");

    let (code, _, stderr) = run(&["import", woo.to_str().unwrap(), "--format", "jsonl"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("--format"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let map_file = dir.path().join("mapping.txt");
    std::fs::write(
        &map_file,
        "# campaign labels as categories\ncategory = custom_label_0\n",
    )
    .unwrap();
    let tsv = fixture("merchant.tsv");
    let args = [
        "import",
        tsv.to_str().unwrap(),
        "--map-file",
        map_file.to_str().unwrap(),
    ];
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let category = |id: &'static str| {
        let pool = pool.clone();
        async move {
            store::products::get(&pool, id)
                .await
                .unwrap()
                .unwrap()
                .category
        }
    };
    assert_eq!(
        category("GV-KIT-001").await,
        "gift-under-100",
        "the mapped column wins"
    );
    assert_eq!(
        category("GV-KIT-003").await,
        "Kitchen Tools & Utensils",
        "empty cell: derived"
    );

    let (code, stdout, _) = run(&["import", csv, "--text-attribute", "brand,color=Colour"]);
    assert_eq!(code, Some(2));
    assert!(
        stdout.contains("embedded text now includes: brand, color"),
        "{stdout}"
    );
    let (_, stdout, _) = run(&["import", csv, "--text-attribute", "brand,color=Colour"]);
    assert!(
        !stdout.contains("embedded text now includes"),
        "unchanged: {stdout}"
    );
}
