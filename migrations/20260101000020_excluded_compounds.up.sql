-- Exclusions read from a request also rule out compound words in a title that end in the
-- excluded term: "no balls" rules out "Football" and "Basketball", "no watches" a
-- "Stopwatch", which the stemmed phrase match of `giftvec_names_any` cannot see (their
-- lexemes are `footbal`, `stopwatch`). A single-word term of at least four letters, with and
-- without a plural ending, must close a word of at least three more letters (so "art" never
-- rules out "heart", nor "ball" a "Balloon"), and that word must not qualify another ("no
-- balls" leaves a "Basketball Shoe").
CREATE FUNCTION giftvec_compounds_any(title text, terms text[]) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN EXISTS (
        SELECT 1
        FROM unnest(terms) AS t(term),
             LATERAL (VALUES (regexp_replace(lower(t.term), 'es$', '')),
                             (regexp_replace(lower(t.term), 's$', ''))) AS s(stem)
        WHERE t.term ~ '^[[:alnum:]]+$'
          AND length(s.stem) >= 4
          AND lower(title) ~ ('[[:alpha:]]{3}' || s.stem || '(e?s)?\M(?![[:space:]]+[[:alpha:]])'));

-- What a request's exclusions rule out: products naming a term in their title, category or
-- tags (`giftvec_names_any`) or with a title compound ending in one.
CREATE FUNCTION giftvec_excluded(title text, doc tsvector, terms text[]) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN giftvec_names_any(doc, terms) OR giftvec_compounds_any(title, terms);
