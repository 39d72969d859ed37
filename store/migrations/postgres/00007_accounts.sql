-- +goose Up
-- Accounts (issue 10): a password set by the programme office must be
-- changed at the first sign-in; sessions end after a time without use and
-- are listed to their owner (an id to name one, where and from what it
-- was opened); API tokens expire and are read-only or read-write.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE sessions ADD COLUMN id TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMPTZ;
ALTER TABLE sessions ADD COLUMN idle_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN ip TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
-- Sessions opened before: named by the start of their hash, which is no secret.
UPDATE sessions SET id = substr(token_hash, 1, 22), last_seen_at = created_at;
-- Tokens made before keep working as they did (read-write), without an
-- expiry until revoked; new ones always have both.
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMPTZ;
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'write' CHECK (scope IN ('read', 'write'));

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN scope;
ALTER TABLE api_tokens DROP COLUMN expires_at;
ALTER TABLE sessions DROP COLUMN user_agent;
ALTER TABLE sessions DROP COLUMN ip;
ALTER TABLE sessions DROP COLUMN idle_seconds;
ALTER TABLE sessions DROP COLUMN last_seen_at;
ALTER TABLE sessions DROP COLUMN id;
ALTER TABLE users DROP COLUMN must_change_password;
