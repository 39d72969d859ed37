-- +goose Up
-- Second factors. A TOTP secret is kept until it is removed; confirmed_at
-- is NULL while its enrolment waits for a first code, and last_step is the
-- time step of the last code accepted, so that a code is never accepted
-- twice.
CREATE TABLE mfa_totp (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL UNIQUE REFERENCES users(id),
    secret       TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    confirmed_at TIMESTAMP,
    last_step    INTEGER NOT NULL DEFAULT 0
);

-- Recovery codes: only their hashes; a used code keeps its row.
CREATE TABLE mfa_recovery_codes (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    code_hash  TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
CREATE INDEX mfa_recovery_codes_user ON mfa_recovery_codes(user_id);

-- Passkeys (WebAuthn credentials): the credential as the library records
-- it (public key, sign count, flags), in JSON.
CREATE TABLE mfa_passkeys (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    name          TEXT NOT NULL,
    credential_id TEXT NOT NULL UNIQUE,
    credential    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    last_used_at  TIMESTAMP
);
CREATE INDEX mfa_passkeys_user ON mfa_passkeys(user_id);

-- Ceremonies under way: the second step of a sign-in (the token's hash is
-- in a cookie of the browser that gave the password) and the registration
-- of a passkey. Short-lived; data is the WebAuthn session, if any.
CREATE TABLE mfa_challenges (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    purpose    TEXT NOT NULL CHECK (purpose IN ('signin', 'register')),
    data       TEXT NOT NULL DEFAULT '',
    failures   INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX mfa_challenges_user ON mfa_challenges(user_id);

-- +goose Down
DROP TABLE mfa_challenges;
DROP TABLE mfa_passkeys;
DROP TABLE mfa_recovery_codes;
DROP TABLE mfa_totp;
