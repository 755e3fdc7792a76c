-- Whether a product's search text names one of `terms` (phrases, stemmed as the search text
-- is) in its title, category or tags — the A and B weights; a description that mentions a
-- term does not count — unless it says it is free of it ("Alcohol-Free Gin", "non-alcoholic"
-- for "alcohol"). A term of stop words only names nothing. The filter behind exclusions read
-- from a request ("not a mug", "no alcohol").
CREATE FUNCTION giftvec_names_any(doc tsvector, terms text[]) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN EXISTS (
        SELECT 1
        FROM unnest(terms) AS t(term),
             LATERAL (SELECT phraseto_tsquery('english', t.term) AS q) x,
             LATERAL (SELECT ts_filter(doc, '{a,b}') AS v) f
        WHERE numnode(x.q) > 0
          AND f.v @@ x.q
          AND NOT f.v @@ tsquery_phrase(x.q, 'free'::tsquery)
          AND NOT f.v @@ tsquery_phrase('non'::tsquery, x.q));
