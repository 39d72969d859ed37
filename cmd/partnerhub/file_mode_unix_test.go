//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"partnerhub/store/storetest"
)

// Every file the command line writes that holds the database (password
// hashes, sessions) is its owner's alone, whatever the umask: exports,
// backups (VACUUM INTO or pg_dump), and a SQLite database an import
// creates. The umask is the process's: these tests do not run in parallel.
func TestCommandFilesAreTheOwners(t *testing.T) {
	old := syscall.Umask(0) // new files readable and writable by all, unless partnerhub says otherwise
	t.Cleanup(func() { syscall.Umask(old) })
	want := func(t *testing.T, path string) {
		t.Helper()
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want -rw-------", filepath.Base(path), st.Mode().Perm())
		}
	}
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		dir := t.TempDir()
		src := e.URL(t)
		transferSeed(t, src)
		export := filepath.Join(dir, "export.json")
		if _, err := transferCmd(t, env(), "", "export", "-db", src, "-o", export); err != nil {
			t.Fatal(err)
		}
		want(t, export)
		backup := filepath.Join(dir, "backup.db")
		if e.Name == "postgres" {
			if _, err := exec.LookPath("pg_dump"); err != nil {
				t.Skip("no pg_dump to back PostgreSQL up with")
			}
		}
		if _, err := transferCmd(t, env(), "", "backup", "-db", src, backup); err != nil {
			t.Fatal(err)
		}
		want(t, backup)
		if e.Name == "sqlite" {
			created := filepath.Join(dir, "imported.db")
			if _, err := transferCmd(t, env(), "", "import", "-db", "sqlite:"+created, export); err != nil {
				t.Fatal(err)
			}
			want(t, created)
		}
	})
}
