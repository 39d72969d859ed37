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

// ReclaimJobs makes the jobs that node last took, and that are still
// running by the queue's rows, available again, and says how many. Call it
// as node starts, before its queue runs: a job of its own still running
// was left by its previous process, stopped without a chance to say so
// (SIGKILL, a power cut). River alone would take it back only after
// RescueStuckJobsAfter (hours, for imports that may run long). node must be
// a name no other process uses while this one runs (see jobs.Config.ID).
func (db *DB) ReclaimJobs(ctx context.Context, node string) (int64, error) {
	last := `attempted_by[array_length(attempted_by, 1)] = $1`
	if db.dialect.name == "sqlite" {
		last = `json_extract(json(attempted_by), '$[#-1]') = ?`
	}
	res, err := db.write.ExecContext(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running' AND `+last, node)
	if err != nil {
		return 0, wrap("reclaim jobs", err)
	}
	n, err := res.RowsAffected()
	return n, wrap("reclaim jobs", err)
}
