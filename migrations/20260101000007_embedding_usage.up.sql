-- Embedding spend: tokens and cost per model and UTC day, summed over every sidecar. Kept
-- apart from the model registry so that a dropped model keeps its cost history.
CREATE TABLE embedding_usage (
    day       date NOT NULL,
    model     text NOT NULL,
    provider  text NOT NULL,
    requests  bigint NOT NULL DEFAULT 0 CHECK (requests >= 0),
    tokens    bigint NOT NULL DEFAULT 0 CHECK (tokens >= 0),
    cost_usd  numeric(16, 8) NOT NULL DEFAULT 0 CHECK (cost_usd >= 0),
    failures  bigint NOT NULL DEFAULT 0 CHECK (failures >= 0),
    PRIMARY KEY (day, model)
);
