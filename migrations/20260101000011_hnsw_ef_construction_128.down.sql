ALTER TABLE embedding_models ALTER COLUMN hnsw_ef_construction SET DEFAULT 64;
