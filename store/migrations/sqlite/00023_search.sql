-- +goose Up
-- Search (issue 14): one document per record found by search, with the
-- text its snippets come from, and an FTS5 index of the tokens the search
-- package makes of it (the same tokens PostgreSQL's tsvector holds). The
-- index is derived data: exports leave these tables out, and it is built
-- again from the records (partnerhub search reindex, or the first search
-- after an import).
CREATE TABLE search_docs (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    record_id  INTEGER NOT NULL, -- the id of the record in its own table
    home_id    INTEGER NOT NULL, -- the home it belongs to; 0 for the shared registry
    record_key TEXT NOT NULL,
    year       INTEGER NOT NULL,
    public     INTEGER NOT NULL,
    title_ja   TEXT NOT NULL,
    title_en   TEXT NOT NULL,
    body_ja    TEXT NOT NULL,
    body_en    TEXT NOT NULL,
    names      TEXT NOT NULL, -- the name keys, one a line, to tell an exact match
    UNIQUE (kind, record_id)
);
CREATE INDEX search_docs_home ON search_docs(home_id);
-- The tokens have tags that are not ASCII and never spaces: the ascii
-- tokenizer keeps each whole (it splits at ASCII non-alphanumerics only).
CREATE VIRTUAL TABLE search_fts USING fts5(tokens, content = '', contentless_delete = 1, tokenize = 'ascii');
-- The last audit event the index has caught up with (one row; none: the
-- index must be built).
CREATE TABLE search_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    last_event INTEGER NOT NULL,
    built_at   TIMESTAMP NOT NULL
);
-- Events below last_event not seen when it moved on (a transaction still
-- open then); looked for again until they come or are old.
CREATE TABLE search_gaps (
    event_id INTEGER PRIMARY KEY,
    seen_at  TIMESTAMP NOT NULL
);
-- Parts written without audit events (a catalog import): built again
-- before the next search. "home:ID" or "institutions".
CREATE TABLE search_stale (
    part TEXT PRIMARY KEY
);

-- +goose Down
DROP TABLE search_stale;
DROP TABLE search_gaps;
DROP TABLE search_state;
DROP TABLE search_fts;
DROP TABLE search_docs;
