CREATE OR REPLACE FUNCTION giftvec_enqueue_model(p_model text) RETURNS bigint
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

CREATE OR REPLACE FUNCTION giftvec_enqueue_all_models() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM giftvec_enqueue_model(name) FROM embedding_models;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS products_content_hash ON products;
DROP FUNCTION IF EXISTS giftvec_set_content_hash();
ALTER TABLE products DROP COLUMN IF EXISTS content_hash;
