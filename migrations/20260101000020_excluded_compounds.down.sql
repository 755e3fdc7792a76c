DROP FUNCTION giftvec_excluded(text, tsvector, text[]);
DROP FUNCTION giftvec_compounds_any(text, text[]);
