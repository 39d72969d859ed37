package store

import (
	"context"
	"database/sql"

	"partnerhub"
)

// SetNetworkAdmin grants (on) or revokes a user's network administration:
// the right to change institutions that several homes use. The change is in
// the user's home's audit log. Sessions stay: the flag is read afresh with
// the user on every request.
func (db *DB) SetNetworkAdmin(ctx context.Context, home, email string, on bool) error {
	return db.setNetworkRole(ctx, home, email, "network_admin", on)
}

// SetNetworkEditor grants (on) or revokes a user's network editing: the
// review of the network's good-practice notes and its events.
func (db *DB) SetNetworkEditor(ctx context.Context, home, email string, on bool) error {
	return db.setNetworkRole(ctx, home, email, "network_editor", on)
}

// setNetworkRole sets a column of the network's roles (network_admin,
// network_editor: never from user input).
func (db *DB) setNetworkRole(ctx context.Context, home, email, column string, on bool) error {
	email = partnerhub.NormalizeEmail(email)
	return db.tx(ctx, func(tx *sql.Tx) error {
		id, err := db.userOfHome(ctx, tx, home, email)
		if err != nil {
			return err
		}
		var was bool
		var role string
		if err := tx.QueryRowContext(ctx, db.q(`SELECT `+column+`, role FROM users WHERE id = ?`), id).Scan(&was, &role); err != nil {
			return err
		}
		if on && partnerhub.Role(role) == partnerhub.RoleGuest {
			// Someone from outside the office changes no shared record.
			return &partnerhub.Error{Code: partnerhub.EInvalid, Message: "error.invalid",
				Fields: partnerhub.FieldErrors{column: {Key: "guest_" + column}}}
		}
		if was == on {
			return nil
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE users SET `+column+` = ?, version = version + 1 WHERE id = ?`), on, id); err != nil {
			return err
		}
		homeID, err := db.homeID(ctx, tx, home)
		if err != nil {
			return err
		}
		before, after := userState{Email: email, NetworkAdmin: was}, userState{Email: email, NetworkAdmin: on}
		if column == "network_editor" {
			before, after = userState{Email: email, NetworkEditor: was}, userState{Email: email, NetworkEditor: on}
		}
		return db.auditUser(ctx, tx, homeID, partnerhub.ActionUpdate, id, before, after)
	})
}
