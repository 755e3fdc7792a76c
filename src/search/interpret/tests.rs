use super::*;

/// (request, min, max, currency, in stock, excluded terms, searched for)
type Case<'a> = (
    &'a str,
    Option<f64>,
    Option<f64>,
    Option<&'a str>,
    Option<bool>,
    &'a [&'a str],
    &'a str,
);

const CASES: &[Case] = &[
    // Prices with symbols and words, before and after the number.
    (
        "something for my dad who fishes, under 50 euros, in stock",
        None,
        Some(50.0),
        Some("EUR"),
        Some(true),
        &[],
        "something for my dad who fishes",
    ),
    (
        "gift for a coffee lover under $50",
        None,
        Some(50.0),
        Some("USD"),
        None,
        &[],
        "gift for a coffee lover",
    ),
    (
        "a £30 gift for my sister",
        None,
        Some(30.0),
        Some("GBP"),
        None,
        &[],
        "a gift for my sister",
    ),
    (
        "present for my boss, less than 100 dollars",
        None,
        Some(100.0),
        Some("USD"),
        None,
        &[],
        "present for my boss",
    ),
    (
        "birthday gift for mum, 40€ max",
        None,
        Some(40.0),
        Some("EUR"),
        None,
        &[],
        "birthday gift for mum",
    ),
    (
        "headphones up to 1,200 USD",
        None,
        Some(1200.0),
        Some("USD"),
        None,
        &[],
        "headphones",
    ),
    (
        "a watch for him, 25.99 dollars or less",
        None,
        Some(25.99),
        Some("USD"),
        None,
        &[],
        "a watch for him",
    ),
    // Ranges.
    (
        "yoga gear between $20 and $40",
        Some(20.0),
        Some(40.0),
        Some("USD"),
        None,
        &[],
        "yoga gear",
    ),
    (
        "board game 20-35 euros",
        Some(20.0),
        Some(35.0),
        Some("EUR"),
        None,
        &[],
        "board game",
    ),
    (
        "kitchen gadget from 15 to 30 dollars",
        Some(15.0),
        Some(30.0),
        Some("USD"),
        None,
        &[],
        "kitchen gadget",
    ),
    (
        "a candle, price between 10 and 20",
        Some(10.0),
        Some(20.0),
        None,
        None,
        &[],
        "a candle",
    ),
    // About, over, at least, words for numbers.
    (
        "a thank-you gift for my son's teacher, about 20 dollars",
        Some(15.0),
        Some(25.0),
        Some("USD"),
        None,
        &[],
        "a thank-you gift for my son's teacher",
    ),
    (
        "anniversary present over $100",
        Some(100.0),
        None,
        Some("USD"),
        None,
        &[],
        "anniversary present",
    ),
    (
        "something nice for fifty bucks",
        None,
        Some(50.0),
        Some("USD"),
        None,
        &[],
        "something nice",
    ),
    (
        "luxury pen, at least 200 usd",
        Some(200.0),
        None,
        Some("USD"),
        None,
        &[],
        "luxury pen",
    ),
    (
        "budget 60, gift for a gardener",
        None,
        Some(60.0),
        None,
        None,
        &[],
        "gift for a gardener",
    ),
    (
        "my budget is under 30 for a baker",
        None,
        Some(30.0),
        None,
        None,
        &[],
        "for a baker",
    ),
    (
        "a hundred dollars on a camera bag",
        None,
        Some(100.0),
        Some("USD"),
        None,
        &[],
        "on a camera bag",
    ),
    // Numbers that are not prices stay in the request.
    (
        "toys for kids under 5",
        None,
        None,
        None,
        None,
        &[],
        "toys for kids under 5",
    ),
    (
        "gift for a man over 50",
        None,
        None,
        None,
        None,
        &[],
        "gift for a man over 50",
    ),
    (
        "a game for 2-4 players",
        None,
        None,
        None,
        None,
        &[],
        "a game for 2-4 players",
    ),
    (
        "lego for a 7 year old",
        None,
        None,
        None,
        None,
        &[],
        "lego for a 7 year old",
    ),
    (
        "gift for my 30th birthday",
        None,
        None,
        None,
        None,
        &[],
        "gift for my 30th birthday",
    ),
    (
        "a 1000 piece puzzle",
        None,
        None,
        None,
        None,
        &[],
        "a 1000 piece puzzle",
    ),
    (
        "ps5 controller",
        None,
        None,
        None,
        None,
        &[],
        "ps5 controller",
    ),
    (
        "fifty shades of grey",
        None,
        None,
        None,
        None,
        &[],
        "fifty shades of grey",
    ),
    // Exclusions.
    (
        "anniversary gift for my wife who likes wine and cooking, not jewellery",
        None,
        None,
        None,
        None,
        &["jewellery"],
        "anniversary gift for my wife who likes wine and cooking",
    ),
    (
        "coffee lover gift, not a mug",
        None,
        None,
        None,
        None,
        &["mug"],
        "coffee lover gift",
    ),
    (
        "party gift with no alcohol or candles",
        None,
        None,
        None,
        None,
        &["alcohol", "candles"],
        "party gift",
    ),
    (
        "something for a runner without a watch, under $80",
        None,
        Some(80.0),
        Some("USD"),
        None,
        &["watch"],
        "something for a runner",
    ),
    (
        "anything but socks for grandpa",
        None,
        None,
        None,
        None,
        &["socks"],
        "for grandpa",
    ),
    (
        "she hates scented candles, gift for a new home",
        None,
        None,
        None,
        None,
        &["scented candles"],
        "she, gift for a new home",
    ),
    // Negations that exclude nothing: what someone lacks, and a "no" the request goes on from.
    (
        "My sister lives in a flat with no garden but wants to grow herbs.",
        None,
        None,
        None,
        None,
        &[],
        "My sister lives in a flat with no garden but wants to grow herbs",
    ),
    (
        "My partner works from home and hates the desk setup.",
        None,
        None,
        None,
        None,
        &[],
        "My partner works from home and hates the desk setup",
    ),
    (
        "A small thank-you for my neighbour who loves red wine, under 30.",
        None,
        Some(30.0),
        None,
        None,
        &[],
        "A small thank-you for my neighbour who loves red wine",
    ),
    (
        "He fishes at the lake; I can spend about 50.",
        Some(37.5),
        Some(62.5),
        None,
        None,
        &[],
        "He fishes at the lake; I can",
    ),
    (
        "apartment dweller with no garden who wants to grow herbs",
        None,
        None,
        None,
        None,
        &[],
        "apartment dweller with no garden who wants to grow herbs",
    ),
    (
        "my brother has no car, something for his bike",
        None,
        None,
        None,
        None,
        &[],
        "my brother has no car, something for his bike",
    ),
    (
        "no batteries needed for this toy",
        None,
        None,
        None,
        None,
        &[],
        "no batteries needed for this toy",
    ),
    (
        "chocolate with no nuts",
        None,
        None,
        None,
        None,
        &["nuts"],
        "chocolate",
    ),
    (
        "mocktails for a friend who doesn't drink alcohol",
        None,
        None,
        None,
        None,
        &["alcohol"],
        "mocktails for a friend who",
    ),
    (
        "not sure what to get my brother",
        None,
        None,
        None,
        None,
        &[],
        "not sure what to get my brother",
    ),
    (
        "no idea, a gift for a 10 year old",
        None,
        None,
        None,
        None,
        &[],
        "no idea, a gift for a 10 year old",
    ),
    (
        "something not too expensive for a nurse",
        None,
        None,
        None,
        None,
        &[],
        "something not too expensive for a nurse",
    ),
    // Stock.
    (
        "bluetooth speaker that is in stock",
        None,
        None,
        None,
        Some(true),
        &[],
        "bluetooth speaker",
    ),
    (
        "ready to ship gifts for dad",
        None,
        None,
        None,
        Some(true),
        &[],
        "gifts for dad",
    ),
    // Nothing to parse.
    (
        "cozy gift for a bookworm",
        None,
        None,
        None,
        None,
        &[],
        "cozy gift for a bookworm",
    ),
    (
        "under $50",
        None,
        Some(50.0),
        Some("USD"),
        None,
        &[],
        "under $50",
    ),
];

#[test]
fn reads_the_table_of_requests() {
    let mut failures = Vec::new();
    for &(text, min, max, currency, in_stock, excluded, searched) in CASES {
        let got = interpret(text);
        let want = (
            min,
            max,
            currency.map(str::to_string),
            in_stock,
            excluded.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            searched.to_string(),
        );
        let have = (
            got.min_price,
            got.max_price,
            got.currency.clone(),
            got.in_stock,
            got.excluded_terms.clone(),
            got.searched_for.clone(),
        );
        if want != have {
            failures.push(format!("{text:?}\n   want {want:?}\n   got  {have:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} misread:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn reports_what_it_took_out_as_written() {
    let got = interpret("Something for my Dad who fishes, UNDER 50 Euros, In Stock, not a mug");
    assert_eq!(got.understood, ["UNDER 50 Euros", "In Stock", "not a mug"]);
    assert_eq!(got.searched_for, "Something for my Dad who fishes");
}

#[test]
fn nothing_understood_is_empty_and_leaves_the_text() {
    let got = interpret("  a cozy blanket  ");
    assert!(got.is_empty());
    assert_eq!(got.searched_for, "a cozy blanket");
}

#[test]
fn keywords_drop_gift_boilerplate_but_keep_search_syntax() {
    assert_eq!(
        keywords("a gift for my dad who loves fishing"),
        "dad fishing"
    );
    assert_eq!(
        keywords("perfect present: fly tying vise -kit"),
        "fly tying vise -kit"
    );
    assert_eq!(keywords("something for someone"), "something for someone");
}

#[test]
fn never_panics_on_odd_text() {
    for text in [
        "",
        "$",
        "€€€ 5",
        "under",
        "not",
        "no no no",
        "between 5 and",
        "5 - ",
        "ü 50€ ü",
        "\u{1f}$5",
        "x".repeat(2000).as_str(),
        "£1,000,000.00",
        "between £5 and £",
        "nothing",
        "not a",
    ] {
        let got = interpret(text);
        assert!(got.searched_for.len() <= text.len().max(1) + 1);
    }
}
