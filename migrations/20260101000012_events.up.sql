-- Shopper events (append-only): what users viewed, clicked, bought, liked or dismissed, with
-- the recommendation they answer. Each event also moves the user's preference vectors
-- (user_preferences) in its own transaction; `weight` is the signed weight it was given.

CREATE TABLE events (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         text NOT NULL CHECK (user_id <> '' AND length(user_id) <= 128),
    product_id      text NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN
                        ('view', 'click', 'add_to_cart', 'purchase', 'like', 'dislike', 'dismiss')),
    weight          double precision NOT NULL,
    recipient_id    text CHECK (length(recipient_id) <= 128),
    conversation_id text CHECK (length(conversation_id) <= 128),
    request_id      text CHECK (length(request_id) <= 128),
    experiment_arm  text CHECK (length(experiment_arm) <= 64),
    client_event_id text CHECK (client_event_id <> '' AND length(client_event_id) <= 128),
    occurred_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- A client's retry of the same event counts once.
CREATE UNIQUE INDEX events_client_event_idx ON events (user_id, client_event_id)
    WHERE client_event_id IS NOT NULL;
CREATE INDEX events_user_idx ON events (user_id, occurred_at);
CREATE INDEX events_product_idx ON events (product_id, kind);

CREATE FUNCTION giftvec_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER events_append_only BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION giftvec_events_append_only();
