-- +goose Up
-- Personal calendar feeds (issue 11): one secret URL per user, kept as
-- its hash; replacing it deletes the row, so an old URL stops at once.
CREATE TABLE calendar_feeds (
    secret_hash TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    created_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP
);

-- +goose Down
DROP TABLE calendar_feeds;
