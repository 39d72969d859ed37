package store

// The job queue's storage: River's tables live in the same database as
// everything else, so a job can be enqueued in the transaction of the
// change that needs it, and every node sees every job.

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// JobDriver is the River driver over the pool that writes: for SQLite its
// one connection, so the queue's writes take turns with the others'
// instead of failing busy.
func (db *DB) JobDriver() riverdriver.Driver[*sql.Tx] {
	if db.dialect.name == "sqlite" {
		return riversqlite.New(db.write)
	}
	return riverdatabasesql.New(db.write)
}

// WriteTx runs fn in a write transaction, committed when fn returns nil
// and rolled back otherwise: for work outside the store that must commit
// with it, such as enqueueing a job (River's InsertTx) with the change
// that needs it.
func (db *DB) WriteTx(ctx context.Context, fn func(*sql.Tx) error) error {
	return db.tx(ctx, fn)
}

// queueTable reports whether a table is the job queue's (River's, and the
// files of imports waiting): work in flight, not the programme's data, so
// exports leave it out. An export is made of a stopped instance; what was
// queued is run, or retried from the failed jobs page, before it is made.
func queueTable(name string) bool {
	return strings.HasPrefix(name, "river_") || name == "import_jobs" || name == "import_job_chunks"
}

// migrateJobs brings River's own tables up to date with River's migrator,
// which knows both engines and its own versions better than a copy of its
// SQL would.
func (db *DB) migrateJobs(ctx context.Context) error {
	m, err := rivermigrate.New(db.JobDriver(), nil)
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate job queue: %w", err)
	}
	return nil
}
