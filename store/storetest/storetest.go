// Package storetest gives tests fresh, migrated databases on every engine
// the run has: SQLite always, and PostgreSQL at PARTNERHUB_TEST_POSTGRES or,
// when that is unset, at the local default URL if it answers. When neither
// answers, the PostgreSQL subtests skip, saying how to enable them, so that
// their absence is never silent. Each PostgreSQL database is a schema of its
// own, dropped at the end.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"partnerhub/dataset"
	"partnerhub/store"
)

// EnvPostgres names the variable that holds the PostgreSQL URL for tests;
// "off" turns the PostgreSQL tests off.
const EnvPostgres = "PARTNERHUB_TEST_POSTGRES"

// DefaultPostgres is the URL tried when EnvPostgres is unset: a local
// server with trust authentication, as on a developer's machine or in CI.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Engine is a database engine a test can run on.
type Engine struct {
	Name string // "sqlite" or "postgres"
	url  func(t testing.TB) string
	// migrated is the URL of a new database holding the migrated schema
	// (template.go).
	migrated func(t testing.TB) string
	// builtin is the URL of a new database holding the migrated schema and
	// the built-in programme (template.go).
	builtin func(t testing.TB) string
}

// postgres is the outcome of looking for PostgreSQL, done once per test
// binary: a test binary runs hundreds of subtests, and each must not wait
// for a connection timeout of its own.
var postgres = sync.OnceValues(func() (string, string) { return findPostgres(testing.Short()) })

// findPostgres returns the URL to test PostgreSQL at, or "" and why not;
// short is go test -short, the fast tier, which runs on SQLite alone.
func findPostgres(short bool) (base, why string) {
	env := os.Getenv(EnvPostgres)
	switch {
	case short:
		why = "go test -short runs on SQLite only; run without -short for PostgreSQL"
	case env == "off":
		why = fmt.Sprintf("PostgreSQL tests are off (%s=off); unset it to run them", EnvPostgres)
	case env != "":
		return env, "" // set on purpose: an unusable URL fails the tests, not skips them
	default:
		if err := ping(DefaultPostgres); err != nil {
			why = fmt.Sprintf("no PostgreSQL at %s (%s); start it, or set %s to a URL, to run the PostgreSQL tests",
				DefaultPostgres, strings.Join(strings.Fields(err.Error()), " "), EnvPostgres)
		} else {
			return DefaultPostgres, ""
		}
	}
	// One line per test binary, where go test shows it (with -v, or when
	// the package fails); each PostgreSQL subtest also skips with it.
	fmt.Fprintln(os.Stderr, "SKIP:", why)
	return "", why
}

// ping checks quickly whether a PostgreSQL server answers at url.
func ping(url string) error {
	db, err := sql.Open("pgx", url+"&connect_timeout=2")
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// Engines lists the engines of this run: SQLite, then PostgreSQL. When
// PostgreSQL is not available, its URL skips the test that asks for it, so
// that "--- SKIP: …/postgres" shows the gap (CI fails on it).
func Engines() []Engine {
	return []Engine{
		{Name: "sqlite", url: sqliteURL, migrated: sqliteCopy, builtin: sqliteBuiltinCopy},
		{Name: "postgres", url: postgresURL, migrated: postgresCopy, builtin: postgresBuiltinCopy},
	}
}

// URL returns the URL of a new, empty database on the engine.
func (e Engine) URL(t testing.TB) string { return e.url(t) }

// MigratedURL returns the URL of a new database on the engine holding the
// migrated schema and nothing else, dropped at the end of the test: for
// tests that open it more than once (two app nodes) or their own way
// (through a proxy).
func (e Engine) MigratedURL(t testing.TB) string { return e.migrated(t) }

// BuiltinURL returns the URL of a new database on the engine holding the
// built-in programme (OpenBuiltin's copy), dropped at the end of the test:
// for a test that runs the partnerhub binary on it.
func (e Engine) BuiltinURL(t testing.TB) string { return e.builtin(t) }

// Open returns a new, migrated database on the engine, closed at the end of the test.
func (e Engine) Open(t testing.TB) *store.DB {
	t.Helper()
	return openMigrated(t, e.migrated(t))
}

// OpenBuiltin returns a new, migrated database on the engine holding the
// built-in programme: a copy of a template that imported it once per test
// binary (template.go), as ImportCatalog(dataset.Builtin()) on Open's
// database would make it, but for the import's timestamps (the funds'
// created_at and updated_at), which are those of the template's import.
func (e Engine) OpenBuiltin(t testing.TB) *store.DB {
	t.Helper()
	return openMigrated(t, e.builtin(t))
}

// openMigrated opens the database at url, closed at the end of the test,
// and migrates it (a copy of a template has nothing to do; a migration
// the template lacked would still be applied).
func openMigrated(t testing.TB, url string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// importBuiltin imports the built-in programme into db, for the templates.
func importBuiltin(ctx context.Context, db *store.DB) error {
	c, err := dataset.Builtin()
	if err != nil {
		return err
	}
	return db.ImportCatalog(ctx, c)
}

// Run runs fn as a subtest on every engine.
// The engines run side by side: each subtest has a database of its own,
// and while one waits on PostgreSQL the other works.
func Run(t *testing.T, fn func(t *testing.T, e Engine)) {
	for _, e := range Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, e)
		})
	}
}

func sqliteURL(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
}

func postgresURL(t testing.TB) string {
	t.Helper()
	base, why := postgres()
	if base == "" {
		t.Skip(why)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	defer admin.Close()
	schema := "test_" + strings.ToLower(rand.Text()[:12])
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, fmt.Sprintf(`CREATE SCHEMA %q`, schema)); err != nil {
		t.Fatalf("PostgreSQL at %s is not usable (start it, or unset %s): %v", base, EnvPostgres, err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.ExecContext(context.Background(), fmt.Sprintf(`DROP SCHEMA %q CASCADE`, schema))
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
