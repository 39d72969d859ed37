-- +goose Up
-- Notifications (issue 11): what a signed-in user is told, one row per
-- recipient. The text is made in the reader's language when shown, from
-- kind and details (JSON); title_* is the thing's own name. delivery is
-- how its mail was decided when it was written: 'digest' rows wait for
-- the weekly digest until digest_sent_at is set.
CREATE TABLE notifications (
    id             INTEGER PRIMARY KEY,
    home_id        INTEGER NOT NULL REFERENCES home_institutions(id),
    user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,
    entity         TEXT NOT NULL,
    entity_key     TEXT NOT NULL,
    title_ja       TEXT NOT NULL,
    title_en       TEXT NOT NULL,
    path           TEXT NOT NULL,
    details        TEXT NOT NULL DEFAULT '{}',
    delivery       TEXT NOT NULL CHECK (delivery IN ('immediate', 'digest', 'none')),
    created_at     TIMESTAMP NOT NULL,
    read_at        TIMESTAMP,
    digest_sent_at TIMESTAMP
);
CREATE INDEX notifications_user ON notifications(user_id, id);
-- The header's badge counts these on every signed-in page.
CREATE INDEX notifications_unread ON notifications(user_id) WHERE read_at IS NULL;
CREATE INDEX notifications_digest ON notifications(user_id) WHERE delivery = 'digest' AND digest_sent_at IS NULL;

-- How a user wants the mail of each kind of notice; no row: immediately.
CREATE TABLE mail_preferences (
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,
    delivery TEXT NOT NULL CHECK (delivery IN ('immediate', 'digest', 'none')),
    PRIMARY KEY (user_id, kind)
);

-- Reminders before an agreement's expiry already sent (or passed over,
-- when a smaller threshold was due first): the primary key makes each
-- one once, whichever node gets there first.
CREATE TABLE agreement_reminders (
    agreement_id INTEGER NOT NULL REFERENCES agreements(id) ON DELETE CASCADE,
    days         INTEGER NOT NULL,
    sent_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (agreement_id, days)
);

-- +goose Down
DROP TABLE agreement_reminders;
DROP TABLE mail_preferences;
DROP TABLE notifications;
