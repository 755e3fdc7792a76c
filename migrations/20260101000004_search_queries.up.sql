-- Search analytics: every search, with the embedding of its query, so that past queries like a
-- new one can be found (query-to-query similarity through an IVFFlat index per model).

CREATE TABLE search_queries (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    query       text NOT NULL CHECK (length(query) <= 20000),
    -- SET NULL keeps the log when a model is dropped; rows without a model are skipped by
    -- query similarity.
    model       text REFERENCES embedding_models (name) ON DELETE SET NULL,
    embedding   vector,
    mode        text NOT NULL CHECK (mode IN ('keyword', 'semantic', 'hybrid', 'similar')),
    filters     jsonb NOT NULL DEFAULT '{}',
    result_ids  text[] NOT NULL DEFAULT '{}',
    latency_ms  real NOT NULL CHECK (latency_ms >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX search_queries_created_at_idx ON search_queries (created_at);

CREATE TRIGGER search_queries_check_dims
    BEFORE INSERT OR UPDATE OF embedding, model ON search_queries
    FOR EACH ROW WHEN (NEW.model IS NOT NULL AND NEW.embedding IS NOT NULL)
    EXECUTE FUNCTION giftvec_check_vector_dims('embedding');

CREATE FUNCTION giftvec_query_index_name(model text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN 'search_queries_ivfflat_' || left(md5(model), 16);

-- IVFFlat list count from the row count, as pgvector recommends: rows / 1000 up to a million
-- rows, sqrt(rows) beyond. IVFFlat centroids are fixed when the index is built, so rebuild
-- (call this again) whenever the table has grown several-fold since the last build.
CREATE FUNCTION giftvec_ivfflat_lists(row_count bigint) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN CASE
        WHEN row_count <= 1000000 THEN greatest(row_count / 1000, 1)
        ELSE sqrt(row_count)::integer
    END;

-- (Re)builds the query-similarity index of one model; returns the number of lists used, or 0
-- when the model has fewer than 1,000 logged queries: then an exact scan is both faster and
-- exact, and IVFFlat centroids trained on so few rows would be poor.
CREATE FUNCTION giftvec_build_query_index(p_model text) RETURNS integer
    LANGUAGE plpgsql AS $$
DECLARE
    m         embedding_models;
    row_count bigint;
    lists     integer;
BEGIN
    SELECT * INTO m FROM embedding_models WHERE name = p_model;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown embedding model %', p_model USING ERRCODE = 'no_data_found';
    END IF;
    SELECT count(*) INTO row_count FROM search_queries WHERE model = p_model AND embedding IS NOT NULL;
    IF to_regclass(giftvec_query_index_name(p_model)) IS NOT NULL THEN
        EXECUTE format('DROP INDEX %I', giftvec_query_index_name(p_model));
    END IF;
    IF row_count < 1000 THEN
        RETURN 0;
    END IF;
    lists := giftvec_ivfflat_lists(row_count);
    EXECUTE format(
        'CREATE INDEX %I ON search_queries USING ivfflat ((embedding::vector(%s)) %s) '
        'WITH (lists = %s) WHERE model = %L',
        giftvec_query_index_name(p_model), m.dimensions, giftvec_distance_opclass(m.distance),
        lists, m.name);
    RETURN lists;
END $$;
