-- Search functions callable from psql (and used by tests as a cross-check of the Rust store).
-- Each builds its vector query with the model's dimension and name as literals so that the
-- model's partial HNSW / IVFFlat index is usable; every caller-supplied value stays a bound
-- parameter.

-- The named model, or the active one when p_model is NULL.
CREATE FUNCTION giftvec_resolve_model(p_model text) RETURNS embedding_models
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    m embedding_models;
BEGIN
    IF p_model IS NULL THEN
        SELECT * INTO m FROM embedding_models WHERE is_active;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no active embedding model' USING ERRCODE = 'no_data_found',
                HINT = 'register and activate one, or pass the model name';
        END IF;
    ELSE
        SELECT * INTO m FROM embedding_models WHERE name = p_model;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'unknown embedding model %', p_model USING ERRCODE = 'no_data_found';
        END IF;
    END IF;
    RETURN m;
END $$;

-- Keyword query for natural-language requests: the lexemes of the text OR-ed together (a
-- sentence AND-ed almost never matches a product), unless the text uses web-search syntax
-- (quotes, "or", -exclusion), which is then honoured as written.
CREATE FUNCTION giftvec_keyword_query(q text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN CASE
        WHEN q ~* '"|(^|\s)-\S|\sor\s' THEN websearch_to_tsquery('english', q)
        ELSE replace(websearch_to_tsquery('english', q)::text, ' & ', ' | ')::tsquery
    END;

CREATE FUNCTION giftvec_check_k(k integer) RETURNS void
    LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF k IS NULL OR k < 1 OR k > 1000 THEN
        RAISE EXCEPTION 'k must be between 1 and 1000, got %', k USING ERRCODE = 'invalid_parameter_value';
    END IF;
END $$;

-- Top-k products nearest to a vector under the model's distance.
CREATE FUNCTION find_similar_products(p_query vector, p_k integer DEFAULT 10, p_model text DEFAULT NULL)
    RETURNS TABLE (product_id text, title text, category text, price numeric, currency text,
                   distance double precision, similarity double precision)
    LANGUAGE plpgsql STABLE
    SET hnsw.ef_search = 100
    SET hnsw.iterative_scan = 'relaxed_order'
AS $$
DECLARE
    m  embedding_models := giftvec_resolve_model(p_model);
    op text := giftvec_distance_operator(m.distance);
BEGIN
    PERFORM giftvec_check_k(p_k);
    IF vector_dims(p_query) <> m.dimensions THEN
        RAISE EXCEPTION 'query vector has % dimensions; model % has %',
            vector_dims(p_query), m.name, m.dimensions USING ERRCODE = 'data_exception';
    END IF;
    RETURN QUERY EXECUTE format($q$
        WITH nearest AS MATERIALIZED (
            SELECT e.product_id, (e.embedding::vector(%1$s) %2$s $1::vector(%1$s))::float8 AS distance
            FROM product_embeddings e
            WHERE e.model = %3$L
            ORDER BY e.embedding::vector(%1$s) %2$s $1::vector(%1$s)
            LIMIT $2)
        SELECT p.id, p.title, p.category, p.price, p.currency, n.distance,
               giftvec_similarity(%4$L, n.distance)
        FROM nearest n JOIN products p ON p.id = n.product_id
        ORDER BY n.distance, p.id$q$,
        m.dimensions, op, m.name, m.distance)
    USING p_query, p_k;
END $$;

-- Top-k products most similar to a product (itself excluded).
CREATE FUNCTION find_similar_products(p_product_id text, p_k integer DEFAULT 10, p_model text DEFAULT NULL)
    RETURNS TABLE (product_id text, title text, category text, price numeric, currency text,
                   distance double precision, similarity double precision)
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    m      embedding_models := giftvec_resolve_model(p_model);
    source vector;
BEGIN
    PERFORM giftvec_check_k(p_k);
    IF NOT EXISTS (SELECT 1 FROM products WHERE id = p_product_id) THEN
        RAISE EXCEPTION 'unknown product %', p_product_id USING ERRCODE = 'no_data_found';
    END IF;
    SELECT e.embedding INTO source FROM product_embeddings e
        WHERE e.product_id = p_product_id AND e.model = m.name;
    IF source IS NULL THEN
        RAISE EXCEPTION 'product % has no embedding for model % yet', p_product_id, m.name
            USING ERRCODE = 'no_data_found';
    END IF;
    RETURN QUERY
        SELECT s.* FROM find_similar_products(source, p_k + 1, m.name) s
        WHERE s.product_id <> p_product_id
        ORDER BY s.distance, s.product_id
        LIMIT p_k;
END $$;

-- Hybrid search: keyword (OR-ed lexemes ranked by ts_rank_cd) and vector (nearest first)
-- candidate lists fused with Reciprocal Rank Fusion:
--   score = keyword_weight / (rrf_k + keyword_rank) + semantic_weight / (rrf_k + semantic_rank)
-- where a product missing from a list contributes 0 for it.
CREATE FUNCTION hybrid_search_products(
    p_query_text      text,
    p_query           vector,
    p_k               integer DEFAULT 10,
    p_model           text DEFAULT NULL,
    p_keyword_weight  double precision DEFAULT 1,
    p_semantic_weight double precision DEFAULT 1,
    p_rrf_k           integer DEFAULT 60,
    p_candidates      integer DEFAULT NULL)
    RETURNS TABLE (product_id text, title text, category text, price numeric, currency text,
                   score double precision, keyword_rank bigint, semantic_rank bigint)
    LANGUAGE plpgsql STABLE
    SET hnsw.ef_search = 100
    SET hnsw.iterative_scan = 'relaxed_order'
AS $$
DECLARE
    m          embedding_models := giftvec_resolve_model(p_model);
    candidates integer := coalesce(p_candidates, greatest(p_k * 5, 50));
BEGIN
    PERFORM giftvec_check_k(p_k);
    IF p_rrf_k IS NULL OR p_rrf_k < 0 OR p_keyword_weight < 0 OR p_semantic_weight < 0 THEN
        RAISE EXCEPTION 'rrf_k and the weights must be >= 0' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF vector_dims(p_query) <> m.dimensions THEN
        RAISE EXCEPTION 'query vector has % dimensions; model % has %',
            vector_dims(p_query), m.name, m.dimensions USING ERRCODE = 'data_exception';
    END IF;
    RETURN QUERY EXECUTE format($q$
        WITH keyword AS (
            SELECT p.id AS product_id,
                   row_number() OVER (ORDER BY ts_rank_cd(p.search_tsv, q.q) DESC, p.id) AS rank
            FROM products p, giftvec_keyword_query($1) AS q(q)
            WHERE p.search_tsv @@ q.q
            ORDER BY rank
            LIMIT $4),
        nearest AS MATERIALIZED (
            SELECT e.product_id, e.embedding::vector(%1$s) %2$s $2::vector(%1$s) AS distance
            FROM product_embeddings e
            WHERE e.model = %3$L
            ORDER BY e.embedding::vector(%1$s) %2$s $2::vector(%1$s)
            LIMIT $4),
        semantic AS (
            SELECT n.product_id, row_number() OVER (ORDER BY n.distance, n.product_id) AS rank
            FROM nearest n),
        fused AS (
            SELECT coalesce(k.product_id, s.product_id) AS product_id,
                   coalesce($5 / ($7 + k.rank), 0) + coalesce($6 / ($7 + s.rank), 0) AS score,
                   k.rank AS keyword_rank, s.rank AS semantic_rank
            FROM keyword k FULL JOIN semantic s ON s.product_id = k.product_id)
        SELECT p.id, p.title, p.category, p.price, p.currency, f.score::float8,
               f.keyword_rank, f.semantic_rank
        FROM fused f JOIN products p ON p.id = f.product_id
        ORDER BY f.score DESC, p.id
        LIMIT $3$q$,
        m.dimensions, giftvec_distance_operator(m.distance), m.name)
    USING p_query_text, p_query, p_k, candidates, p_keyword_weight, p_semantic_weight,
          p_rrf_k::float8;
END $$;

-- Past search queries nearest to a vector (query-to-query similarity, IVFFlat).
CREATE FUNCTION find_similar_queries(p_query vector, p_k integer DEFAULT 10, p_model text DEFAULT NULL)
    RETURNS TABLE (query_id bigint, query text, similarity double precision, created_at timestamptz)
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    m     embedding_models := giftvec_resolve_model(p_model);
    lists integer;
BEGIN
    PERFORM giftvec_check_k(p_k);
    IF vector_dims(p_query) <> m.dimensions THEN
        RAISE EXCEPTION 'query vector has % dimensions; model % has %',
            vector_dims(p_query), m.name, m.dimensions USING ERRCODE = 'data_exception';
    END IF;
    -- probe sqrt(lists) lists, pgvector's recommended starting point
    SELECT coalesce(substring(array_to_string(c.reloptions, ',') FROM 'lists=(\d+)')::int, 1)
        INTO lists FROM pg_class c WHERE c.relname = giftvec_query_index_name(m.name);
    PERFORM set_config('ivfflat.probes', greatest(ceil(sqrt(coalesce(lists, 1))), 1)::int::text, true);
    RETURN QUERY EXECUTE format($q$
        WITH nearest AS MATERIALIZED (
            SELECT s.id, s.query, s.created_at,
                   (s.embedding::vector(%1$s) %2$s $1::vector(%1$s))::float8 AS distance
            FROM search_queries s
            WHERE s.model = %3$L AND s.embedding IS NOT NULL
            ORDER BY s.embedding::vector(%1$s) %2$s $1::vector(%1$s)
            LIMIT $2)
        SELECT n.id, n.query, giftvec_similarity(%4$L, n.distance), n.created_at
        FROM nearest n ORDER BY n.distance, n.id$q$,
        m.dimensions, giftvec_distance_operator(m.distance), m.name, m.distance)
    USING p_query, p_k;
END $$;

-- Past search queries most similar to a logged one (itself excluded).
CREATE FUNCTION find_similar_queries(p_query_id bigint, p_k integer DEFAULT 10)
    RETURNS TABLE (query_id bigint, query text, similarity double precision, created_at timestamptz)
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    source search_queries;
BEGIN
    SELECT * INTO source FROM search_queries WHERE id = p_query_id;
    IF NOT FOUND OR source.embedding IS NULL OR source.model IS NULL THEN
        RAISE EXCEPTION 'search query % is unknown or has no embedding', p_query_id
            USING ERRCODE = 'no_data_found';
    END IF;
    RETURN QUERY
        SELECT s.* FROM find_similar_queries(source.embedding, p_k + 1, source.model) s
        WHERE s.query_id <> p_query_id
        ORDER BY s.similarity DESC, s.query_id
        LIMIT p_k;
END $$;
