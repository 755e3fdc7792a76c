-- Tell listeners (the sidecars' result caches) when anything that search results depend on
-- changes: products, their embeddings, the model registry. One notification per statement,
-- delivered at commit; a transaction that changes many rows still notifies once per table.

CREATE FUNCTION giftvec_notify_catalog() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('giftvec_catalog', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER products_notify_catalog
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION giftvec_notify_catalog();

CREATE TRIGGER product_embeddings_notify_catalog
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product_embeddings
    FOR EACH STATEMENT EXECUTE FUNCTION giftvec_notify_catalog();

CREATE TRIGGER embedding_models_notify_catalog
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON embedding_models
    FOR EACH STATEMENT EXECUTE FUNCTION giftvec_notify_catalog();
