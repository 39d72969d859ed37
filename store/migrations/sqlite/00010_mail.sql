-- +goose Up
-- The language a user's mail is written in ('' until they choose: then
-- Japanese).
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';

-- Mail waiting to be sent, or sent. A row is written in the transaction of
-- the change it tells about, so it exists if and only if the change was
-- committed. message_id is made when the row is written: a message sent
-- again after a crash between sending and marking it sent keeps it, and
-- the recipient's mail client shows it once.
CREATE TABLE mail_outbox (
    id         INTEGER PRIMARY KEY,
    recipient  TEXT NOT NULL,
    language   TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body_text  TEXT NOT NULL,
    body_html  TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- not before: a claim's lease, or the next try after a failure
    next_at    TIMESTAMP NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    sent_at    TIMESTAMP,
    failed_at  TIMESTAMP
);
CREATE INDEX mail_outbox_waiting ON mail_outbox(next_at) WHERE sent_at IS NULL AND failed_at IS NULL;

-- +goose Down
DROP TABLE mail_outbox;
ALTER TABLE users DROP COLUMN language;
