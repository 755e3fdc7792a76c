-- Who made each logged search (when the call named a user), so that query expansion can draw
-- only on searches many distinct users made and acted on, never on one caller's text.
ALTER TABLE search_queries ADD COLUMN user_id text CHECK (length(user_id) <= 128);
