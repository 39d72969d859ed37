package store

// Backup: a consistent copy of the database while it serves (the engine's
// way is in its dialect).

import (
	"context"
	"errors"
	"os"

	"partnerhub"
)

// Backup writes a consistent copy of a SQLite database to path with VACUUM
// INTO, while others go on reading and writing. It never overwrites: a path
// that exists is an EConflict error. The copy is written next to path under
// a temporary name and appears at path only when complete; it is readable
// by its owner only (it holds password hashes).
//
// PostgreSQL is backed up with pg_dump: Backup returns an EUnsupported
// error whose message gives the command.
func (db *DB) Backup(ctx context.Context, path string) error {
	return db.dialect.backup(ctx, db, path)
}

// publish gives the complete file tmp its final name, unless a file of
// that name exists (then an EConflict error with existsKey and shown). A
// hard link cannot replace a file; where links are not supported, a rename
// after a check does.
func publish(tmp, final, shown, existsKey string) error {
	err := os.Link(tmp, final)
	if err == nil {
		return nil
	}
	if errors.Is(err, os.ErrExist) {
		return partnerhub.Errorf(partnerhub.EConflict, existsKey, shown)
	}
	if _, err := os.Lstat(final); err == nil {
		return partnerhub.Errorf(partnerhub.EConflict, existsKey, shown)
	}
	return os.Rename(tmp, final)
}
