-- The product catalog. In production the main web app writes this table; giftvec reads it,
-- imports into it, and (through triggers added later) notices every change.

-- array_to_string is only STABLE (it dispatches on the element type); for text[] it is
-- immutable, which the generated search column requires.
CREATE FUNCTION giftvec_tags_text(tags text[]) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN array_to_string(tags, ' ');

CREATE TABLE products (
    id          text PRIMARY KEY CHECK (id <> '' AND length(id) <= 128),
    sku         text CHECK (length(sku) <= 128),
    title       text NOT NULL CHECK (title <> '' AND length(title) <= 300),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
    category    text NOT NULL CHECK (category <> '' AND length(category) <= 100),
    tags        text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 50),
    price       numeric(12, 2) NOT NULL CHECK (price >= 0),
    currency    text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    in_stock    boolean NOT NULL DEFAULT true,
    attributes  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- Keyword search: title weighs most, then category and tags, then the description.
    search_tsv  tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A')
        || setweight(to_tsvector('english', category || ' ' || coalesce(giftvec_tags_text(tags), '')), 'B')
        || setweight(to_tsvector('english', description), 'C')
    ) STORED
);

CREATE INDEX products_search_tsv_idx ON products USING gin (search_tsv);
CREATE INDEX products_category_idx ON products (category);
CREATE INDEX products_price_idx ON products (price);
CREATE INDEX products_updated_at_idx ON products (updated_at);

-- updated_at follows real changes, whoever makes them; a no-op UPDATE leaves it alone.
CREATE FUNCTION giftvec_touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER products_touch_updated_at
    BEFORE UPDATE ON products
    FOR EACH ROW
    WHEN ((OLD.sku, OLD.title, OLD.description, OLD.category, OLD.tags, OLD.price, OLD.currency,
           OLD.in_stock, OLD.attributes)
          IS DISTINCT FROM
          (NEW.sku, NEW.title, NEW.description, NEW.category, NEW.tags, NEW.price, NEW.currency,
           NEW.in_stock, NEW.attributes))
    EXECUTE FUNCTION giftvec_touch_updated_at();
