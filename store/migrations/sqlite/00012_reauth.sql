-- +goose Up
-- Re-authentication (ASVS V7.5.1, V7.5.2): when the holder of a session
-- last proved their password, at the sign-in that opened it or on the
-- confirm page since. Changing second factors and ending sessions need a
-- recent proof. Sessions opened before have none, and ask for it once.
ALTER TABLE sessions ADD COLUMN auth_at TIMESTAMP;

-- +goose Down
ALTER TABLE sessions DROP COLUMN auth_at;
