-- Served recommendations: every recommend_gifts call is stored with its inputs and the items
-- it showed (with their score components), so that explain_recommendation can answer for the
-- exact score that ranked an item, a conversation can rotate instead of repeating itself,
-- exploration learns from impressions, and experiment_report counts impressions per arm.

CREATE TABLE recommendation_requests (
    id              text PRIMARY KEY CHECK (id <> '' AND length(id) <= 128),
    user_id         text CHECK (length(user_id) <= 128),
    recipient_id    text CHECK (length(recipient_id) <= 128),
    conversation_id text CHECK (length(conversation_id) <= 128),
    experiment      text CHECK (length(experiment) <= 64),
    arm             text CHECK (length(arm) <= 64),
    model           text NOT NULL,
    -- the call's arguments, as given (to re-score a product under the same request)
    input           jsonb NOT NULL CHECK (jsonb_typeof(input) = 'object'),
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX recommendation_requests_conversation_idx
    ON recommendation_requests (conversation_id) WHERE conversation_id IS NOT NULL;
CREATE INDEX recommendation_requests_experiment_idx
    ON recommendation_requests (experiment, arm, created_at) WHERE experiment IS NOT NULL;

-- No foreign key to products: a served item stays on record after the product is removed.
CREATE TABLE recommendation_items (
    request_id  text NOT NULL REFERENCES recommendation_requests (id) ON DELETE CASCADE,
    product_id  text NOT NULL,
    rank        integer NOT NULL CHECK (rank >= 1),
    category    text NOT NULL,
    score       double precision NOT NULL,
    -- {"component": value} and {"component": contribution}; contributions sum to score
    components    jsonb NOT NULL,
    contributions jsonb NOT NULL,
    exploration boolean NOT NULL DEFAULT false,
    PRIMARY KEY (request_id, product_id)
);

CREATE INDEX recommendation_items_category_idx ON recommendation_items (category);

-- experiment_report and exploration feedback join events to the request they answer.
CREATE INDEX events_request_idx ON events (request_id) WHERE request_id IS NOT NULL;
