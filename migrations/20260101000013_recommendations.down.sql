DROP INDEX IF EXISTS events_request_idx;
DROP TABLE IF EXISTS recommendation_items;
DROP TABLE IF EXISTS recommendation_requests;
