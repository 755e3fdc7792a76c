-- Editions (products whose id ends in -eN, from evals/bench/synthetic_catalog.py) take their
-- base product's vector plus Gaussian noise (cosine about 0.9 to the base), stored with the
-- content hash of their own text so the pipeline counts them as current; the queued jobs are
-- done. Used by evals/scale/run and evals/recommend/run.
SET client_min_messages = warning;
SET SEED TO 0.7;
INSERT INTO product_embeddings (product_id, model, embedding, content_hash)
SELECT p.id, e.model,
       (SELECT array_agg(x + 0.025 * random_normal()) FROM unnest(e.embedding::real[]) x)::vector,
       giftvec_content_hash(giftvec_product_text(p))
FROM products p
JOIN product_embeddings e ON e.product_id = regexp_replace(p.id, '-e[0-9]+$', '')
WHERE p.id ~ '-e[0-9]+$'
ON CONFLICT DO NOTHING;
DELETE FROM embedding_jobs;
ANALYZE products; ANALYZE product_embeddings;
