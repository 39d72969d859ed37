-- +goose Up
-- A workflow's transition (an agreement confirmed, expired…) is audited with
-- its verb and the actor's comment beside the record before and after.
-- SQLite cannot change a CHECK constraint in place: the table is built anew
-- with every event copied, and its triggers and indexes made again.
CREATE TABLE audit_events_new (
    id          INTEGER PRIMARY KEY,
    home_id     INTEGER NOT NULL REFERENCES home_institutions(id),
    at          TIMESTAMP NOT NULL,
    user_id     INTEGER REFERENCES users(id),
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete', 'restore', 'transition')),
    entity      TEXT NOT NULL,
    entity_key  TEXT NOT NULL,
    version     INTEGER NOT NULL,
    before_json TEXT,
    after_json  TEXT,
    verb        TEXT NOT NULL DEFAULT '',
    comment     TEXT NOT NULL DEFAULT ''
);
INSERT INTO audit_events_new (id, home_id, at, user_id, actor, action, entity, entity_key, version, before_json, after_json)
    SELECT id, home_id, at, user_id, actor, action, entity, entity_key, version, before_json, after_json FROM audit_events;
DROP TRIGGER audit_events_no_update;
DROP TRIGGER audit_events_no_delete;
DROP TABLE audit_events;
ALTER TABLE audit_events_new RENAME TO audit_events;
CREATE INDEX audit_events_record ON audit_events(home_id, entity, entity_key, id);
CREATE INDEX audit_events_at ON audit_events(home_id, at);
-- +goose StatementBegin
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit log cannot be changed');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit log cannot be changed');
END;
-- +goose StatementEnd

-- +goose Down
-- Going back would drop the transitions from the audit log, which never
-- loses an event: refused.
SELECT RAISE(ABORT, 'the audit log keeps its transitions: restore a backup instead');
