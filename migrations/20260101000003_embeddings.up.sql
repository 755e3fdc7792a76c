-- Embedding models and product embeddings. A product may carry embeddings of several models
-- at once (a model switch re-embeds in the background while the old model keeps serving), so
-- the vector column has no fixed dimension; each model gets its own partial HNSW index over
-- `embedding::vector(<dimensions>)`, created from the registry row.

CREATE TABLE embedding_models (
    name                 text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$'),
    provider             text NOT NULL CHECK (provider IN ('local', 'openai')),
    -- 2000 is the largest dimension an HNSW index on `vector` accepts.
    dimensions           integer NOT NULL CHECK (dimensions BETWEEN 1 AND 2000),
    distance             text NOT NULL DEFAULT 'cosine'
                             CHECK (distance IN ('cosine', 'l2', 'inner_product')),
    hnsw_m               integer NOT NULL DEFAULT 16 CHECK (hnsw_m BETWEEN 2 AND 100),
    hnsw_ef_construction integer NOT NULL DEFAULT 64 CHECK (hnsw_ef_construction BETWEEN 4 AND 1000),
    is_active            boolean NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now(),
    CHECK (hnsw_ef_construction >= 2 * hnsw_m)
);

-- At most one model serves searches at a time.
CREATE UNIQUE INDEX embedding_models_one_active ON embedding_models (is_active) WHERE is_active;

CREATE TABLE product_embeddings (
    product_id   text NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    model        text NOT NULL REFERENCES embedding_models (name) ON DELETE CASCADE,
    embedding    vector NOT NULL,
    -- sha256 of the embedded text (giftvec_embedding_text): unchanged text is never re-embedded.
    content_hash bytea NOT NULL CHECK (length(content_hash) = 32),
    embedded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (product_id, model)
);

CREATE INDEX product_embeddings_model_idx ON product_embeddings (model);

-- Rejects a vector whose dimension differs from its model's, on any table that stores
-- per-model vectors. TG_ARGV[0] names the vector column.
CREATE FUNCTION giftvec_check_vector_dims() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    expected integer;
    actual   integer;
BEGIN
    SELECT dimensions INTO expected FROM embedding_models WHERE name = NEW.model;
    EXECUTE format('SELECT vector_dims(($1).%I)', TG_ARGV[0]) INTO actual USING NEW;
    IF expected IS NOT NULL AND actual IS NOT NULL AND actual <> expected THEN
        RAISE EXCEPTION 'embedding for model % has % dimensions; the model has %',
            NEW.model, actual, expected
            USING ERRCODE = 'data_exception';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER product_embeddings_check_dims
    BEFORE INSERT OR UPDATE OF embedding, model ON product_embeddings
    FOR EACH ROW EXECUTE FUNCTION giftvec_check_vector_dims('embedding');

-- The text a product is embedded from: title, category, tags, then description. Category and
-- tags are part of it because they measurably improve relevance on gift requests.
CREATE FUNCTION giftvec_embedding_text(title text, category text, tags text[], description text)
    RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN concat_ws(E'\n',
        title,
        'Category: ' || category,
        CASE WHEN cardinality(tags) > 0 THEN 'Tags: ' || array_to_string(tags, ', ') END,
        nullif(description, ''));

CREATE FUNCTION giftvec_content_hash(content text) RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN sha256(convert_to(content, 'UTF8'));

CREATE FUNCTION giftvec_distance_opclass(distance text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN CASE distance
        WHEN 'cosine' THEN 'vector_cosine_ops'
        WHEN 'l2' THEN 'vector_l2_ops'
        WHEN 'inner_product' THEN 'vector_ip_ops'
    END;

CREATE FUNCTION giftvec_distance_operator(distance text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN CASE distance
        WHEN 'cosine' THEN '<=>'
        WHEN 'l2' THEN '<->'
        WHEN 'inner_product' THEN '<#>'
    END;

-- Similarity in "higher is better" form: cosine 1 - d, inner product -d (pgvector's <#> is the
-- negated inner product), L2 1 / (1 + d).
CREATE FUNCTION giftvec_similarity(distance text, d double precision) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN CASE distance
        WHEN 'cosine' THEN 1 - d
        WHEN 'l2' THEN 1 / (1 + d)
        WHEN 'inner_product' THEN -d
    END;

CREATE FUNCTION giftvec_model_index_name(model text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN 'product_embeddings_hnsw_' || left(md5(model), 16);

-- The DDL of a model's HNSW index. Returned rather than executed so that a live system can run
-- it CONCURRENTLY (which cannot happen inside a function); giftvec_ensure_model_index runs it
-- directly for new or empty models.
CREATE FUNCTION giftvec_model_index_ddl(p_model text, p_concurrently boolean DEFAULT false)
    RETURNS text
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    m embedding_models;
BEGIN
    SELECT * INTO m FROM embedding_models WHERE name = p_model;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown embedding model %', p_model USING ERRCODE = 'no_data_found';
    END IF;
    RETURN format(
        'CREATE INDEX %s IF NOT EXISTS %I ON product_embeddings USING hnsw '
        '((embedding::vector(%s)) %s) WITH (m = %s, ef_construction = %s) WHERE model = %L',
        CASE WHEN p_concurrently THEN 'CONCURRENTLY' ELSE '' END,
        giftvec_model_index_name(m.name), m.dimensions, giftvec_distance_opclass(m.distance),
        m.hnsw_m, m.hnsw_ef_construction, m.name);
END $$;

CREATE FUNCTION giftvec_ensure_model_index(p_model text) RETURNS text
    LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE giftvec_model_index_ddl(p_model, false);
    RETURN giftvec_model_index_name(p_model);
END $$;
