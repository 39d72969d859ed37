-- +goose NO TRANSACTION
-- +goose Up
-- Invitations (issue 12): people from outside the office (a partner
-- university's staff, applicants, reviewers) join by a single-use,
-- expiring link sent by mail, as guests.
--
-- The users' role gains 'guest'. SQLite cannot change a CHECK constraint
-- in place, and dropping users with foreign keys on would cascade to
-- their sessions and the rest: the table is built anew with foreign keys
-- off (outside a transaction, as SQLite requires; the store's one writer
-- connection runs every statement here), in one transaction.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE users_new (
    id                   INTEGER PRIMARY KEY,
    home_id              INTEGER NOT NULL REFERENCES home_institutions(id),
    email                TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    role                 TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'viewer', 'guest')),
    disabled             INTEGER NOT NULL DEFAULT 0,
    created_at           TIMESTAMP NOT NULL,
    version              INTEGER NOT NULL DEFAULT 1,
    network_admin        INTEGER NOT NULL DEFAULT 0,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    language             TEXT NOT NULL DEFAULT ''
);
INSERT INTO users_new (id, home_id, email, name, password_hash, role, disabled, created_at, version, network_admin, must_change_password, language)
    SELECT id, home_id, email, name, password_hash, role, disabled, created_at, version, network_admin, must_change_password, language FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

-- token_hash is the SHA-256 of the link's token; a resend replaces it, so
-- the link before no longer works. grants is the inviting feature's own
-- (opaque here), read by its hook when the invitation is accepted.
-- user_id is the account made on acceptance, or the one the address
-- already had (existing_account).
CREATE TABLE invitations (
    id               INTEGER PRIMARY KEY,
    home_id          INTEGER NOT NULL REFERENCES home_institutions(id),
    email            TEXT NOT NULL,
    name             TEXT NOT NULL,
    language         TEXT NOT NULL CHECK (language IN ('ja', 'en')),
    role             TEXT NOT NULL CHECK (role IN ('guest', 'viewer')),
    note_ja          TEXT NOT NULL DEFAULT '',
    note_en          TEXT NOT NULL DEFAULT '',
    grants           TEXT NOT NULL DEFAULT '',
    token_hash       TEXT NOT NULL UNIQUE,
    invited_by       INTEGER REFERENCES users(id),
    inviter          TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    sent_at          TIMESTAMP NOT NULL,
    sends            INTEGER NOT NULL DEFAULT 1,
    lifetime_seconds INTEGER NOT NULL,
    expires_at       TIMESTAMP NOT NULL,
    accepted_at      TIMESTAMP,
    user_id          INTEGER REFERENCES users(id),
    existing_account INTEGER NOT NULL DEFAULT 0,
    revoked_at       TIMESTAMP,
    version          INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX invitations_home ON invitations(home_id, id);
CREATE INDEX invitations_email ON invitations(email);
COMMIT;
PRAGMA foreign_keys = ON;

-- +goose Down
PRAGMA foreign_keys = OFF;
BEGIN;
DROP TABLE invitations;
CREATE TABLE users_new (
    id                   INTEGER PRIMARY KEY,
    home_id              INTEGER NOT NULL REFERENCES home_institutions(id),
    email                TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    role                 TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'viewer')),
    disabled             INTEGER NOT NULL DEFAULT 0,
    created_at           TIMESTAMP NOT NULL,
    version              INTEGER NOT NULL DEFAULT 1,
    network_admin        INTEGER NOT NULL DEFAULT 0,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    language             TEXT NOT NULL DEFAULT ''
);
-- A guest's account cannot go back: the INSERT fails, and nothing changes.
INSERT INTO users_new (id, home_id, email, name, password_hash, role, disabled, created_at, version, network_admin, must_change_password, language)
    SELECT id, home_id, email, name, password_hash, role, disabled, created_at, version, network_admin, must_change_password, language FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
COMMIT;
PRAGMA foreign_keys = ON;
