package store

// What serve's metrics read of the database: its pools, and the job
// queue's rows.

import (
	"context"
	"database/sql"
)

// Pools are the database's connection pools by name, for their
// statistics: "read" and "write" for SQLite (one writer connection, several
// readers), "main" for PostgreSQL (one pool serves both).
func (db *DB) Pools() map[string]*sql.DB {
	if db.read == db.write {
		return map[string]*sql.DB{"main": db.write}
	}
	return map[string]*sql.DB{"read": db.read, "write": db.write}
}

// JobCounts calls each with how many of the job queue's jobs of a kind are
// in a state. It reads through the read pool: counting never waits for
// SQLite's one writer, which an import may hold for minutes.
func (db *DB) JobCounts(ctx context.Context, each func(kind, state string, n int64)) error {
	rows, err := db.read.QueryContext(ctx, `SELECT kind, state, count(*) FROM river_job GROUP BY kind, state ORDER BY kind, state`)
	if err != nil {
		return wrap("count jobs", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, state string
		var n int64
		if err := rows.Scan(&kind, &state, &n); err != nil {
			return wrap("count jobs", err)
		}
		each(kind, state, n)
	}
	return wrap("count jobs", rows.Err())
}
