-- Which products the keyword ranking considers. A request's lexemes are OR-ed
-- (giftvec_keyword_query), so one common word ("gift" is in 13% of a 100k catalog) made every
-- product carrying it a candidate to rank with ts_rank — ~50 ms of database CPU for
-- "gift for a coffee lover" at 100k products. The gate is the same OR of lexemes without the
-- `common` ones (the caller passes the lexemes in more than a set share of products, from the
-- planner's statistics): candidates must match an informative word; ranking still uses the
-- whole query, so a product matching "gift" as well as "coffee" ranks above one matching only
-- "coffee". A request made only of common words, or written in web-search syntax (quotes,
-- "or", -exclusion), is gated by the whole query, as before.
CREATE FUNCTION giftvec_keyword_gate(q text, common text[]) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE
        WHEN q ~* '"|(^|\s)-\S|\sor\s' OR coalesce(cardinality(common), 0) = 0
            THEN giftvec_keyword_query(q)
        ELSE coalesce(
            (SELECT string_agg(
                        '''' || replace(replace(l, '\', '\\'), '''', '''''') || '''', ' | ')::tsquery
             FROM unnest(tsvector_to_array(to_tsvector('english', q))) AS l
             WHERE l <> ALL (common)),
            giftvec_keyword_query(q))
    END;

-- Lexemes of products' search text found in more than `share` of products, from the
-- statistics ANALYZE keeps for the column (most common elements and their frequencies): no
-- scan of the table. Empty until the table has been analysed.
CREATE FUNCTION giftvec_common_lexemes(share float8) RETURNS text[]
    LANGUAGE sql STABLE
    RETURN (SELECT coalesce(array_agg(u.lexeme ORDER BY u.lexeme), '{}')
            FROM pg_stats s,
                 unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs)
                     AS u(lexeme, frequency)
            WHERE s.schemaname = current_schema() AND s.tablename = 'products'
              AND s.attname = 'search_tsv' AND u.lexeme IS NOT NULL
              AND u.frequency > share);
