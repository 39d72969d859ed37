package store

// SQLite: the embedded engine (modernc.org/sqlite, pure Go). One writer
// connection and a pool of readers over WAL.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"

	"partnerhub"
)

var sqliteDialect = dialect{
	name:  "sqlite",
	goose: goose.DialectSQLite3,
	// Plain ?, numbered by their order: SQLite looks a numbered
	// parameter's name up in a list, so binding hundreds of them takes time
	// that grows with the square of their number. SQLite needs no types.
	param: func(int, string) string { return "?" },
	// A read transaction in WAL mode is one snapshot already.
	snapshot: sql.LevelDefault,
	// The default collation, BINARY, is bytewise.
	bytewise: "",
	// Write transactions begin IMMEDIATE: the one write lock is taken at
	// BEGIN, and no other writer runs until the transaction ends.
	lockMobility: "",
	lockTables:   func([]string) string { return "" },
	bulkTx:       sqliteBulkTx,
	// importMobilityTx writes with multi-row INSERTs (mobility_import.go).
	importMobilityTx: rowsImportTx,
	tableExists:      sqliteTableExists,
	afterImport:      func(context.Context, *sql.Tx) error { return nil },
	backup:           vacuumInto,
	isUnique: func(err error) bool {
		var se *sqlite.Error
		return errors.As(err, &se) && (se.Code() == 2067 || se.Code() == 1555) // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY
	},
	refusedValue: func(err error) (refused, known bool) {
		var se *sqlite.Error
		if !errors.As(err, &se) {
			return false, false
		}
		switch se.Code() & 0xff {
		case 18, 19, 20, 25: // TOOBIG, CONSTRAINT, MISMATCH, RANGE
			return true, true
		}
		return false, true
	},
}

func openSQLite(path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, &partnerhub.Error{Code: partnerhub.EInvalid, Message: "error.db_folder", Args: []any{dir}, Err: err}
		}
	}
	if err := createOwnerOnly(path); err != nil {
		return nil, &partnerhub.Error{Code: partnerhub.EUnavailable, Message: "error.db_create", Args: []any{path, err.Error()}, Err: err}
	}
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Write transactions take the write lock at BEGIN, so two of them never
	// deadlock upgrading a read lock.
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	write, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", dsn)
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(max(4, runtime.NumCPU()))
	return &DB{read: read, write: write, dialect: sqliteDialect}, nil
}

// createOwnerOnly creates the database file, empty, readable and writable
// by its owner only (it holds password hashes and sessions), unless it
// exists. SQLite would create it with the umask's permissions, 0644 as a
// rule; it gives the -wal and -shm files it makes beside it the database
// file's own. The mode is set again after creating, because the umask can
// only take permissions away: the file is 0600 whatever the umask. A file
// that exists is left as its owner set it.
func createOwnerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return errors.Join(f.Chmod(0o600), f.Close())
}

// sqliteTableExists reports whether the database has the table.
func sqliteTableExists(ctx context.Context, q xferQuerier, name string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, name).Scan(&n)
	return n > 0, err
}

// sqliteBulkTx is tx for a transaction that writes much: it sets the
// write connection up for it, and back afterwards: a larger page cache
// (taken only as needed), temporary files (the statement journal of each
// multi-row INSERT) in memory, and no foreign-key or CHECK constraints,
// which cost a quarter of an import's time: the import checks every value
// and resolves every reference itself, against live records, in the same
// transaction, and SQLite has no other writer meanwhile.
func sqliteBulkTx(ctx context.Context, db *DB, fn func(*sql.Tx) error) error {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	pragmas := []string{"cache_size", "temp_store", "foreign_keys", "ignore_check_constraints"}
	bulk := []string{"-32768", "MEMORY", "OFF", "ON"}
	was := make([]int64, len(pragmas))
	for i, p := range pragmas {
		if err := conn.QueryRowContext(ctx, `PRAGMA `+p).Scan(&was[i]); err != nil {
			return err
		}
	}
	defer func() {
		// The connection goes back to the pool as it was, even when ctx
		// is done; one that cannot be set back is thrown away.
		bg := context.WithoutCancel(ctx)
		for i, p := range pragmas {
			if _, err := conn.ExecContext(bg, `PRAGMA `+p+` = `+strconv.FormatInt(was[i], 10)); err != nil {
				conn.Raw(func(any) error { return driver.ErrBadConn })
				return
			}
		}
	}()
	for i, p := range pragmas {
		if _, err := conn.ExecContext(ctx, `PRAGMA `+p+` = `+bulk[i]); err != nil {
			return err
		}
	}
	tx, err := conn.BeginTx(ctx, nil)
	return commit(tx, err, fn)
}

// vacuumInto is Backup in SQLite: VACUUM INTO a file next to path, which
// gets its name when complete.
func vacuumInto(ctx context.Context, db *DB, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(abs)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return &partnerhub.Error{Code: partnerhub.EInvalid, Message: "error.backup_folder", Args: []any{filepath.Dir(path)}, Err: err}
	}
	if _, err := os.Lstat(abs); err == nil {
		return partnerhub.Errorf(partnerhub.EConflict, "error.backup_exists", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	tmp := filepath.Join(dir, "."+filepath.Base(abs)+".partial-"+strings.ToLower(rand.Text()[:10]))
	defer func() {
		os.Remove(tmp)
		os.Remove(tmp + "-journal")
	}()
	// VACUUM INTO writes into an empty file that exists: made here 0600,
	// the copy is never readable by others, not even while it is written.
	if err := createOwnerOnly(tmp); err != nil {
		return err
	}
	if _, err := db.read.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return publish(tmp, abs, path, "error.backup_exists")
}
