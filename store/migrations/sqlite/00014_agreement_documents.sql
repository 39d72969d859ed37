-- +goose Up
-- The documents of an agreement (issue 11): drafts (PDF or DOCX) and
-- signed copies (PDF), each upload a new version of its role, none ever
-- replaced. The bytes are kept here, beside the record, so that a backup,
-- an export and an import carry them with it.
CREATE TABLE agreement_documents (
    id           INTEGER PRIMARY KEY,
    home_id      INTEGER NOT NULL REFERENCES home_institutions(id),
    agreement_id INTEGER NOT NULL REFERENCES agreements(id),
    role         TEXT NOT NULL CHECK (role IN ('draft', 'signed')),
    version      INTEGER NOT NULL CHECK (version > 0),
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    data         BLOB NOT NULL,
    -- the uploader's account (NULL for the command line) and address
    uploaded_by  INTEGER REFERENCES users(id),
    uploader     TEXT NOT NULL,
    uploaded_at  TIMESTAMP NOT NULL,
    UNIQUE (agreement_id, role, version)
);

-- +goose Down
DROP TABLE agreement_documents;
