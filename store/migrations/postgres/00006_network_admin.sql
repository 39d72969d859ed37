-- +goose Up
-- Institutions are one registry shared by every home institution. A
-- network administrator may change an institution that several homes use;
-- a home's admin only one that no other home uses.
ALTER TABLE users ADD COLUMN network_admin BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE users DROP COLUMN network_admin;
