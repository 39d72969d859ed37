package store

import (
	"context"
	"database/sql"
	"time"

	"partnerhub"
)

// InsertUserForTest puts a user row in place without a usable password, for
// tests of the write path.
func (db *DB) InsertUserForTest(ctx context.Context, u *partnerhub.User) (int64, error) {
	var id int64
	err := db.write.QueryRowContext(ctx, db.q(`INSERT INTO users (home_id, email, name, password_hash, role, disabled, created_at)
		SELECT id, ?, ?, '!', ?, ?, ? FROM home_institutions WHERE slug = ? RETURNING id`),
		u.Email, u.Name, u.Role, false, time.Now().UTC(), u.Home).Scan(&id)
	if err != nil {
		return 0, err
	}
	for _, code := range u.Units {
		if _, err := db.write.ExecContext(ctx, db.q(`INSERT INTO user_units (user_id, unit_id) SELECT ?, id FROM units WHERE code = ?`), id, code); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// ExecForTest runs a statement, for tests of what the schema refuses.
func (db *DB) ExecForTest(ctx context.Context, q string) error {
	_, err := db.write.ExecContext(ctx, q)
	return err
}

// MigrateToForTest brings the schema up to version, not further: for tests
// of a migration on data stored before it.
func (db *DB) MigrateToForTest(ctx context.Context, version int64) error {
	p, err := db.provider()
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, version)
	return err
}

// TxForTest runs fn in a write transaction, as the store's writes do.
func (db *DB) TxForTest(ctx context.Context, fn func(*sql.Tx) error) error { return db.tx(ctx, fn) }

// OlderExportTables are the tables an export of an older schema version
// lacks, for tests that make one from a current export.
func OlderExportTables(schema int64) []string { return olderExports[schema] }

// Rebind writes a query's placeholders as the engine wants them.
func (db *DB) Rebind(q string) string { return db.q(q) }

// SetAfterImportFiguresForTest makes fn run in every import's write
// transaction once its figures are stored, before the rollups are written.
func (db *DB) SetAfterImportFiguresForTest(fn func()) { db.afterImportFiguresForTest = fn }
