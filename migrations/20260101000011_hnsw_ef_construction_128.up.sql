-- New models' HNSW indexes are built with ef_construction 128 (pgvector's default is 64):
-- the sweep in docs/search.md measured recall@10 0.834 at 1M vectors with 64 and 0.999 with
-- 128 (ef_search 100). Existing models keep the parameters their index was built with.
ALTER TABLE embedding_models ALTER COLUMN hnsw_ef_construction SET DEFAULT 128;
