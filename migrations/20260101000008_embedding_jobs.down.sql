ALTER TABLE embedding_models DROP CONSTRAINT embedding_models_name_check;
ALTER TABLE embedding_models ADD CONSTRAINT embedding_models_name_check
    CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$') NOT VALID;
DROP FUNCTION IF EXISTS giftvec_enqueue_model(text);
DROP TRIGGER IF EXISTS products_enqueue_on_update ON products;
DROP TRIGGER IF EXISTS products_enqueue_on_insert ON products;
DROP FUNCTION IF EXISTS giftvec_enqueue_embedding();
DROP TABLE IF EXISTS embedding_jobs;
DROP TRIGGER IF EXISTS embedding_text_attributes_requeue ON embedding_text_attributes;
DROP FUNCTION IF EXISTS giftvec_enqueue_all_models();
DROP FUNCTION IF EXISTS giftvec_product_text(products);
DROP TABLE IF EXISTS embedding_text_attributes;
