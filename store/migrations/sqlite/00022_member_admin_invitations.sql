-- +goose NO TRANSACTION
-- +goose Up
-- A network administrator invites each new member's first administrators
-- by mail (issue 13): an invitation may now give the role admin. SQLite
-- cannot change a CHECK constraint in place: the table is built anew with
-- foreign keys off, outside goose's transaction (as 00017 does).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE invitations_new (
    id               INTEGER PRIMARY KEY,
    home_id          INTEGER NOT NULL REFERENCES home_institutions(id),
    email            TEXT NOT NULL,
    name             TEXT NOT NULL,
    language         TEXT NOT NULL CHECK (language IN ('ja', 'en')),
    role             TEXT NOT NULL CHECK (role IN ('guest', 'viewer', 'admin')),
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
INSERT INTO invitations_new (id, home_id, email, name, language, role, note_ja, note_en, grants, token_hash, invited_by, inviter, created_at, sent_at, sends, lifetime_seconds, expires_at, accepted_at, user_id, existing_account, revoked_at, version)
    SELECT id, home_id, email, name, language, role, note_ja, note_en, grants, token_hash, invited_by, inviter, created_at, sent_at, sends, lifetime_seconds, expires_at, accepted_at, user_id, existing_account, revoked_at, version FROM invitations;
DROP TABLE invitations;
ALTER TABLE invitations_new RENAME TO invitations;
CREATE INDEX invitations_home ON invitations(home_id, id);
CREATE INDEX invitations_email ON invitations(email);
COMMIT;
PRAGMA foreign_keys = ON;

-- +goose Down
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE invitations_new (
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
INSERT INTO invitations_new (id, home_id, email, name, language, role, note_ja, note_en, grants, token_hash, invited_by, inviter, created_at, sent_at, sends, lifetime_seconds, expires_at, accepted_at, user_id, existing_account, revoked_at, version)
    SELECT id, home_id, email, name, language, role, note_ja, note_en, grants, token_hash, invited_by, inviter, created_at, sent_at, sends, lifetime_seconds, expires_at, accepted_at, user_id, existing_account, revoked_at, version FROM invitations WHERE role <> 'admin';
DROP TABLE invitations;
ALTER TABLE invitations_new RENAME TO invitations;
CREATE INDEX invitations_home ON invitations(home_id, id);
CREATE INDEX invitations_email ON invitations(email);
COMMIT;
PRAGMA foreign_keys = ON;
