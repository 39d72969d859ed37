-- +goose Up
-- Joint research funds (issue 12): a fund run with one or more partners,
-- its committee, its calls, the proposals sent to them, their joint review,
-- the committee's decisions and the reports awarded projects owe. The
-- settings of a call (kinds of grant, criteria, attachments) and a
-- proposal's budget are read and written whole, so they are kept as JSON;
-- everything a page filters or joins on has its own column.
CREATE TABLE funds (
    id                INTEGER PRIMARY KEY,
    home_id           INTEGER NOT NULL REFERENCES home_institutions(id),
    slug              TEXT NOT NULL,
    name_ja           TEXT NOT NULL DEFAULT '',
    name_en           TEXT NOT NULL DEFAULT '',
    summary_ja        TEXT NOT NULL DEFAULT '',
    summary_en        TEXT NOT NULL DEFAULT '',
    -- the partners (slugs, JSON array), the partner's time zone (IANA) and
    -- each side's currency (ISO 4217)
    partners          TEXT NOT NULL DEFAULT '[]',
    partner_zone      TEXT NOT NULL DEFAULT '',
    home_currency     TEXT NOT NULL DEFAULT 'JPY',
    partner_currency  TEXT NOT NULL DEFAULT 'USD',
    -- each side's contribution by year (JSON)
    contributions     TEXT NOT NULL DEFAULT '[]',
    -- the history before the fund was run here, as the programme declares it
    declared_calls    INTEGER NOT NULL DEFAULT 0,
    declared_projects INTEGER NOT NULL DEFAULT 0,
    -- whether a reviewer from an applicant's unit is conflicted, and whether
    -- reviewers see the others' reviews before submitting their own
    conflict_by_unit  INTEGER NOT NULL DEFAULT 0,
    reviews_open      INTEGER NOT NULL DEFAULT 0,
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    deleted_at        TIMESTAMP,
    UNIQUE (home_id, slug)
);

-- A person's role in a fund: administrator, committee chair or member,
-- with the side (home or partner) they sit for and, optionally, their unit.
CREATE TABLE fund_roles (
    fund_id    INTEGER NOT NULL REFERENCES funds(id),
    user_id    INTEGER NOT NULL REFERENCES users(id),
    role       TEXT NOT NULL CHECK (role IN ('admin', 'chair', 'member')),
    side       TEXT NOT NULL CHECK (side IN ('home', 'partner')),
    unit       TEXT NOT NULL DEFAULT '',
    keywords   TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (fund_id, user_id, role)
);
CREATE INDEX fund_roles_user ON fund_roles(user_id);

CREATE TABLE calls (
    id             INTEGER PRIMARY KEY,
    fund_id        INTEGER NOT NULL REFERENCES funds(id),
    number         INTEGER NOT NULL CHECK (number > 0),
    title_ja       TEXT NOT NULL DEFAULT '',
    title_en       TEXT NOT NULL DEFAULT '',
    body_ja        TEXT NOT NULL DEFAULT '',
    body_en        TEXT NOT NULL DEFAULT '',
    eligibility_ja TEXT NOT NULL DEFAULT '',
    eligibility_en TEXT NOT NULL DEFAULT '',
    opens_at       TIMESTAMP NOT NULL,
    closes_at      TIMESTAMP NOT NULL,
    budget         INTEGER NOT NULL DEFAULT 0,
    budget_currency TEXT NOT NULL DEFAULT '',
    -- kinds of grant, review criteria and required attachments (JSON)
    grants         TEXT NOT NULL DEFAULT '[]',
    criteria       TEXT NOT NULL DEFAULT '[]',
    attachments    TEXT NOT NULL DEFAULT '[]',
    scale_min      INTEGER NOT NULL DEFAULT 1,
    scale_max      INTEGER NOT NULL DEFAULT 5,
    english_only   INTEGER NOT NULL DEFAULT 0,
    interim_due    TEXT NOT NULL DEFAULT '',
    final_due      TEXT NOT NULL DEFAULT '',
    published      INTEGER NOT NULL DEFAULT 0,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    deleted_at     TIMESTAMP,
    UNIQUE (fund_id, number)
);
CREATE INDEX calls_closes ON calls(closes_at);

CREATE TABLE proposals (
    id           INTEGER PRIMARY KEY,
    call_id      INTEGER NOT NULL REFERENCES calls(id),
    grant_code   TEXT NOT NULL DEFAULT '',
    title_ja     TEXT NOT NULL DEFAULT '',
    title_en     TEXT NOT NULL DEFAULT '',
    abstract_ja  TEXT NOT NULL DEFAULT '',
    abstract_en  TEXT NOT NULL DEFAULT '',
    plan_ja      TEXT NOT NULL DEFAULT '',
    plan_en      TEXT NOT NULL DEFAULT '',
    keywords     TEXT NOT NULL DEFAULT '',
    -- the units concerned (codes, JSON array) and the budget lines (JSON)
    units        TEXT NOT NULL DEFAULT '[]',
    budget       TEXT NOT NULL DEFAULT '[]',
    state        TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'submitted', 'withdrawn')),
    submitted_at TIMESTAMP,
    version      INTEGER NOT NULL DEFAULT 1,
    created_by   INTEGER REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX proposals_call ON proposals(call_id, state);

-- The applicants of a proposal: a lead at the home university, a co-lead
-- at the partner, other members. user_id is NULL until an invited person
-- has an account.
CREATE TABLE proposal_members (
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
    position    INTEGER NOT NULL,
    user_id     INTEGER REFERENCES users(id),
    email       TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    role        TEXT NOT NULL CHECK (role IN ('lead', 'colead', 'member')),
    side        TEXT NOT NULL CHECK (side IN ('home', 'partner')),
    unit        TEXT NOT NULL DEFAULT '',
    affiliation TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (proposal_id, position)
);
CREATE INDEX proposal_members_user ON proposal_members(user_id);
CREATE INDEX proposal_members_email ON proposal_members(email);

-- PDF attachments, each for one of the call's required (or optional)
-- attachments; a new upload for the same one replaces the old in the
-- proposal, and the old stays for the record.
CREATE TABLE proposal_files (
    id           INTEGER PRIMARY KEY,
    proposal_id  INTEGER NOT NULL REFERENCES proposals(id),
    spec         TEXT NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    data         BLOB NOT NULL,
    uploaded_by  INTEGER REFERENCES users(id),
    uploaded_at  TIMESTAMP NOT NULL,
    replaced_at  TIMESTAMP
);
CREATE INDEX proposal_files_proposal ON proposal_files(proposal_id);

CREATE TABLE review_assignments (
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
    reviewer_id INTEGER NOT NULL REFERENCES users(id),
    assigned_by INTEGER REFERENCES users(id),
    assigned_at TIMESTAMP NOT NULL,
    PRIMARY KEY (proposal_id, reviewer_id)
);
CREATE INDEX review_assignments_reviewer ON review_assignments(reviewer_id);

-- A review: a score per criterion (JSON object), comments for the
-- committee and for the applicants; submitted_at NULL while a draft.
CREATE TABLE reviews (
    proposal_id    INTEGER NOT NULL REFERENCES proposals(id),
    reviewer_id    INTEGER NOT NULL REFERENCES users(id),
    scores         TEXT NOT NULL DEFAULT '{}',
    for_committee  TEXT NOT NULL DEFAULT '',
    for_applicants TEXT NOT NULL DEFAULT '',
    submitted_at   TIMESTAMP,
    version        INTEGER NOT NULL DEFAULT 1,
    updated_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (proposal_id, reviewer_id)
);
CREATE INDEX reviews_reviewer ON reviews(reviewer_id);

-- Conflicts of interest: declared by the person, or found in the data (an
-- applicant; a member of an applicant's unit when the fund says so).
CREATE TABLE conflicts (
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
    user_id     INTEGER NOT NULL REFERENCES users(id),
    source      TEXT NOT NULL CHECK (source IN ('declared', 'applicant', 'unit')),
    reason      TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (proposal_id, user_id)
);
CREATE INDEX conflicts_user ON conflicts(user_id);

-- The committee's discussion of a proposal.
CREATE TABLE proposal_comments (
    id          INTEGER PRIMARY KEY,
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
    author_id   INTEGER REFERENCES users(id),
    body        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX proposal_comments_proposal ON proposal_comments(proposal_id);

-- The committee's decision on a proposal, with the meeting's date and the
-- amounts each side awards; letters_sent_at once the letters are queued.
CREATE TABLE decisions (
    id               INTEGER PRIMARY KEY,
    proposal_id      INTEGER NOT NULL UNIQUE REFERENCES proposals(id),
    outcome          TEXT NOT NULL CHECK (outcome IN ('award', 'waitlist', 'decline')),
    home_amount      INTEGER NOT NULL DEFAULT 0,
    partner_amount   INTEGER NOT NULL DEFAULT 0,
    meeting          TEXT NOT NULL,
    note_ja          TEXT NOT NULL DEFAULT '',
    note_en          TEXT NOT NULL DEFAULT '',
    decided_by       INTEGER REFERENCES users(id),
    decided_at       TIMESTAMP NOT NULL,
    letters_sent_at  TIMESTAMP,
    version          INTEGER NOT NULL DEFAULT 1
);

-- The interim and final reports an awarded project owes, and the
-- activities it led to.
CREATE TABLE project_reports (
    proposal_id  INTEGER NOT NULL REFERENCES proposals(id),
    kind         TEXT NOT NULL CHECK (kind IN ('interim', 'final')),
    due          TEXT NOT NULL,
    body         TEXT NOT NULL DEFAULT '',
    submitted_at TIMESTAMP,
    submitted_by INTEGER REFERENCES users(id),
    reminded_at  TIMESTAMP,
    PRIMARY KEY (proposal_id, kind)
);

CREATE TABLE project_activities (
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
    activity_id INTEGER NOT NULL REFERENCES activities(id),
    PRIMARY KEY (proposal_id, activity_id)
);

-- +goose Down
DROP TABLE project_activities;
DROP TABLE project_reports;
DROP TABLE decisions;
DROP TABLE proposal_comments;
DROP TABLE conflicts;
DROP TABLE reviews;
DROP TABLE review_assignments;
DROP TABLE proposal_files;
DROP TABLE proposal_members;
DROP TABLE proposals;
DROP TABLE calls;
DROP TABLE fund_roles;
DROP TABLE funds;
