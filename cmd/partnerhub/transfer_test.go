package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"partnerhub"
	"partnerhub/dataset"
	"partnerhub/i18n"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// transferCmd runs "partnerhub backup|export|import args…" on an app built
// as run builds it, with stdin.
func transferCmd(t *testing.T, getenv func(string) string, stdin string, args ...string) (string, error) {
	t.Helper()
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	a := &app{getenv: getenv, stdout: &out, stderr: io.Discard, msgs: msgs, p: msgs.Printer(cliLang(getenv)),
		stdin: strings.NewReader(stdin), usageKey: map[*flag.FlagSet]string{}}
	ctx := context.Background()
	switch args[0] {
	case "backup":
		err = a.backup(ctx, args[1:])
	case "export":
		err = a.export(ctx, args[1:])
	case "import":
		err = a.importCmd(ctx, args[1:])
	default:
		t.Fatalf("not a transfer command: %s", args[0])
	}
	return out.String(), err
}

// transferSeed fills a new database with the built-in data and a user.
func transferSeed(t *testing.T, dbURL string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := dataset.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ImportCatalog(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "office@example.ac.jp", Name: "事務局", Role: partnerhub.RoleAdmin},
		"correct horse battery staple"); err != nil {
		t.Fatal(err)
	}
}

// wantFailure checks a failure: one line holding want, and whether it is a
// usage error (exit status 2).
func wantFailure(t *testing.T, err error, want string, usage bool) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to contain %q", err, want)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("error is not one line: %q", err)
	}
	var ue usageError
	if errors.As(err, &ue) != usage {
		t.Fatalf("usage error = %v, want %v (%v)", !usage, usage, err)
	}
}

func TestExportImportCommands(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		dir := t.TempDir()
		src := e.URL(t)
		transferSeed(t, src)
		file := filepath.Join(dir, "export.json")

		out, err := transferCmd(t, env(), "", "export", "-db", src, "-format", "json", "-o", file)
		if err != nil || !strings.Contains(out, "exported the database to "+file) {
			t.Fatalf("export: %q %v", out, err)
		}
		first, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
			t.Fatalf("export file mode %v", st.Mode())
		}

		// Into a new database: a SQLite file that does not exist yet, or a
		// PostgreSQL schema without tables. It is migrated first.
		dst := e.URL(t)
		if e.Name == "sqlite" {
			dst = "sqlite:" + filepath.Join(dir, "imported.db")
		}
		out, err = transferCmd(t, env(), "", "import", "-db", dst, file)
		if err != nil || !strings.Contains(out, "imported "+file) {
			t.Fatalf("import: %q %v", out, err)
		}
		second, err := transferCmd(t, env(), "", "export", "-db", dst)
		if err != nil {
			t.Fatal(err)
		}
		if second != string(first) {
			t.Fatal("export → import → export through the command line is not identical")
		}

		// A database that holds data is refused, and left as it is.
		_, err = transferCmd(t, env(), "", "import", "-db", dst, file)
		wantFailure(t, err, "already holds data", false)
		_, err = transferCmd(t, env("LANG", "ja_JP.UTF-8"), "", "import", file, "-db", dst)
		wantFailure(t, err, "すでにデータがあります", false)
		if third, _ := transferCmd(t, env(), "", "export", "-db", dst); third != second {
			t.Fatal("the refused import changed the database")
		}

		// Standard input, and problems reported by field.
		broken := strings.Replace(string(first), `"slug":"anu"`, `"slug":7`, 1)
		_, err = transferCmd(t, env(), broken, "import", "-db", e.URL(t), "-")
		wantFailure(t, err, "tables.institutions[0].slug: Must be text", false)
		_, err = transferCmd(t, env("LANG", "ja_JP.UTF-8"), string(first[:len(first)/3]) /* truncated */, "import", "-db", e.URL(t), "-")
		wantFailure(t, err, "途切れています", false)

		if e.Name == "postgres" {
			return // TestBackupPostgres: pg_dump, or its command when it is not installed
		}
		backup := filepath.Join(dir, "backup.db")
		out, err = transferCmd(t, env(), "", "backup", backup, "-db", src) // the file may come first
		if err != nil || !strings.Contains(out, "backup written to "+backup) {
			t.Fatalf("backup: %q %v", out, err)
		}
		if fromBackup, err := transferCmd(t, env(), "", "export", "-db", "sqlite:"+backup); err != nil || fromBackup != string(first) {
			t.Fatalf("the backup does not hold the same data: %v", err)
		}
		_, err = transferCmd(t, env(), "", "backup", "-db", src, backup)
		wantFailure(t, err, "never overwrites", false)
	})
}

func TestTransferCommandLine(t *testing.T) {
	dir := t.TempDir()
	src := "sqlite:" + filepath.Join(dir, "src.db")
	transferSeed(t, src)
	existing := filepath.Join(dir, "existing.json")
	os.WriteFile(existing, []byte("keep me"), 0o600)
	missingDB := filepath.Join(dir, "missing.db")
	for _, tc := range []struct {
		name    string
		args    []string
		env     func(string) string
		wantErr string // "" for success
		usage   bool
		wantOut string
	}{
		{"backup help", []string{"backup", "-h"}, env(), "", false, "Usage: partnerhub backup"},
		{"export help", []string{"export", "-help"}, env(), "", false, "-format"},
		{"import help", []string{"import", "-h"}, env(), "", false, "all or nothing"},
		{"import help in Japanese", []string{"import", "-h"}, env("LANG", "ja_JP.UTF-8"), "", false, "使い方: partnerhub import"},
		{"bad format", []string{"export", "-db", src, "-format", "xml"}, env(), "the only format is json", true, ""},
		{"bad format in Japanese", []string{"export", "-db", src, "-format", "csv"}, env("LC_ALL", "ja_JP.UTF-8"), "json だけです", true, ""},
		{"bad flag", []string{"export", "-out", "x"}, env(), "-out", true, ""},
		{"export argument", []string{"export", "-db", src, "out.json"}, env(), "unexpected arguments: out.json", true, ""},
		{"export onto a file", []string{"export", "-db", src, "-o", existing}, env(), "never overwrites", false, ""},
		{"export into a missing folder", []string{"export", "-db", src, "-o", filepath.Join(dir, "no", "x.json")}, env(), "does not exist", false, ""},
		{"export a missing database", []string{"export", "-db", "sqlite:" + missingDB}, env(), "does not exist", false, ""},
		{"backup a missing database", []string{"backup", "-db", "sqlite:" + missingDB, filepath.Join(dir, "b.db")}, env(), "does not exist", false, ""},
		{"backup without a file", []string{"backup", "-db", src}, env(), "give the file", true, ""},
		{"backup into a missing folder", []string{"backup", "-db", src, filepath.Join(dir, "no", "b.db")}, env(), "does not exist", false, ""},
		{"import without a file", []string{"import", "-db", src}, env(), "give the file", true, ""},
		{"import two files", []string{"import", "-db", src, "a.json", "b.json"}, env(), "unexpected arguments: b.json", true, ""},
		{"import a missing file", []string{"import", "-db", "sqlite:" + filepath.Join(dir, "new.db"), filepath.Join(dir, "nope.json")}, env(), "does not exist", false, ""},
		{"import a missing file in Japanese", []string{"import", "-db", "sqlite:" + filepath.Join(dir, "new.db"), "nope.json"}, env("LANG", "ja_JP.UTF-8"), "存在しません", false, ""},
		{"import what is not an export", []string{"import", "-db", "sqlite:" + filepath.Join(dir, "new.db"), existing}, env(), "not valid JSON", false, ""},
		{"bad database URL", []string{"export", "-db", "mysql://x"}, env(), "sqlite:PATH or postgres://", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := transferCmd(t, tc.env, "", tc.args...)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
			} else {
				wantFailure(t, err, tc.wantErr, tc.usage)
			}
			if !strings.Contains(out, tc.wantOut) {
				t.Fatalf("output %q lacks %q", out, tc.wantOut)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Fatal("an existing file was overwritten")
	}
	if _, err := os.Stat(missingDB); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("exporting a missing database created it")
	}
	if _, err := os.Stat(filepath.Join(dir, "new.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a refused import left the database file it created")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".partial-") || strings.HasPrefix(e.Name(), "b.db") {
			t.Fatalf("left behind: %s", e.Name())
		}
	}
}

// Once main.go dispatches the commands, run reaches them.
func TestTransferCommandsThroughRun(t *testing.T) {
	for _, cmd := range []string{"backup", "export", "import"} {
		var out bytes.Buffer
		err := run(context.Background(), []string{cmd, "-h"}, env(), &out, io.Discard)
		if err != nil && strings.Contains(err.Error(), "unknown command") {
			t.Skipf("main.go does not dispatch %q yet", cmd)
		}
		if err != nil || !strings.Contains(out.String(), "partnerhub "+cmd) {
			t.Fatalf("%s -h: %q %v", cmd, out.String(), err)
		}
	}
}
