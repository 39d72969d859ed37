-- +goose Up
-- Mobility figures: aggregate counts of people moving between the home
-- institution and a partner (and, optionally, one of the partner's member
-- institutions and one of the home institution's units) in an academic year.
-- Never personal data. A figure's key is every column but count: the unique
-- index below makes a key appear once per home institution, deleted figures
-- included (a deleted figure stays, soft-deleted, until it is restored).
CREATE TABLE mobility (
    id             INTEGER PRIMARY KEY,
    home_id        INTEGER NOT NULL REFERENCES home_institutions(id),
    partner_id     INTEGER NOT NULL REFERENCES partners(id),
    institution_id INTEGER REFERENCES institutions(id),
    unit_id        INTEGER REFERENCES units(id),
    year           INTEGER NOT NULL CHECK (year BETWEEN 1900 AND 2200),
    -- The lists are written with OR, not IN: SQLite checks an IN list by
    -- building a temporary table for every row, which made imports half as fast.
    direction      TEXT NOT NULL CHECK (direction = 'outbound' OR direction = 'inbound'),
    category       TEXT NOT NULL CHECK (category = 'undergraduate' OR category = 'graduate' OR category = 'faculty'
                                        OR category = 'staff' OR category = 'researcher'),
    programme      TEXT NOT NULL CHECK (programme = 'exchange' OR programme = 'short_programme' OR programme = 'joint_degree'
                                        OR programme = 'visit' OR programme = 'internship' OR programme = 'other'),
    count          INTEGER NOT NULL CHECK (count BETWEEN 0 AND 1000000),
    created_at     TIMESTAMP NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1,
    deleted_at     TIMESTAMP
);
CREATE UNIQUE INDEX mobility_key ON mobility (home_id, partner_id, COALESCE(institution_id, 0), COALESCE(unit_id, 0),
    year, direction, category, programme);

-- Rollups: the totals of the live figures, kept in the same transaction as
-- every change to mobility, so that statistics never scan the figures. Each
-- is small (years x partners x 10 rows a home at most) whatever the number
-- of figures. unit_id 0 holds the figures of the university as a whole (no
-- unit), so it has no foreign key.
CREATE TABLE mobility_by_partner (
    home_id    INTEGER NOT NULL REFERENCES home_institutions(id),
    year       INTEGER NOT NULL,
    partner_id INTEGER NOT NULL REFERENCES partners(id),
    direction  TEXT NOT NULL,
    category   TEXT NOT NULL,
    total      INTEGER NOT NULL,
    PRIMARY KEY (home_id, year, partner_id, direction, category)
) WITHOUT ROWID;

CREATE TABLE mobility_by_unit (
    home_id   INTEGER NOT NULL REFERENCES home_institutions(id),
    year      INTEGER NOT NULL,
    unit_id   INTEGER NOT NULL,
    direction TEXT NOT NULL,
    category  TEXT NOT NULL,
    total     INTEGER NOT NULL,
    PRIMARY KEY (home_id, year, unit_id, direction, category)
) WITHOUT ROWID;

CREATE TABLE mobility_by_home (
    home_id   INTEGER NOT NULL REFERENCES home_institutions(id),
    year      INTEGER NOT NULL,
    direction TEXT NOT NULL,
    category  TEXT NOT NULL,
    total     INTEGER NOT NULL,
    PRIMARY KEY (home_id, year, direction, category)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE mobility_by_home;
DROP TABLE mobility_by_unit;
DROP TABLE mobility_by_partner;
DROP INDEX mobility_key;
DROP TABLE mobility;
