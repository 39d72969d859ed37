-- +goose Up
-- Mobility imports run by the job queue (River, whose tables River's own
-- migrator makes): the uploaded file waits here in chunks, so that any node
-- can read it and it outlives a restart, and it is deleted when the import
-- ends; progress and result are here, so that every node shows them.
-- result is the page's JSON (rows, problems, error), written once at the end.
CREATE TABLE import_jobs (
    id          TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id),
    home        TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    format      TEXT NOT NULL,
    size        BIGINT NOT NULL,
    done        BIGINT NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    result      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX import_jobs_running ON import_jobs(finished_at, user_id, home);

CREATE TABLE import_job_chunks (
    job_id TEXT NOT NULL REFERENCES import_jobs(id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    data   BYTEA NOT NULL,
    PRIMARY KEY (job_id, seq)
);

-- +goose Down
DROP TABLE import_job_chunks;
DROP TABLE import_jobs;
