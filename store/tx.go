package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"partnerhub"
)

// tx runs fn in a write transaction, committed when fn returns nil and
// rolled back otherwise.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	return commit(tx, err, fn)
}

// readTx runs fn in a read-only transaction of the read pool: one snapshot,
// and never a wait for the writer (in SQLite a long import holds the one
// writer connection for its whole transaction).
func (db *DB) readTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

// commit runs fn in tx, just begun (unless err says it could not be), and
// commits it. Anything else, a panic included, rolls it back: a transaction
// left open would keep SQLite's one writer connection, and every later write
// would wait for it forever. The panic goes on once the rollback is done.
func commit(tx *sql.Tx, err error, fn func(*sql.Tx) error) error {
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			tx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	committed = true // a failed commit ends the transaction too
	return tx.Commit()
}

// wrap names the operation that failed in an error that does not carry a
// meaning of its own yet (a database error, say), for logs. An application
// error passes as it is: its code and message are what the caller shows.
func wrap(op string, err error) error {
	var e *partnerhub.Error
	if err == nil || errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("store: %s: %w", op, err)
}
