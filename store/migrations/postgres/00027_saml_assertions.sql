-- +goose Up
-- SAML replay cache: the ID of every assertion accepted, kept until the
-- assertion expires, so that the same assertion posted again — to this
-- node or any other on the database — is refused.
CREATE TABLE saml_assertions (
	assertion_id TEXT PRIMARY KEY,
	expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX saml_assertions_expires ON saml_assertions (expires_at);

-- +goose Down
DROP TABLE saml_assertions;
