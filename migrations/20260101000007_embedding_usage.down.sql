DROP TABLE IF EXISTS embedding_usage;
