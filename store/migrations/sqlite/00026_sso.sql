-- +goose Up
-- Single sign-on (issue 16): who an identity provider's people are here.
--
-- federated_identities links a person at an identity provider (protocol,
-- provider: the SAML entity ID or OpenID issuer, subject: the stable
-- identifier there) to an account of one home; attributes is a JSON
-- snapshot of what the provider said at the last sign-in (never used to
-- decide anything later: rules read the live answer).
CREATE TABLE federated_identities (
    id            INTEGER PRIMARY KEY,
    home_id       INTEGER NOT NULL REFERENCES home_institutions(id),
    user_id       INTEGER NOT NULL REFERENCES users(id),
    protocol      TEXT NOT NULL CHECK (protocol IN ('saml', 'oidc')),
    provider      TEXT NOT NULL,
    subject       TEXT NOT NULL,
    attributes    TEXT NOT NULL DEFAULT '{}',
    first_seen_at TIMESTAMP NOT NULL,
    last_seen_at  TIMESTAMP NOT NULL,
    UNIQUE (home_id, protocol, provider, subject)
);
CREATE INDEX federated_identities_user ON federated_identities(user_id);

-- An administrator's word that the person (provider, subject) may have an
-- account with role; its first sign-in makes it (used_at, user_id).
CREATE TABLE sso_preauthorisations (
    id         INTEGER PRIMARY KEY,
    home_id    INTEGER NOT NULL REFERENCES home_institutions(id),
    provider   TEXT NOT NULL,
    subject    TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('guest', 'viewer')),
    created_by INTEGER REFERENCES users(id),
    creator    TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP,
    user_id    INTEGER REFERENCES users(id),
    UNIQUE (home_id, provider, subject)
);

-- Role rules: the people of provider with affiliation (eduPersonAffiliation,
-- or a scoped one with "@") get an account with role at their first
-- sign-in.
CREATE TABLE sso_role_rules (
    id          INTEGER PRIMARY KEY,
    home_id     INTEGER NOT NULL REFERENCES home_institutions(id),
    provider    TEXT NOT NULL,
    affiliation TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('guest', 'viewer')),
    created_by  INTEGER REFERENCES users(id),
    creator     TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (home_id, provider, affiliation)
);

-- A session the identity provider vouched multi-factor for (REFEDS MFA):
-- it counts as the second factor an administrator must have.
ALTER TABLE sessions ADD COLUMN mfa_asserted INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE sessions DROP COLUMN mfa_asserted;
DROP TABLE sso_role_rules;
DROP TABLE sso_preauthorisations;
DROP TABLE federated_identities;
