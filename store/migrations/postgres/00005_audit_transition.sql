-- +goose Up
-- A workflow's transition (an agreement confirmed, expired…) is audited with
-- its verb and the actor's comment beside the record before and after.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_action_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_action_check
    CHECK (action IN ('create', 'update', 'delete', 'restore', 'transition'));
ALTER TABLE audit_events ADD COLUMN verb TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN comment TEXT NOT NULL DEFAULT '';

-- +goose Down
-- Going back would drop the transitions from the audit log, which never
-- loses an event: refused.
-- +goose StatementBegin
DO $$ BEGIN RAISE EXCEPTION 'the audit log keeps its transitions: restore a backup instead'; END $$;
-- +goose StatementEnd
