DROP TABLE IF EXISTS events;
DROP FUNCTION IF EXISTS giftvec_events_append_only();
