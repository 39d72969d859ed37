-- +goose Up
-- A network administrator invites each new member's first administrators
-- by mail (issue 13): an invitation may now give the role admin.
ALTER TABLE invitations DROP CONSTRAINT invitations_role_check;
ALTER TABLE invitations ADD CONSTRAINT invitations_role_check CHECK (role IN ('guest', 'viewer', 'admin'));

-- +goose Down
DELETE FROM invitations WHERE role = 'admin';
ALTER TABLE invitations DROP CONSTRAINT invitations_role_check;
ALTER TABLE invitations ADD CONSTRAINT invitations_role_check CHECK (role IN ('guest', 'viewer'));
