DROP TABLE IF EXISTS search_queries;
DROP FUNCTION IF EXISTS giftvec_build_query_index(text);
DROP FUNCTION IF EXISTS giftvec_ivfflat_lists(bigint);
DROP FUNCTION IF EXISTS giftvec_query_index_name(text);
