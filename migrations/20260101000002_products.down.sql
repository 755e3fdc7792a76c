DROP TABLE IF EXISTS products;
DROP FUNCTION IF EXISTS giftvec_touch_updated_at();
DROP FUNCTION IF EXISTS giftvec_tags_text(text[]);
