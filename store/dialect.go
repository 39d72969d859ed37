package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"
)

// dialect is everything that differs between SQLite and PostgreSQL.
// dialect_sqlite.go and dialect_postgres.go fill it in; the rest of the
// store never asks which engine it runs on. Queries are written once, with
// ? placeholders.
type dialect struct {
	name  string // "sqlite" or "postgres": also the migrations folder
	goose goose.Dialect
	// numbered placeholders ($1, $2) instead of ?
	numbered bool
	// param writes the nth parameter of a statement whose type the engine
	// cannot infer (a VALUES list read by a SELECT).
	param func(n int, sqlType string) string
	// snapshot is the isolation of a read-only transaction that must see
	// one snapshot across its queries.
	snapshot sql.IsolationLevel
	// bytewise follows a text column in ORDER BY to order it bytewise,
	// whatever the database's collation.
	bytewise string
	// lockMobility makes the mobility writes of one home institution take
	// turns, until the transaction ends; its arguments are a class and the
	// home's id. "" when the transaction's write lock does it already.
	lockMobility string
	// lockTables returns the statement that keeps other writers off tables
	// until the transaction ends, "" when the write lock does it already.
	lockTables func(tables []string) string
	// bulkTx is db.tx for a transaction that writes much.
	bulkTx func(ctx context.Context, db *DB, fn func(*sql.Tx) error) error
	// importMobilityTx runs the write transaction of a mobility import,
	// giving fn the way this engine writes the figures: multi-row INSERTs
	// (SQLite), or COPY and a few set-based statements (PostgreSQL).
	importMobilityTx func(ctx context.Context, db *DB, fn func(*sql.Tx, figureWriter) error) error
	// tableExists reports whether the database has a table (PostgreSQL: on
	// the search path).
	tableExists func(ctx context.Context, q xferQuerier, name string) (bool, error)
	// afterImport brings up to date what rows written with their ids leave
	// behind (PostgreSQL's sequences).
	afterImport func(ctx context.Context, tx *sql.Tx) error
	// backup writes a consistent copy of the database to path, or says
	// how to make one.
	backup func(ctx context.Context, db *DB, path string) error
	// isUnique reports a unique-constraint violation.
	isUnique func(err error) bool
	// refusedValue tells, when it knows the error (known), whether the
	// engine refused a row's values (a constraint, a value out of range)
	// rather than failed.
	refusedValue func(err error) (refused, known bool)
}

// rebind rewrites ? placeholders for the dialect. Queries here hold no
// literal question marks, so a plain scan is enough.
func (d dialect) rebind(q string) string {
	if !d.numbered {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}
