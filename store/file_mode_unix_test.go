//go:build unix

package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"partnerhub"
	"partnerhub/store"
)

// ownerOnlyUmask sets the umask that lets everyone read and write new files
// for the rest of the test: what partnerhub creates must be its owner's
// alone without the umask's help. The umask is the process's: the test
// must not run in parallel with others.
func ownerOnlyUmask(t *testing.T) {
	old := syscall.Umask(0)
	t.Cleanup(func() { syscall.Umask(old) })
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s has mode %v, want %v", filepath.Base(path), got, want)
	}
}

// The SQLite database, its -wal and -shm files and its backups are
// readable by their owner only: they hold password hashes and sessions.
func TestSQLiteFilesAreTheOwners(t *testing.T) {
	ownerOnlyUmask(t)
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "partnerhub.db")
	db, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// A write while the database is open: the WAL and its index exist.
	if err := db.ExecForTest(ctx, `CREATE TABLE scratch (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		wantMode(t, f, 0o600)
	}
	backup := filepath.Join(dir, "backup.db")
	if err := db.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	wantMode(t, backup, 0o600)

	// A database file that exists keeps the mode its owner gave it.
	shared := filepath.Join(dir, "shared.db")
	if err := os.WriteFile(shared, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	db2, err := store.Open(ctx, "sqlite:"+shared)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if err := db2.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	wantMode(t, shared, 0o640)
}

// A database file that cannot be created is named, with why.
func TestSQLiteFileNotCreated(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := store.Open(context.Background(), "sqlite:"+filepath.Join(notADir, "partnerhub.db"))
	var pe *partnerhub.Error
	if !errors.As(err, &pe) || pe.Message != "error.db_create" || pe.Args[0] != filepath.Join(notADir, "partnerhub.db") {
		t.Fatalf("got %v", err)
	}
}
