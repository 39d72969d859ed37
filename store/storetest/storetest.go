// Package storetest gives tests fresh, migrated databases on every engine
// the run has: SQLite always, PostgreSQL when PARTNERHUB_TEST_POSTGRES holds
// a URL. Each PostgreSQL database is a schema of its own, dropped at the end.
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
	"testing"

	"partnerhub/dataset"
	"partnerhub/store"
)

// EnvPostgres names the variable that holds the PostgreSQL URL for tests.
const EnvPostgres = "PARTNERHUB_TEST_POSTGRES"

// Engine is a database engine a test can run on.
type Engine struct {
	Name string // "sqlite" or "postgres"
	url  func(t testing.TB) string
}

// Engines lists the engines of this run. When PARTNERHUB_TEST_POSTGRES is
// unset, PostgreSQL is left out (CI always sets it and checks it ran).
func Engines() []Engine {
	es := []Engine{{Name: "sqlite", url: sqliteURL}}
	if os.Getenv(EnvPostgres) != "" {
		es = append(es, Engine{Name: "postgres", url: postgresURL})
	}
	return es
}

// URL returns the URL of a new, empty database on the engine.
func (e Engine) URL(t testing.TB) string { return e.url(t) }

// Open returns a new, migrated database on the engine, closed at the end of the test.
func (e Engine) Open(t testing.TB) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, e.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// OpenBuiltin returns a new, migrated database on the engine holding the
// built-in programme.
func (e Engine) OpenBuiltin(t testing.TB) *store.DB {
	t.Helper()
	db := e.Open(t)
	c, err := dataset.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ImportCatalog(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return db
}

// Run runs fn as a subtest on every engine.
func Run(t *testing.T, fn func(t *testing.T, e Engine)) {
	for _, e := range Engines() {
		t.Run(e.Name, func(t *testing.T) { fn(t, e) })
	}
}

func sqliteURL(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
}

func postgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
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
