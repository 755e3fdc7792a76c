DROP TRIGGER IF EXISTS embedding_models_notify_catalog ON embedding_models;
DROP TRIGGER IF EXISTS product_embeddings_notify_catalog ON product_embeddings;
DROP TRIGGER IF EXISTS products_notify_catalog ON products;
DROP FUNCTION IF EXISTS giftvec_notify_catalog();
