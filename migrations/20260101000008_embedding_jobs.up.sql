-- The embedding pipeline's durable queue. Triggers on products enqueue a job in the same
-- transaction as the change, for every registered model, whenever the embedded text changes
-- (title, category, tags, description, configured attributes); a price or stock change
-- enqueues nothing. Workers
-- claim jobs with FOR UPDATE SKIP LOCKED under a lease, so several run side by side and a
-- killed worker's jobs are picked up again when the lease expires.

-- Catalog attributes whose values are part of the embedded text (e.g. brand, material), as
-- "Label: value" lines after the description. Changing this set re-queues every product.
CREATE TABLE embedding_text_attributes (
    key   text PRIMARY KEY CHECK (key ~ '^[A-Za-z0-9_.-]{1,64}$'),
    label text CHECK (length(label) BETWEEN 1 AND 64)
);

-- The text a product is embedded from: giftvec_embedding_text (title, category, tags,
-- description) plus the configured attributes it has.
CREATE FUNCTION giftvec_product_text(p products) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN concat_ws(E'\n',
        giftvec_embedding_text(p.title, p.category, p.tags, p.description),
        (SELECT string_agg(coalesce(a.label, a.key) || ': ' || (p.attributes ->> a.key), E'\n' ORDER BY a.key)
         FROM embedding_text_attributes a
         WHERE jsonb_typeof(p.attributes -> a.key) IN ('string', 'number', 'boolean', 'array')));

CREATE TABLE embedding_jobs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id   text NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    model        text NOT NULL REFERENCES embedding_models (name) ON DELETE CASCADE,
    -- sha256 of the text when the job was queued (the worker embeds the text current then)
    content_hash bytea NOT NULL,
    state        text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'running', 'done', 'dead')),
    attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error   text,
    run_after    timestamptz NOT NULL DEFAULT now(),
    locked_by    text,
    locked_until timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);

-- At most one waiting job per product and model: a newer change folds into it.
CREATE UNIQUE INDEX embedding_jobs_one_pending ON embedding_jobs (product_id, model)
    WHERE state = 'pending';
CREATE INDEX embedding_jobs_claim ON embedding_jobs (model, run_after, id) WHERE state = 'pending';
CREATE INDEX embedding_jobs_lease ON embedding_jobs (model, locked_until) WHERE state = 'running';
CREATE INDEX embedding_jobs_state ON embedding_jobs (state, model);

CREATE FUNCTION giftvec_enqueue_embedding() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    hash bytea := giftvec_content_hash(giftvec_product_text(NEW));
BEGIN
    INSERT INTO embedding_jobs (product_id, model, content_hash)
    SELECT NEW.id, m.name, hash
    FROM embedding_models m
    WHERE NOT EXISTS (SELECT 1 FROM product_embeddings e
                      WHERE e.product_id = NEW.id AND e.model = m.name AND e.content_hash = hash)
    ON CONFLICT (product_id, model) WHERE state = 'pending'
    DO UPDATE SET content_hash = EXCLUDED.content_hash;
    RETURN NULL;
END $$;

CREATE TRIGGER products_enqueue_on_insert
    AFTER INSERT ON products
    FOR EACH ROW EXECUTE FUNCTION giftvec_enqueue_embedding();

CREATE TRIGGER products_enqueue_on_update
    AFTER UPDATE OF title, description, category, tags, attributes ON products
    FOR EACH ROW
    -- an attribute change queues a job only when a configured attribute changed the text
    WHEN ((OLD.title, OLD.description, OLD.category, OLD.tags, OLD.attributes)
          IS DISTINCT FROM (NEW.title, NEW.description, NEW.category, NEW.tags, NEW.attributes))
    EXECUTE FUNCTION giftvec_enqueue_embedding();

-- Queues every product a model has no current embedding for (used when a model is
-- registered, and to recover from a lost queue); returns how many were queued.
CREATE FUNCTION giftvec_enqueue_model(p_model text) RETURNS bigint
    LANGUAGE sql AS $$
    WITH queued AS (
        INSERT INTO embedding_jobs (product_id, model, content_hash)
        SELECT p.id, p_model, t.hash
        FROM products p,
             LATERAL (SELECT giftvec_content_hash(giftvec_product_text(p))) AS t(hash)
        WHERE NOT EXISTS (SELECT 1 FROM product_embeddings e
                          WHERE e.product_id = p.id AND e.model = p_model AND e.content_hash = t.hash)
        ON CONFLICT (product_id, model) WHERE state = 'pending'
        DO UPDATE SET content_hash = EXCLUDED.content_hash
        RETURNING 1)
    SELECT count(*) FROM queued
$$;

CREATE FUNCTION giftvec_enqueue_all_models() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM giftvec_enqueue_model(name) FROM embedding_models;
    RETURN NULL;
END $$;

CREATE TRIGGER embedding_text_attributes_requeue
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON embedding_text_attributes
    FOR EACH STATEMENT EXECUTE FUNCTION giftvec_enqueue_all_models();

-- Model names may carry their output size (`text-embedding-3-small@512`).
ALTER TABLE embedding_models DROP CONSTRAINT embedding_models_name_check;
ALTER TABLE embedding_models ADD CONSTRAINT embedding_models_name_check
    CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,99}$');
