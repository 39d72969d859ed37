-- +goose Up
-- The network's events (issue 13): symposia and workshops that network
-- editors organise, with public registration (no account). Registrants'
-- personal data is deleted retention_days after the event ends; the
-- counts are kept on the event (kept_*) once it is.
CREATE TABLE network_events (
    id                  INTEGER PRIMARY KEY,
    title_ja            TEXT NOT NULL,
    title_en            TEXT NOT NULL,
    description_ja      TEXT NOT NULL DEFAULT '',
    description_en      TEXT NOT NULL DEFAULT '',
    kind                TEXT NOT NULL CHECK (kind IN ('symposium', 'workshop', 'seminar', 'other')),
    venue_ja            TEXT NOT NULL DEFAULT '',
    venue_en            TEXT NOT NULL DEFAULT '',
    online              INTEGER NOT NULL DEFAULT 0,
    starts_at           TIMESTAMP NOT NULL,
    ends_at             TIMESTAMP NOT NULL,
    capacity            INTEGER NOT NULL CHECK (capacity > 0),
    registration_opens  TIMESTAMP NOT NULL,
    registration_closes TIMESTAMP NOT NULL,
    organiser_id        INTEGER REFERENCES home_institutions(id),
    state               TEXT NOT NULL CHECK (state IN ('draft', 'published', 'cancelled')),
    retention_days      INTEGER NOT NULL DEFAULT 30 CHECK (retention_days >= 0),
    cancellations       INTEGER NOT NULL DEFAULT 0,
    purged_at           TIMESTAMP,
    kept_confirmed      INTEGER NOT NULL DEFAULT 0,
    kept_waiting        INTEGER NOT NULL DEFAULT 0,
    version             INTEGER NOT NULL DEFAULT 1,
    created_by          INTEGER REFERENCES users(id),
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);
CREATE INDEX network_events_starts ON network_events(starts_at);

-- A registration: confirmed (a place) or waiting (in order of id). A
-- cancelled one is deleted (the event counts it); token_hash is the
-- SHA-256 of the private cancel link's token; notified_at is when its
-- holder was last mailed, so that the form cannot be used to flood an
-- address with "already registered" mail.
CREATE TABLE network_event_registrations (
    id          INTEGER PRIMARY KEY,
    event_id    INTEGER NOT NULL REFERENCES network_events(id),
    name        TEXT NOT NULL,
    affiliation TEXT NOT NULL,
    email       TEXT NOT NULL,
    language    TEXT NOT NULL CHECK (language IN ('ja', 'en')),
    status      TEXT NOT NULL CHECK (status IN ('confirmed', 'waiting')),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL,
    promoted_at TIMESTAMP,
    reminded_at TIMESTAMP,
    notified_at TIMESTAMP NOT NULL,
    UNIQUE (event_id, email)
);
CREATE INDEX network_event_registrations_event ON network_event_registrations(event_id, status, id);

-- +goose Down
DROP TABLE network_event_registrations;
DROP TABLE network_events;
