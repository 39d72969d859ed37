-- +goose Up
-- Editing: every editable record carries a version (optimistic locking) and
-- a deletion time (soft delete: a deleted record stays, in the bin, until it
-- is restored). Activities and agreements can be drafts.
ALTER TABLE institutions ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE institutions ADD COLUMN deleted_at TIMESTAMP;
ALTER TABLE units ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE units ADD COLUMN deleted_at TIMESTAMP;
ALTER TABLE partners ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE partners ADD COLUMN deleted_at TIMESTAMP;
ALTER TABLE agreements ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE agreements ADD COLUMN deleted_at TIMESTAMP;
ALTER TABLE agreements ADD COLUMN published INTEGER NOT NULL DEFAULT 1;
ALTER TABLE activities ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE activities ADD COLUMN deleted_at TIMESTAMP;
ALTER TABLE activities ADD COLUMN published INTEGER NOT NULL DEFAULT 1;

-- People who sign in. A user belongs to one home institution.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    home_id       INTEGER NOT NULL REFERENCES home_institutions(id),
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'viewer')),
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
);

-- The units a coordinator may edit for.
CREATE TABLE user_units (
    user_id INTEGER NOT NULL REFERENCES users(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    PRIMARY KEY (user_id, unit_id)
);

-- Sessions live in the database so that every app node shares them. Only a
-- hash of the token is stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

-- Failed sign-ins, for throttling across all app nodes.
CREATE TABLE login_failures (
    id    INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    ip    TEXT NOT NULL,
    at    TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_email ON login_failures(email, at);
CREATE INDEX login_failures_ip ON login_failures(ip, at);

-- The audit log: every write, with the record before and after (JSON).
-- The application only ever inserts here; triggers refuse changes.
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY,
    home_id     INTEGER NOT NULL REFERENCES home_institutions(id),
    at          TIMESTAMP NOT NULL,
    user_id     INTEGER REFERENCES users(id),
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete', 'restore')),
    entity      TEXT NOT NULL,
    entity_key  TEXT NOT NULL,
    version     INTEGER NOT NULL,
    before_json TEXT,
    after_json  TEXT
);
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
DROP TRIGGER audit_events_no_update;
DROP TRIGGER audit_events_no_delete;
DROP TABLE audit_events;
DROP TABLE login_failures;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE user_units;
DROP TABLE users;
ALTER TABLE activities DROP COLUMN published;
ALTER TABLE activities DROP COLUMN deleted_at;
ALTER TABLE activities DROP COLUMN version;
ALTER TABLE agreements DROP COLUMN published;
ALTER TABLE agreements DROP COLUMN deleted_at;
ALTER TABLE agreements DROP COLUMN version;
ALTER TABLE partners DROP COLUMN deleted_at;
ALTER TABLE partners DROP COLUMN version;
ALTER TABLE units DROP COLUMN deleted_at;
ALTER TABLE units DROP COLUMN version;
ALTER TABLE institutions DROP COLUMN deleted_at;
ALTER TABLE institutions DROP COLUMN version;
