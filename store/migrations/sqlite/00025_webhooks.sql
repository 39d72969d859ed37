-- +goose Up
-- Webhooks (issue 17): a home's administrators subscribe HTTPS endpoints
-- to kinds of events, which the job queue delivers, signed.
--
-- The secret is kept as given (whsec_…): it signs every delivery, so it
-- cannot be a hash. It is shown once, and left out of exports and pages.
CREATE TABLE webhook_subscriptions (
    id            INTEGER PRIMARY KEY,
    home_id       INTEGER NOT NULL REFERENCES home_institutions(id),
    url           TEXT NOT NULL,
    kinds         TEXT NOT NULL,  -- the kinds of events, comma-separated
    secret        TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused')),
    paused_reason TEXT NOT NULL DEFAULT '',
    failures      INTEGER NOT NULL DEFAULT 0,  -- deliveries failed in a row
    created_at    TIMESTAMP NOT NULL,
    created_by    TEXT NOT NULL
);
CREATE INDEX webhook_subscriptions_home ON webhook_subscriptions(home_id);

-- The outbox of events not yet made into deliveries: an audit event of a
-- home with a subscription (written by the trigger below, in the
-- transaction of the write), or an event of its own (kind and data: an
-- agreements register imported).
CREATE TABLE webhook_events (
    id         INTEGER PRIMARY KEY,
    home_id    INTEGER NOT NULL,
    audit_id   INTEGER,
    kind       TEXT NOT NULL DEFAULT '',
    data       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);

-- +goose StatementBegin
CREATE TRIGGER webhook_events_from_audit AFTER INSERT ON audit_events
WHEN EXISTS (SELECT 1 FROM webhook_subscriptions WHERE home_id = NEW.home_id)
BEGIN
    INSERT INTO webhook_events (home_id, audit_id, created_at) VALUES (NEW.home_id, NEW.id, NEW.at);
END;
-- +goose StatementEnd

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
    message_id      TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'held', 'delivered', 'failed', 'refused')),
    tries           INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP
);
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries(subscription_id, id);

CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    at          TIMESTAMP NOT NULL,
    status      INTEGER NOT NULL DEFAULT 0,
    duration_ms INTEGER NOT NULL,
    response    TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, id);

-- +goose Down
DROP TRIGGER webhook_events_from_audit;
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;
DROP TABLE webhook_subscriptions;
