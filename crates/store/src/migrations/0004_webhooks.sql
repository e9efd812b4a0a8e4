-- Webhooks and their delivery outbox.
--
-- webhooks is a provisioning resource (sb-core's catalogue: /api/webhooks), numbered like
-- the timers; secret is write-only at the API and kept here in clear because it is an
-- HMAC key the sender needs, not a password to check. webhook_events is its event filter
-- (empty = every event); parent is the webhook's id as text, as the catalogue's list rows
-- are keyed, so it has no foreign key and the engine deletes it with its webhook.
CREATE TABLE webhooks (
    id {{serial}},
    pkey TEXT NOT NULL UNIQUE,
    cluster TEXT NOT NULL REFERENCES tenants(pkey),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    active TEXT NOT NULL DEFAULT 'YES',
    "desc" TEXT,
    z_created TEXT, z_updated TEXT, z_updater TEXT
);
CREATE INDEX webhooks_cluster ON webhooks(cluster);

CREATE TABLE webhook_events (
    parent TEXT NOT NULL,
    position BIGINT NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (parent, position)
);

-- The outbox: one row per (event, webhook), written in one transaction per batch of
-- events, delivered at least once. state is pending, delivered or dead. A row is sent
-- only when no earlier row (call_seq) of the same webhook and call is still pending, so
-- a call's events arrive in order. next_attempt_at is also the lease of a row being sent
-- (moved past the request's timeout when it is taken), so a crashed sender's rows are
-- taken again later and two senders never send one row at once. Times are RFC 3339 UTC
-- text with milliseconds, so text order is time order on both engines.
CREATE TABLE webhook_deliveries (
    id {{serial}},
    event_id TEXT NOT NULL,
    webhook_id BIGINT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    cluster TEXT NOT NULL,
    event TEXT NOT NULL,
    call_id TEXT NOT NULL,
    call_seq BIGINT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    last_attempt_at TEXT,
    last_status BIGINT,
    last_error TEXT,
    delivered_at TEXT,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at);
CREATE INDEX webhook_deliveries_call ON webhook_deliveries(webhook_id, call_id, call_seq);
