-- pgvector: refuse clearly when the extension is missing or too old, instead of a raw
-- "could not open extension control file" error.
DO $$
DECLARE
    available text;
BEGIN
    SELECT default_version INTO available FROM pg_available_extensions WHERE name = 'vector';
    IF available IS NULL THEN
        RAISE EXCEPTION 'the pgvector extension is not installed on this PostgreSQL server'
            USING HINT = 'install pgvector >= 0.8 on the server (Debian/Ubuntu: postgresql-<major>-pgvector; '
                      || 'containers: the pgvector/pgvector image; managed services: enable the "vector" extension), '
                      || 'or use the embedded development database: tools/devdb start';
    END IF;
END $$;

CREATE EXTENSION IF NOT EXISTS vector;

DO $$
DECLARE
    installed text;
BEGIN
    SELECT extversion INTO installed FROM pg_extension WHERE extname = 'vector';
    IF string_to_array(split_part(installed, '-', 1), '.')::int[] < ARRAY[0, 8] THEN
        RAISE EXCEPTION 'pgvector % is installed; giftvec needs >= 0.8 (iterative index scans)', installed
            USING HINT = 'upgrade the package, then run: ALTER EXTENSION vector UPDATE';
    END IF;
END $$;
