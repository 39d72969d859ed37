package store

// Audit events of what an administrator does to an account from the
// command line besides editing it: ending its sessions ("user signout")
// and removing its second factors ("user reset-mfa").

import (
	"context"
	"database/sql"

	"partnerhub"
)

// auditAccountAction records an update of user id of home whose after
// state mark sets (a flag of userState).
func (db *DB) auditAccountAction(ctx context.Context, tx *sql.Tx, home string, id int64, mark func(*userState)) error {
	homeID, err := db.homeID(ctx, tx, home)
	if err != nil {
		return err
	}
	var before userState
	if err := tx.QueryRowContext(ctx, db.q(`SELECT email, disabled FROM users WHERE id = ?`), id).Scan(&before.Email, &before.Disabled); err != nil {
		return err
	}
	after := before
	mark(&after)
	return db.auditUser(ctx, tx, homeID, partnerhub.ActionUpdate, id, before, after)
}
