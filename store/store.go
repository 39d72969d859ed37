// Package store keeps the programme in SQLite or PostgreSQL through
// database/sql. It is the one storage implementation; the few differences
// between the engines are in dialect_sqlite.go and dialect_postgres.go,
// behind the dialect of dialect.go.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"

	"github.com/pressly/goose/v3"

	"partnerhub"
	"partnerhub/mail"
)

//go:embed migrations
var migrations embed.FS

// DB is an open database. For SQLite it holds two pools: one connection that
// writes (SQLite allows one writer at a time, so queueing in Go beats busy
// retries) and several that read.
type DB struct {
	read, write *sql.DB
	dialect     dialect
	mail        *mail.Composer // security notices; nil: none (SetMail)
	mailRoot    string         // the member at the site's root, "" for the oldest (SetMailRoot)
	// acceptHooks run when an invitation is accepted (AddAcceptHook).
	acceptHooks []AcceptHook
	network     networkCache // the network's pages (network.go)
	listenURL   string       // PostgreSQL: where ListenWrites connects (listen.go)
	// afterImportFiguresForTest, when set, runs in an import's write
	// transaction once the figures are stored, before the rollups: the
	// moment a test cancels an import at (SetAfterImportFiguresForTest).
	afterImportFiguresForTest func()
}

// Open connects to a database URL: "sqlite:PATH" (PATH ":memory:" is not
// supported: each connection would see its own database) or
// "postgres://..." / "postgresql://...". It checks that the database answers.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	var db *DB
	switch {
	case strings.HasPrefix(rawURL, "sqlite:"):
		path := strings.TrimPrefix(rawURL, "sqlite:")
		path = strings.TrimPrefix(path, "//")
		if path == "" || strings.Contains(path, ":memory:") {
			return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.db_sqlite_path", rawURL)
		}
		var err error
		if db, err = openSQLite(path); err != nil {
			return nil, err
		}
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		var err error
		if db, err = openPostgres(rawURL); err != nil {
			return nil, err
		}
	default:
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.db_url", redact(rawURL))
	}
	if err := db.write.PingContext(ctx); err != nil {
		db.Close()
		return nil, &partnerhub.Error{Code: partnerhub.EUnavailable, Message: "error.db_unreachable", Args: []any{redact(rawURL)}, Err: err}
	}
	db.AddAcceptHook(db.linkProposalsOnAccept)
	return db, nil
}

// redact hides a password in a database URL before it is printed.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// SetPool sizes the pool of connections that read (for PostgreSQL, the
// only pool): at most maxOpen open and maxIdle idle. Zero keeps the
// engine's default (PostgreSQL 16 and 4; SQLite max(4, CPUs) readers).
// SQLite's one writer connection stays one: SQLite allows one writer.
func (db *DB) SetPool(maxOpen, maxIdle int) {
	if maxOpen > 0 {
		db.read.SetMaxOpenConns(maxOpen)
	}
	if maxIdle > 0 {
		db.read.SetMaxIdleConns(maxIdle)
	}
}

// Close closes the pools.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Engine names the engine: "sqlite" or "postgres".
func (db *DB) Engine() string { return db.dialect.name }

func (db *DB) provider() (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations/"+db.dialect.name)
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(db.dialect.goose, db.write, fsys)
}

// Migrate brings the schema up to date. It is safe to run on every start.
func (db *DB) Migrate(ctx context.Context) error {
	p, err := db.provider()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return db.migrateJobs(ctx)
}

// SchemaVersion is the version of the newest migration applied: 0 for a
// database without the schema.
func (db *DB) SchemaVersion(ctx context.Context) (int64, error) {
	p, err := db.provider()
	if err != nil {
		return 0, err
	}
	return p.GetDBVersion(ctx)
}

// SchemaCurrent reports whether every migration has been applied.
func (db *DB) SchemaCurrent(ctx context.Context) (bool, error) {
	p, err := db.provider()
	if err != nil {
		return false, err
	}
	pending, err := p.HasPending(ctx)
	return !pending, err
}

// Homes lists the slugs of the home institutions, in the order they were added.
func (db *DB) Homes(ctx context.Context) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT slug FROM home_institutions ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var slugs []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		slugs = append(slugs, s)
	}
	return slugs, rows.Err()
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

func (db *DB) q(query string) string { return db.dialect.rebind(query) }

// notFound is the error for a missing home institution.
func notFound(key, slug string) error { return partnerhub.Errorf(partnerhub.ENotFound, key, slug) }

// DB implements every service of the domain.
var (
	_ partnerhub.CatalogService  = (*DB)(nil)
	_ partnerhub.AccountService  = (*DB)(nil)
	_ partnerhub.MobilityService = (*DB)(nil)
)
