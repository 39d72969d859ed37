-- +goose Up
-- The agreement's life (issue 11). stage is where the workflow has moved
-- the agreement (draft, review, approved, signed, terminated); what a
-- reader sees as its status is derived from the stage and the dates. The
-- old status column stays as the office's declaration for agreements whose
-- dates cannot tell (active, expired, unknown): every agreement recorded
-- before this version was signed.
ALTER TABLE agreements ADD COLUMN stage TEXT NOT NULL DEFAULT 'signed';
ALTER TABLE agreements ADD COLUMN effective TEXT NOT NULL DEFAULT '';
ALTER TABLE agreements ADD COLUMN renewal TEXT NOT NULL DEFAULT '';
ALTER TABLE agreements ADD COLUMN notice_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agreements ADD COLUMN home_signatory TEXT NOT NULL DEFAULT '';
ALTER TABLE agreements ADD COLUMN partner_signatory TEXT NOT NULL DEFAULT '';
-- the agreement this one renews, by slug in the same home
ALTER TABLE agreements ADD COLUMN renews TEXT NOT NULL DEFAULT '';
-- the review under way: the chain as it stood when the agreement was
-- submitted (JSON), the step waiting, and who submitted it
ALTER TABLE agreements ADD COLUMN review_chain TEXT NOT NULL DEFAULT '';
ALTER TABLE agreements ADD COLUMN review_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agreements ADD COLUMN submitted_by TEXT NOT NULL DEFAULT '';

-- The approval chain of each kind of agreement, per home: who approves, in
-- order. A kind without rows uses the built-in chain (the lead unit's
-- coordinator, then the office). A person is named by e-mail address.
CREATE INDEX agreements_renews ON agreements(home_id, renews);

CREATE TABLE approval_chains (
    home_id  INTEGER NOT NULL REFERENCES home_institutions(id),
    kind     TEXT NOT NULL,
    position INTEGER NOT NULL,
    approver TEXT NOT NULL CHECK (approver IN ('coordinator', 'office', 'person')),
    email    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (home_id, kind, position)
);

-- +goose Down
DROP TABLE approval_chains;
DROP INDEX agreements_renews;
ALTER TABLE agreements DROP COLUMN submitted_by;
ALTER TABLE agreements DROP COLUMN review_step;
ALTER TABLE agreements DROP COLUMN review_chain;
ALTER TABLE agreements DROP COLUMN renews;
ALTER TABLE agreements DROP COLUMN partner_signatory;
ALTER TABLE agreements DROP COLUMN home_signatory;
ALTER TABLE agreements DROP COLUMN notice_days;
ALTER TABLE agreements DROP COLUMN renewal;
ALTER TABLE agreements DROP COLUMN effective;
ALTER TABLE agreements DROP COLUMN stage;
