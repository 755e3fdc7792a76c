DROP FUNCTION IF EXISTS giftvec_common_lexemes(float8);
DROP FUNCTION IF EXISTS giftvec_keyword_gate(text, text[]);
