-- Fails (as it should) while any column still uses the vector type.
DROP EXTENSION IF EXISTS vector;
