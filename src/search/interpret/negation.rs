//! What a request rules out: "not a mug", "no alcohol or jewellery", "without batteries",
//! "anything but socks", "she hates candles". Each exclusion is a short noun phrase; phrases
//! that only look like one ("not sure", "no idea", "not too expensive") are left alone.

use std::sync::LazyLock;

use regex::Regex;

/// One exclusion found in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Exclusion {
    /// Byte range of the phrase (cue included) in the text.
    pub span: (usize, usize),
    /// The excluded terms, lower-case ("alcohol", "coffee mug").
    pub terms: Vec<String>,
}

/// Most words in one excluded term.
const MAX_TERM_WORDS: usize = 3;
/// Most terms one cue rules out ("no a, b or c").
const MAX_TERMS: usize = 4;

static CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)\b(?:but\s+not|and\s+not|anything\s+but|anything\s+except|other\s+than|except(?:\s+for)?|excluding|exclude|without|nothing(?:\s+with)?|avoid(?:ing)?|(?:do|does|did)(?:n['’]t|\s+not)\s+(?:want|like|need|drink|eat|use)|(?:is|are)(?:n['’]t|\s+not)\s+into|not\s+into|dislikes?|hates?|allergic\s+to|not|no)\s+",
    )
    .expect("valid regex")
});

/// Words that may open the phrase and are skipped ("not a mug", "no more candles").
const LEADING: &[&str] = &[
    "a", "an", "the", "any", "more", "another", "other", "some", "with", "of", "anything",
];

/// A first word that shows the cue is not an exclusion ("not sure", "no idea", "not too big").
const NOT_A_THING: &[&str] = &[
    "too",
    "very",
    "so",
    "really",
    "sure",
    "certain",
    "quite",
    "exactly",
    "idea",
    "clue",
    "preference",
    "preferences",
    "budget",
    "limit",
    "rush",
    "hurry",
    "matter",
    "problem",
    "problems",
    "worries",
    "worry",
    "pressure",
    "stress",
    "hassle",
    "fuss",
    "longer",
    "later",
    "than",
    "less",
    "expensive",
    "cheap",
    "pricey",
    "costly",
    "big",
    "small",
    "huge",
    "fancy",
    "one",
    "just",
    "only",
    "necessarily",
    "that",
    "this",
    "much",
    "many",
    "need",
    "particular",
    "specific",
    "way",
    "doubt",
    "at",
    "all",
    "yet",
    "now",
    "again",
    "even",
    "bad",
    "good",
    "great",
    "to",
    "for",
    "what",
    "how",
    "where",
    "when",
    "why",
    "i",
    "he",
    "she",
    "they",
    "we",
    "you",
    "it",
    "is",
    "are",
    "was",
    "be",
    "been",
    "being",
    "have",
    "has",
    "matter",
    "interest",
    "interested",
    "over",
    "under",
    "above",
    "below",
    "more",
    "enough",
    "in",
    "stock",
    "available",
    "like",
    "as",
    "if",
    "longer",
    "require",
    "required",
    "fan",
    "big",
    "huge",
    "surprise",
    "surprises",
];

/// Words that end a term ("no alcohol for my dad" rules out "alcohol").
const STOP: &[&str] = &[
    "and", "or", "nor", "but", "please", "thanks", "thank", "under", "below", "over", "above",
    "for", "in", "who", "that", "which", "because", "since", "as", "with", "from", "between",
    "around", "about", "i", "he", "she", "they", "we", "it", "is", "are", "to", "at", "on", "by",
    "so", "if", "then", "than", "my", "his", "her", "their", "our", "your", "this", "these",
    "those", "gift", "gifts", "present", "presents", "ideas", "idea", "though", "either",
    "anymore", "again", "either", "also", "too", "really", "very", "already", "since", "instead",
    "maybe", "perhaps", "ever", "thing", "things", "stuff", "at", "all", "not", "no",
];

/// The next word from `at`: its byte range, skipping spaces; `None` at a boundary or the end.
fn next_word(text: &str, at: usize) -> Option<(usize, usize)> {
    let rest = &text[at..];
    let offset = rest.len() - rest.trim_start().len();
    let start = at + offset;
    let first = text[start..].chars().next()?;
    if !first.is_alphanumeric() {
        return None;
    }
    let len = text[start..]
        .char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || matches!(c, '\'' | '’' | '-' | '&')))
        .map_or(text.len() - start, |(i, _)| i);
    Some((start, start + len))
}

fn word(text: &str, (s, e): (usize, usize)) -> String {
    text[s..e].to_lowercase()
}

/// One term from `at`: up to [`MAX_TERM_WORDS`] words before a stop word or a boundary.
/// Returns the term and where it ends.
fn term(text: &str, mut at: usize) -> Option<(String, usize)> {
    let mut words: Vec<String> = Vec::new();
    let mut end = at;
    while let Some(range) = next_word(text, at) {
        let w = word(text, range);
        if words.is_empty() && LEADING.contains(&w.as_str()) {
            at = range.1;
            continue;
        }
        if words.is_empty() && NOT_A_THING.contains(&w.as_str()) {
            return None;
        }
        if STOP.contains(&w.as_str()) || words.len() == MAX_TERM_WORDS {
            break;
        }
        words.push(
            w.trim_matches(|c| matches!(c, '\'' | '’' | '-'))
                .to_string(),
        );
        end = range.1;
        at = range.1;
    }
    (!words.is_empty()).then(|| (words.join(" "), end))
}

/// The exclusions of `text`, in order.
pub fn exclusions(text: &str) -> Vec<Exclusion> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(cue) = CUE.find_at(text, from) {
        from = cue.end();
        let Some((first, mut end)) = term(text, cue.end()) else {
            continue;
        };
        let weak = matches!(
            text[cue.start()..cue.end()].trim().to_lowercase().as_str(),
            "no" | "without" | "nothing" | "nothing with"
        );
        // "no" and "without" also describe the person ("a friend with no garden who wants to
        // grow herbs"): they rule a product out only when nothing about them says otherwise.
        if weak && (describes_someone(&text[..cue.start()]) || !ends_cleanly(text, end)) {
            continue;
        }
        // "hates candles" rules candles out; "hates the desk setup" asks for a better one.
        let feeling = matches!(
            text[cue.start()..cue.end()].trim().to_lowercase().as_str(),
            "hates" | "hate" | "dislikes" | "dislike"
        );
        if feeling && determined(text, cue.end()) {
            continue;
        }
        let mut terms = vec![first];
        // "no alcohol or jewellery", "nothing with nuts, nor dairy".
        while terms.len() < MAX_TERMS {
            let Some(join) = next_word(text, end.max(skip_comma(text, end))) else {
                break;
            };
            if !matches!(word(text, join).as_str(), "or" | "nor") {
                break;
            }
            let Some((more, more_end)) = term(text, join.1) else {
                break;
            };
            terms.push(more);
            end = more_end;
        }
        out.push(Exclusion {
            span: (cue.start(), end),
            terms,
        });
        from = end;
    }
    out
}

/// Words for a person before "with no …" / "has no …": the phrase then says what they lack.
const SOMEONE: &[&str] = &[
    "who",
    "he",
    "she",
    "they",
    "i",
    "we",
    "me",
    "him",
    "her",
    "them",
    "friend",
    "dad",
    "mom",
    "mum",
    "father",
    "mother",
    "brother",
    "sister",
    "son",
    "daughter",
    "wife",
    "husband",
    "partner",
    "boyfriend",
    "girlfriend",
    "grandma",
    "grandpa",
    "grandmother",
    "grandfather",
    "uncle",
    "aunt",
    "nephew",
    "niece",
    "cousin",
    "colleague",
    "boss",
    "teacher",
    "neighbour",
    "neighbor",
    "someone",
    "somebody",
    "person",
    "people",
    "guy",
    "man",
    "woman",
    "girl",
    "boy",
    "kid",
    "child",
    "student",
    "couple",
    "family",
    "dweller",
    "owner",
    "lover",
    "fan",
    "parents",
];

/// Whether the words before a cue say it is about a person's circumstances ("a friend with",
/// "who has", "they have").
fn describes_someone(before: &str) -> bool {
    let words: Vec<String> = before
        .split_whitespace()
        .rev()
        .take(2)
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .collect();
    match words.first().map(String::as_str) {
        Some("has" | "have" | "had" | "having" | "owns" | "got") => true,
        Some("with") => words.get(1).is_some_and(|w| SOMEONE.contains(&w.as_str())),
        _ => false,
    }
}

/// Whether a term ending at `end` closes its phrase: the end of the text, punctuation, or a
/// word that joins another request ("or", "and", "please"), not a clause about it ("who …",
/// "for …", "but wants …").
fn ends_cleanly(text: &str, end: usize) -> bool {
    let rest = text[end..].trim_start();
    match rest.chars().next() {
        None => true,
        Some(c) if !c.is_alphanumeric() => true,
        Some(_) => {
            let next = rest
                .split(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or("")
                .to_lowercase();
            matches!(next.as_str(), "or" | "nor" | "and" | "please" | "thanks")
        }
    }
}

/// Whether the phrase from `at` opens with a determiner ("the", "his", "their" …): a
/// particular thing, not a kind of product.
fn determined(text: &str, at: usize) -> bool {
    next_word(text, at).is_some_and(|w| {
        matches!(
            word(text, w).as_str(),
            "the" | "his" | "her" | "their" | "my" | "our" | "your" | "its" | "this" | "that"
        )
    })
}

/// Past one comma after `at` (", or jewellery").
fn skip_comma(text: &str, at: usize) -> usize {
    let rest = &text[at..];
    let trimmed = rest.trim_start();
    if trimmed.starts_with(',') {
        at + (rest.len() - trimmed.len()) + 1
    } else {
        at
    }
}
