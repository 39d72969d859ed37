-- +goose Up
-- Good practice (issue 13): the network's library of case notes, each
-- written by a member's office in both languages, reviewed by the
-- network's editors and published. search_text is the note's titles,
-- bodies and tags in NFKC and lower case, which the library's query
-- matches with LIKE.
CREATE TABLE practice_notes (
    id           INTEGER PRIMARY KEY,
    home_id      INTEGER NOT NULL REFERENCES home_institutions(id),
    topic        TEXT NOT NULL,
    title_ja     TEXT NOT NULL,
    title_en     TEXT NOT NULL,
    body_ja      TEXT NOT NULL DEFAULT '',
    body_en      TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'published', 'returned', 'withdrawn')),
    comment      TEXT NOT NULL DEFAULT '',
    search_text  TEXT NOT NULL DEFAULT '',
    created_by   INTEGER REFERENCES users(id),
    author       TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    published_at TIMESTAMP,
    version      INTEGER NOT NULL
);
CREATE INDEX practice_notes_home ON practice_notes(home_id, state);
CREATE INDEX practice_notes_state ON practice_notes(state, topic);

CREATE TABLE practice_note_tags (
    note_id  INTEGER NOT NULL REFERENCES practice_notes(id),
    position INTEGER NOT NULL,
    tag      TEXT NOT NULL,
    PRIMARY KEY (note_id, position)
);
CREATE INDEX practice_note_tags_tag ON practice_note_tags(tag);

-- The writer's own partners and activities a note is about, by slug.
CREATE TABLE practice_note_links (
    note_id  INTEGER NOT NULL REFERENCES practice_notes(id),
    kind     TEXT NOT NULL CHECK (kind IN ('partner', 'activity')),
    position INTEGER NOT NULL,
    slug     TEXT NOT NULL,
    PRIMARY KEY (note_id, kind, position)
);

-- Attachments, their type found by their content; never served inline.
CREATE TABLE practice_note_files (
    id           INTEGER PRIMARY KEY,
    note_id      INTEGER NOT NULL REFERENCES practice_notes(id),
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    data         BLOB NOT NULL,
    uploaded_by  INTEGER REFERENCES users(id),
    uploaded_at  TIMESTAMP NOT NULL
);
CREATE INDEX practice_note_files_note ON practice_note_files(note_id);

-- +goose Down
DROP TABLE practice_note_files;
DROP TABLE practice_note_links;
DROP TABLE practice_note_tags;
DROP TABLE practice_notes;
