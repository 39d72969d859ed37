-- +goose Up
-- The network (issue 13): one deployment holds many home institutions
-- (members), each with its own portal at /{slug}/ and, optionally, at its
-- own host name. A member is disabled, never deleted: its records stay.
ALTER TABLE home_institutions ADD COLUMN host TEXT NOT NULL DEFAULT '';
ALTER TABLE home_institutions ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE home_institutions ADD COLUMN share_statistics INTEGER NOT NULL DEFAULT 0;
ALTER TABLE home_institutions ADD COLUMN created_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
CREATE UNIQUE INDEX home_institutions_host ON home_institutions (host) WHERE host <> '';
-- Network editors review the network's notes and organise its events.
ALTER TABLE users ADD COLUMN network_editor INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN network_editor;
DROP INDEX home_institutions_host;
ALTER TABLE home_institutions DROP COLUMN created_at;
ALTER TABLE home_institutions DROP COLUMN share_statistics;
ALTER TABLE home_institutions DROP COLUMN disabled;
ALTER TABLE home_institutions DROP COLUMN host;
