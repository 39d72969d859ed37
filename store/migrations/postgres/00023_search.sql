-- +goose Up
-- Search (issue 14): one document per record found by search, with the
-- text its snippets come from, and a tsvector of the tokens the search
-- package makes of it (the same tokens SQLite's FTS5 table holds), written
-- as a literal so that PostgreSQL's own parser never changes them. The
-- index is derived data: exports leave these tables out, and it is built
-- again from the records (partnerhub search reindex, or the first search
-- after an import).
CREATE TABLE search_docs (
    id         BIGSERIAL PRIMARY KEY,
    kind       TEXT NOT NULL,
    record_id  BIGINT NOT NULL,
    home_id    BIGINT NOT NULL,
    record_key TEXT NOT NULL,
    year       INTEGER NOT NULL,
    public     BOOLEAN NOT NULL,
    title_ja   TEXT NOT NULL,
    title_en   TEXT NOT NULL,
    body_ja    TEXT NOT NULL,
    body_en    TEXT NOT NULL,
    names      TEXT NOT NULL,
    tokens     TSVECTOR NOT NULL,
    UNIQUE (kind, record_id)
);
CREATE INDEX search_docs_home ON search_docs(home_id);
-- Every search reads the whole of a GIN index's pending list (rows added
-- but not yet merged into the index): at the default 4 MB that is ~7 ms a
-- query. A small list keeps that cost below a millisecond; a rebuild cleans
-- the list when it is done.
CREATE INDEX search_docs_tokens ON search_docs USING GIN (tokens) WITH (gin_pending_list_limit = 256);
CREATE TABLE search_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    last_event BIGINT NOT NULL,
    built_at   TIMESTAMPTZ NOT NULL
);
CREATE TABLE search_gaps (
    event_id BIGINT PRIMARY KEY,
    seen_at  TIMESTAMPTZ NOT NULL
);
CREATE TABLE search_stale (
    part TEXT PRIMARY KEY
);

-- +goose Down
DROP TABLE search_stale;
DROP TABLE search_gaps;
DROP TABLE search_state;
DROP TABLE search_docs;
