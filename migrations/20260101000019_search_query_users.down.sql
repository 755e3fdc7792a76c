ALTER TABLE search_queries DROP COLUMN user_id;
