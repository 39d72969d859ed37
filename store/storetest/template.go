package storetest

// Migrating a database costs seconds under the race detector (SQLite is
// C translated to Go, and all of it is instrumented; PostgreSQL runs
// hundreds of DDL statements), and the suites open hundreds of them. Each
// test binary migrates one database per engine, the template, and every
// Open starts from a copy of it: SQLite's file copied, PostgreSQL's
// database made with CREATE DATABASE … TEMPLATE. The copies are the same
// schema that Migrate makes; Open still runs Migrate on them, which finds
// nothing to do, so a migration the template lacks would still be applied.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"partnerhub/store"
)

// sqliteTemplate is the file of a migrated SQLite database, made once per
// test binary and kept in memory, so that no file outlives the binary.
var sqliteTemplate = sync.OnceValues(func() ([]byte, error) {
	return sqliteFile(nil, func(ctx context.Context, db *store.DB) error { return db.Migrate(ctx) })
})

// sqliteBuiltinTemplate is sqliteTemplate's database with the built-in
// programme imported: most suites of web start from it, and the import
// costs seconds under the race detector.
var sqliteBuiltinTemplate = sync.OnceValues(func() ([]byte, error) {
	from, err := sqliteTemplate()
	if err != nil {
		return nil, err
	}
	return sqliteFile(from, importBuiltin)
})

// sqliteFile returns the file of a SQLite database that starts as from
// (empty when nil) and that fill has written to.
func sqliteFile(from []byte, fill func(context.Context, *store.DB) error) ([]byte, error) {
	dir, err := os.MkdirTemp("", "storetest-template-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "template.db")
	if from != nil {
		if err := os.WriteFile(path, from, 0o600); err != nil {
			return nil, err
		}
	}
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		return nil, err
	}
	err = fill(ctx, db)
	// Closing the last connection checkpoints the WAL into the file and
	// removes it: the file alone is then the whole database.
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("template database: %w", err)
	}
	if st, err := os.Stat(path + "-wal"); err == nil && st.Size() > 0 {
		return nil, fmt.Errorf("template database: %s-wal was not checkpointed on close", path)
	}
	return os.ReadFile(path)
}

// sqliteCopy writes a copy of the migrated template to a new file of the
// test's and returns its URL.
func sqliteCopy(t testing.TB) string {
	t.Helper()
	return sqliteCopyOf(t, sqliteTemplate)
}

// sqliteBuiltinCopy is sqliteCopy of the template with the built-in
// programme.
func sqliteBuiltinCopy(t testing.TB) string {
	t.Helper()
	return sqliteCopyOf(t, sqliteBuiltinTemplate)
}

func sqliteCopyOf(t testing.TB, template func() ([]byte, error)) string {
	t.Helper()
	data, err := template()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "test.db")
	// Owner-only, as store.Open creates its files.
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return "sqlite:" + path
}

// pgTemplateSchema is the schema the template's tables live in: not
// public, like the schema of a database from URL, so that the code that
// follows search_path is tested the same way.
const pgTemplateSchema = "partnerhub"

// pgTemplatePrefix starts the names of template databases; the rest is
// the Unix time it was made at and a random part.
const pgTemplatePrefix = "storetest_template_"

// pgTemplateAge is how old a template database must be before a later
// test binary drops it: a binary cannot drop its own at exit (it has no
// hook there), and no test binary runs this long.
const pgTemplateAge = 3 * time.Hour

// pgTemplate is the name of this binary's migrated PostgreSQL template
// database on the server at base.
var pgTemplate = sync.OnceValues(func() (string, error) {
	base, _ := postgres()
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	dropOldTemplates(ctx, admin)
	name := pgTemplatePrefix + strconv.FormatInt(time.Now().Unix(), 10) + "_" + strings.ToLower(rand.Text()[:8])
	if _, err := admin.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %q`, name)); err != nil {
		return "", fmt.Errorf("template database: %w", err)
	}
	u, err := pgDatabaseURL(base, name)
	if err != nil {
		return "", err
	}
	conn, err := sql.Open("pgx", u)
	if err != nil {
		return "", err
	}
	_, err = conn.ExecContext(ctx, fmt.Sprintf(`CREATE SCHEMA %q`, pgTemplateSchema))
	conn.Close()
	if err != nil {
		return "", fmt.Errorf("template database: %w", err)
	}
	db, err := store.Open(ctx, u)
	if err != nil {
		return "", fmt.Errorf("template database: %w", err)
	}
	err = db.Migrate(ctx)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("template database: %w", err)
	}
	return name, nil
})

// pgBuiltinTemplate is the name of a copy of pgTemplate with the built-in
// programme imported (see sqliteBuiltinTemplate), a template too.
var pgBuiltinTemplate = sync.OnceValues(func() (string, error) {
	tmpl, err := pgTemplate()
	if err != nil {
		return "", err
	}
	base, _ := postgres()
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	name := pgTemplatePrefix + strconv.FormatInt(time.Now().Unix(), 10) + "_" + strings.ToLower(rand.Text()[:8])
	if _, err := admin.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %q TEMPLATE %q`, name, tmpl)); err != nil {
		return "", fmt.Errorf("template database: %w", err)
	}
	u, err := pgDatabaseURL(base, name)
	if err != nil {
		return "", err
	}
	db, err := store.Open(ctx, u)
	if err != nil {
		return "", fmt.Errorf("template database: %w", err)
	}
	err = importBuiltin(ctx, db)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("template database: %w", err)
	}
	return name, nil
})

// dropOldTemplates drops the template databases of test binaries long
// gone; one still in use refuses, and stays.
func dropOldTemplates(ctx context.Context, admin *sql.DB) {
	rows, err := admin.QueryContext(ctx, `SELECT datname FROM pg_database WHERE datname LIKE $1`, pgTemplatePrefix+"%")
	if err != nil {
		return
	}
	var old []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) != nil {
			continue
		}
		stamp, _, _ := strings.Cut(strings.TrimPrefix(name, pgTemplatePrefix), "_")
		if sec, err := strconv.ParseInt(stamp, 10, 64); err == nil && time.Since(time.Unix(sec, 0)) > pgTemplateAge {
			old = append(old, name)
		}
	}
	rows.Close()
	for _, name := range old {
		admin.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %q`, name))
	}
}

// pgDatabaseURL is base with another database and the template's schema.
func pgDatabaseURL(base, database string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("%s: %v", EnvPostgres, err)
	}
	u.Path = "/" + database
	q := u.Query()
	q.Set("search_path", pgTemplateSchema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// postgresCopy makes a database of the test's from the migrated template,
// dropped at the end, and returns its URL.
func postgresCopy(t testing.TB) string {
	t.Helper()
	return postgresCopyOf(t, pgTemplate)
}

// postgresBuiltinCopy is postgresCopy of the template with the built-in
// programme.
func postgresBuiltinCopy(t testing.TB) string {
	t.Helper()
	return postgresCopyOf(t, pgBuiltinTemplate)
}

func postgresCopyOf(t testing.TB, template func() (string, error)) string {
	t.Helper()
	base, why := postgres()
	if base == "" {
		t.Skip(why)
	}
	tmpl, err := template()
	if err != nil {
		t.Fatalf("PostgreSQL at %s is not usable (start it, or unset %s): %v", base, EnvPostgres, err)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	defer admin.Close()
	name := "test_" + strings.ToLower(rand.Text()[:12])
	ctx := context.Background()
	// WAL_LOG (the default) copies the template's pages without the two
	// checkpoints of FILE_COPY, which take seconds on a busy server.
	if _, err := admin.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %q TEMPLATE %q`, name, tmpl)); err != nil {
		t.Fatalf("copy the template database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.ExecContext(context.Background(), fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, name))
	})
	u, err := pgDatabaseURL(base, name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
