-- Who the gifts are for: user preference vectors (learned from events) and gift-recipient
-- profiles with their vectors. The logic that fills them lives in the recommendation engine.

CREATE TABLE user_preferences (
    user_id      text NOT NULL CHECK (user_id <> '' AND length(user_id) <= 128),
    model        text NOT NULL REFERENCES embedding_models (name) ON DELETE CASCADE,
    -- time-decayed weighted sum of interacted products' embeddings, expressed at decay_anchor
    vector       vector NOT NULL,
    weight_sum   double precision NOT NULL DEFAULT 0,
    event_count  bigint NOT NULL DEFAULT 0 CHECK (event_count >= 0),
    decay_anchor timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, model)
);

CREATE TRIGGER user_preferences_check_dims
    BEFORE INSERT OR UPDATE OF vector, model ON user_preferences
    FOR EACH ROW EXECUTE FUNCTION giftvec_check_vector_dims('vector');

CREATE TABLE recipients (
    id                   text PRIMARY KEY CHECK (id <> '' AND length(id) <= 128),
    user_id              text NOT NULL CHECK (user_id <> '' AND length(user_id) <= 128),
    name                 text NOT NULL CHECK (name <> '' AND length(name) <= 200),
    description          text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    age_band             text CHECK (length(age_band) <= 50),
    relationship         text CHECK (length(relationship) <= 100),
    interests            text[] NOT NULL DEFAULT '{}' CHECK (cardinality(interests) <= 50),
    dislikes             text[] NOT NULL DEFAULT '{}' CHECK (cardinality(dislikes) <= 50),
    liked_product_ids    text[] NOT NULL DEFAULT '{}' CHECK (cardinality(liked_product_ids) <= 200),
    disliked_product_ids text[] NOT NULL DEFAULT '{}' CHECK (cardinality(disliked_product_ids) <= 200),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX recipients_user_id_idx ON recipients (user_id);

CREATE TABLE recipient_vectors (
    recipient_id text NOT NULL REFERENCES recipients (id) ON DELETE CASCADE,
    model        text NOT NULL REFERENCES embedding_models (name) ON DELETE CASCADE,
    vector       vector NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (recipient_id, model)
);

CREATE TRIGGER recipient_vectors_check_dims
    BEFORE INSERT OR UPDATE OF vector, model ON recipient_vectors
    FOR EACH ROW EXECUTE FUNCTION giftvec_check_vector_dims('vector');
