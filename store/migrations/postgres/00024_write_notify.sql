-- +goose Up
-- Writes told to every app node at once (issue 15): each committed
-- transaction that records a write in the audit log sends one
-- notification per home it wrote on the channel partnerhub_writes, and a
-- change of the members (home_institutions) or of the institutions their
-- names come from sends one with an empty home. PostgreSQL delivers a
-- notification only when its transaction commits, never for one rolled
-- back, and sends identical ones of a transaction once. The payload is
-- JSON, {"schema": …, "home": slug}, well under the 8,000-byte limit: a
-- slug is short, and the schema lets deployments that share a database in
-- schemas of their own tell their writes apart (the channel is the
-- database's). Statement triggers with a transition table: an import of
-- thousands of events sends one notification per home, not per row.
-- +goose StatementBegin
CREATE FUNCTION partnerhub_notify_writes() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('partnerhub_writes', json_build_object('schema', TG_TABLE_SCHEMA, 'home', h.slug)::text)
    FROM (SELECT DISTINCT home_id FROM written) w JOIN home_institutions h ON h.id = w.home_id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER audit_events_notify AFTER INSERT ON audit_events
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION partnerhub_notify_writes();

-- +goose StatementBegin
CREATE FUNCTION partnerhub_notify_members() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('partnerhub_writes', json_build_object('schema', TG_TABLE_SCHEMA, 'home', '')::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER home_institutions_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON home_institutions
    FOR EACH STATEMENT EXECUTE FUNCTION partnerhub_notify_members();
CREATE TRIGGER institutions_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON institutions
    FOR EACH STATEMENT EXECUTE FUNCTION partnerhub_notify_members();

-- +goose Down
DROP TRIGGER institutions_notify ON institutions;
DROP TRIGGER home_institutions_notify ON home_institutions;
DROP FUNCTION partnerhub_notify_members();
DROP TRIGGER audit_events_notify ON audit_events;
DROP FUNCTION partnerhub_notify_writes();
