DROP TABLE IF EXISTS recipient_vectors;
DROP TABLE IF EXISTS recipients;
DROP TABLE IF EXISTS user_preferences;
