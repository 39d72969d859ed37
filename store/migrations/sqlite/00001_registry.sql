-- +goose Up
-- Institutions are a registry shared by every home institution (tenant);
-- everything else belongs to one home institution.
CREATE TABLE institutions (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name_ja     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    acronym     TEXT NOT NULL DEFAULT '',
    country     TEXT NOT NULL,
    city_ja     TEXT NOT NULL DEFAULT '',
    city_en     TEXT NOT NULL DEFAULT '',
    lat         REAL,
    lng         REAL,
    website     TEXT NOT NULL DEFAULT '',
    ror         TEXT NOT NULL DEFAULT '',
    established INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE home_institutions (
    id             INTEGER PRIMARY KEY,
    slug           TEXT NOT NULL UNIQUE,
    institution_id INTEGER NOT NULL REFERENCES institutions(id),
    programme_ja   TEXT NOT NULL,
    programme_en   TEXT NOT NULL
);

CREATE TABLE units (
    id       INTEGER PRIMARY KEY,
    home_id  INTEGER NOT NULL REFERENCES home_institutions(id),
    code     TEXT NOT NULL,
    name_ja  TEXT NOT NULL,
    name_en  TEXT NOT NULL,
    abbr_ja  TEXT NOT NULL,
    abbr_en  TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('graduate_school', 'institute', 'center', 'hospital', 'office')),
    position INTEGER NOT NULL,
    UNIQUE (home_id, code)
);

CREATE TABLE phases (
    home_id           INTEGER NOT NULL REFERENCES home_institutions(id),
    number            INTEGER NOT NULL,
    start_year        INTEGER NOT NULL,
    end_year          INTEGER NOT NULL,
    total_partners    INTEGER NOT NULL,
    primary_partners  INTEGER,
    prospective_partners INTEGER,
    PRIMARY KEY (home_id, number)
);

CREATE TABLE phase_aims (
    home_id  INTEGER NOT NULL,
    phase    INTEGER NOT NULL,
    position INTEGER NOT NULL,
    text_ja  TEXT NOT NULL,
    text_en  TEXT NOT NULL,
    PRIMARY KEY (home_id, phase, position),
    FOREIGN KEY (home_id, phase) REFERENCES phases(home_id, number)
);

CREATE TABLE partners (
    id         INTEGER PRIMARY KEY,
    home_id    INTEGER NOT NULL REFERENCES home_institutions(id),
    slug       TEXT NOT NULL,
    name_ja    TEXT NOT NULL,
    name_en    TEXT NOT NULL,
    short_name TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL CHECK (kind IN ('institution', 'group')),
    summary_ja TEXT NOT NULL DEFAULT '',
    summary_en TEXT NOT NULL DEFAULT '',
    note_ja    TEXT NOT NULL DEFAULT '',
    note_en    TEXT NOT NULL DEFAULT '',
    position   INTEGER NOT NULL,
    UNIQUE (home_id, slug)
);

CREATE TABLE partner_members (
    partner_id     INTEGER NOT NULL REFERENCES partners(id),
    institution_id INTEGER NOT NULL REFERENCES institutions(id),
    position       INTEGER NOT NULL,
    PRIMARY KEY (partner_id, institution_id)
);
CREATE INDEX partner_members_institution ON partner_members(institution_id);

CREATE TABLE standings (
    home_id    INTEGER NOT NULL,
    partner_id INTEGER NOT NULL REFERENCES partners(id),
    phase      INTEGER NOT NULL,
    tier       TEXT NOT NULL CHECK (tier IN ('primary', 'prospective')),
    PRIMARY KEY (partner_id, phase),
    FOREIGN KEY (home_id, phase) REFERENCES phases(home_id, number)
);

CREATE TABLE team_memberships (
    home_id    INTEGER NOT NULL,
    partner_id INTEGER NOT NULL REFERENCES partners(id),
    unit_id    INTEGER NOT NULL REFERENCES units(id),
    phase      INTEGER NOT NULL,
    lead       INTEGER NOT NULL DEFAULT 0,
    position   INTEGER NOT NULL,
    PRIMARY KEY (partner_id, unit_id, phase),
    FOREIGN KEY (home_id, phase) REFERENCES phases(home_id, number)
);
CREATE INDEX team_memberships_unit ON team_memberships(unit_id);

CREATE TABLE series (
    id         INTEGER PRIMARY KEY,
    home_id    INTEGER NOT NULL REFERENCES home_institutions(id),
    slug       TEXT NOT NULL,
    name_ja    TEXT NOT NULL,
    name_en    TEXT NOT NULL,
    partner_id INTEGER REFERENCES partners(id),
    since      TEXT NOT NULL DEFAULT '',
    recurrence TEXT NOT NULL,
    alternates INTEGER NOT NULL DEFAULT 0,
    UNIQUE (home_id, slug)
);

-- Partial dates are stored as their ISO text ('2015', '2013-01',
-- '2021-03-15'), which sorts in calendar order; '' is no date.
CREATE TABLE agreements (
    id             INTEGER PRIMARY KEY,
    home_id        INTEGER NOT NULL REFERENCES home_institutions(id),
    slug           TEXT NOT NULL,
    partner_id     INTEGER NOT NULL REFERENCES partners(id),
    institution_id INTEGER REFERENCES institutions(id),
    kind           TEXT NOT NULL,
    level          TEXT NOT NULL,
    title_ja       TEXT NOT NULL,
    title_en       TEXT NOT NULL,
    signed         TEXT NOT NULL DEFAULT '',
    expires        TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL,
    note_ja        TEXT NOT NULL DEFAULT '',
    note_en        TEXT NOT NULL DEFAULT '',
    UNIQUE (home_id, slug)
);
CREATE INDEX agreements_partner ON agreements(partner_id);

CREATE TABLE agreement_units (
    agreement_id INTEGER NOT NULL REFERENCES agreements(id),
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    position     INTEGER NOT NULL,
    PRIMARY KEY (agreement_id, unit_id)
);

CREATE TABLE activities (
    id           INTEGER PRIMARY KEY,
    home_id      INTEGER NOT NULL REFERENCES home_institutions(id),
    slug         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    title_ja     TEXT NOT NULL,
    title_en     TEXT NOT NULL,
    summary_ja   TEXT NOT NULL DEFAULT '',
    summary_en   TEXT NOT NULL DEFAULT '',
    start_date   TEXT NOT NULL DEFAULT '',
    end_date     TEXT NOT NULL DEFAULT '',
    fiscal_year  INTEGER NOT NULL DEFAULT 0,
    phase        INTEGER NOT NULL DEFAULT 0,
    format       TEXT NOT NULL DEFAULT '',
    host_id      INTEGER REFERENCES institutions(id),
    venue_ja     TEXT NOT NULL DEFAULT '',
    venue_en     TEXT NOT NULL DEFAULT '',
    participants INTEGER,
    participants_qualifier TEXT,
    series_id    INTEGER REFERENCES series(id),
    edition      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (home_id, slug)
);
CREATE INDEX activities_home_start ON activities(home_id, start_date);

CREATE TABLE activity_partners (
    activity_id INTEGER NOT NULL REFERENCES activities(id),
    partner_id  INTEGER NOT NULL REFERENCES partners(id),
    position    INTEGER NOT NULL,
    PRIMARY KEY (activity_id, partner_id)
);
CREATE INDEX activity_partners_partner ON activity_partners(partner_id);

CREATE TABLE activity_units (
    activity_id INTEGER NOT NULL REFERENCES activities(id),
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    position    INTEGER NOT NULL,
    PRIMARY KEY (activity_id, unit_id)
);
CREATE INDEX activity_units_unit ON activity_units(unit_id);

CREATE TABLE activity_institutions (
    activity_id    INTEGER NOT NULL REFERENCES activities(id),
    institution_id INTEGER NOT NULL REFERENCES institutions(id),
    position       INTEGER NOT NULL,
    PRIMARY KEY (activity_id, institution_id)
);

CREATE TABLE figures (
    id         INTEGER PRIMARY KEY,
    home_id    INTEGER NOT NULL REFERENCES home_institutions(id),
    key        TEXT NOT NULL,
    partner_id INTEGER REFERENCES partners(id),
    value      INTEGER NOT NULL,
    qualifier  TEXT NOT NULL,
    per_year   INTEGER NOT NULL DEFAULT 0,
    as_of      TEXT NOT NULL DEFAULT '',
    note_ja    TEXT NOT NULL,
    note_en    TEXT NOT NULL
);

-- +goose Down
DROP TABLE figures;
DROP TABLE activity_institutions;
DROP TABLE activity_units;
DROP TABLE activity_partners;
DROP TABLE activities;
DROP TABLE agreement_units;
DROP TABLE agreements;
DROP TABLE series;
DROP TABLE team_memberships;
DROP TABLE standings;
DROP TABLE partner_members;
DROP TABLE partners;
DROP TABLE phase_aims;
DROP TABLE phases;
DROP TABLE units;
DROP TABLE home_institutions;
DROP TABLE institutions;
