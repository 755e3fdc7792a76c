DROP FUNCTION giftvec_names_any(tsvector, text[]);
