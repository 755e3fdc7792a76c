DROP FUNCTION IF EXISTS find_similar_queries(bigint, integer);
DROP FUNCTION IF EXISTS find_similar_queries(vector, integer, text);
DROP FUNCTION IF EXISTS hybrid_search_products(text, vector, integer, text, double precision, double precision, integer, integer);
DROP FUNCTION IF EXISTS find_similar_products(text, integer, text);
DROP FUNCTION IF EXISTS find_similar_products(vector, integer, text);
DROP FUNCTION IF EXISTS giftvec_check_k(integer);
DROP FUNCTION IF EXISTS giftvec_keyword_query(text);
DROP FUNCTION IF EXISTS giftvec_resolve_model(text);
