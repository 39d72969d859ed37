package store

import (
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"
)

// dialect holds the few things that differ between SQLite and PostgreSQL.
// Queries are written once with ? placeholders.
type dialect struct {
	name  string // "sqlite" or "postgres": also the migrations folder
	goose goose.Dialect
	// numbered placeholders ($1, $2) instead of ?
	numbered bool
}

var (
	sqliteDialect   = dialect{name: "sqlite", goose: goose.DialectSQLite3}
	postgresDialect = dialect{name: "postgres", goose: goose.DialectPostgres, numbered: true}
)

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
