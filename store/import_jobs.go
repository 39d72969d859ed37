package store

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"time"

	"partnerhub"
)

// ImportJob is a mobility import the job queue runs: its file waits in the
// database until the import ends.
type ImportJob struct {
	ID       string
	UserID   int64
	Home     string
	File     string // the name it was uploaded under
	Format   string // csv or xlsx
	Size     int64
	Done     int64 // bytes (CSV) or rows (XLSX) read, as last saved
	Created  time.Time
	Finished bool
	Result   string // the page's JSON, once finished
}

// ImportBusy is the error of AddImportJob when an import would pass a
// limit: Scope is "user" or "home".
type ImportBusy struct {
	Scope string
	Limit int
}

func (e *ImportBusy) Error() string { return "import busy: " + e.Scope }

// importChunk is the size of the pieces a file is stored in: a file of
// hundreds of megabytes never has to be in memory whole.
const importChunk = 1 << 20

// importJobsClass is the first key of the PostgreSQL advisory lock that
// makes the starts of imports of one home take turns, so that two at once
// cannot both pass the limits.
const importJobsClass = 0x696d70 // "imp"

// RunningImports counts the imports not finished of a user and of a home.
func (db *DB) RunningImports(ctx context.Context, userID int64, home string) (byUser, byHome int, err error) {
	err = db.read.QueryRowContext(ctx, db.q(`SELECT
		COALESCE(SUM(CASE WHEN user_id = ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN home = ? THEN 1 ELSE 0 END), 0)
		FROM import_jobs WHERE finished_at IS NULL`), userID, home).Scan(&byUser, &byHome)
	return byUser, byHome, wrap("running imports", err)
}

// AddImportJob stores an import and its file, unless it would pass perUser
// or perHome imports running (an *ImportBusy), and calls enqueue in the
// same transaction, so that the job exists exactly when its import does.
func (db *DB) AddImportJob(ctx context.Context, j ImportJob, file io.Reader, perUser, perHome int, enqueue func(*sql.Tx) error) error {
	return wrap("add import job", db.tx(ctx, func(tx *sql.Tx) error {
		if db.dialect.lockMobility != "" {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, int32(importJobsClass), j.Home); err != nil {
				return err
			}
		}
		var byUser, byHome int
		if err := tx.QueryRowContext(ctx, db.q(`SELECT
			COALESCE(SUM(CASE WHEN user_id = ? THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN home = ? THEN 1 ELSE 0 END), 0)
			FROM import_jobs WHERE finished_at IS NULL`), j.UserID, j.Home).Scan(&byUser, &byHome); err != nil {
			return err
		}
		switch {
		case byUser >= perUser:
			return &ImportBusy{"user", perUser}
		case byHome >= perHome:
			return &ImportBusy{"home", perHome}
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO import_jobs (id, user_id, home, file_name, format, size, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), j.ID, j.UserID, j.Home, j.File, j.Format, j.Size, dbTime(j.Created)); err != nil {
			return err
		}
		buf := make([]byte, importChunk)
		for seq := 0; ; seq++ {
			n, err := io.ReadFull(file, buf)
			if n > 0 {
				if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO import_job_chunks (job_id, seq, data) VALUES (?, ?, ?)`),
					j.ID, seq, buf[:n]); err != nil {
					return err
				}
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			if err != nil {
				return err
			}
		}
		return enqueue(tx)
	}))
}

// ImportJobByID returns an import, or an ENotFound error.
func (db *DB) ImportJobByID(ctx context.Context, id string) (ImportJob, error) {
	j := ImportJob{ID: id}
	var finished sql.NullTime
	err := db.read.QueryRowContext(ctx, db.q(`SELECT user_id, home, file_name, format, size, done, created_at, finished_at, result
		FROM import_jobs WHERE id = ?`), id).Scan(&j.UserID, &j.Home, &j.File, &j.Format, &j.Size, &j.Done, &j.Created, &finished, &j.Result)
	if errors.Is(err, sql.ErrNoRows) {
		return j, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	j.Finished = finished.Valid
	return j, wrap("import job", err)
}

// ImportFile reads an import's stored file, a chunk at a time.
func (db *DB) ImportFile(ctx context.Context, id string) io.Reader {
	return &chunkReader{ctx: ctx, db: db, id: id}
}

type chunkReader struct {
	ctx  context.Context
	db   *DB
	id   string
	seq  int
	buf  []byte
	done bool
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.done {
			return 0, io.EOF
		}
		err := r.db.read.QueryRowContext(r.ctx, r.db.q(`SELECT data FROM import_job_chunks WHERE job_id = ? AND seq = ?`),
			r.id, r.seq).Scan(&r.buf)
		if errors.Is(err, sql.ErrNoRows) {
			r.done = true
			continue
		}
		if err != nil {
			return 0, err
		}
		r.seq++
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// SetImportProgress saves how far an import has read, unless it has ended.
func (db *DB) SetImportProgress(ctx context.Context, id string, done int64) error {
	_, err := db.write.ExecContext(ctx, db.q(`UPDATE import_jobs SET done = ? WHERE id = ? AND finished_at IS NULL`), done, id)
	return wrap("import progress", err)
}

// FinishImport saves an import's result and deletes its file; with a
// notice, its owner is told in the same transaction (see Notify).
func (db *DB) FinishImport(ctx context.Context, id string, done int64, result string, notice *partnerhub.Notice, now time.Time) error {
	return wrap("finish import", db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE import_jobs SET done = ?, result = ?, finished_at = ? WHERE id = ?`),
			done, result, dbTime(now), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM import_job_chunks WHERE job_id = ?`), id); err != nil {
			return err
		}
		if notice == nil {
			return nil
		}
		var owner int64
		if err := tx.QueryRowContext(ctx, db.q(`SELECT user_id FROM import_jobs WHERE id = ?`), id).Scan(&owner); err != nil {
			return err
		}
		return db.Notify(ctx, tx, []int64{owner}, *notice, now)
	}))
}

// Cleanup deletes what has expired: sessions, second-factor ceremonies,
// sign-in failures older than forgetBefore, and imports finished before
// it. Each is also cleaned as it is met; this catches what is never met again.
func (db *DB) Cleanup(ctx context.Context, now, forgetBefore time.Time) (int64, error) {
	var total int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		for _, s := range []struct {
			q   string
			arg time.Time
		}{
			{`DELETE FROM sessions WHERE expires_at <= ?`, dbTime(now)},
			{`DELETE FROM mfa_challenges WHERE expires_at <= ?`, dbTime(now)},
			{`DELETE FROM login_failures WHERE at < ?`, dbTime(forgetBefore)},
			{`DELETE FROM import_jobs WHERE finished_at < ?`, dbTime(forgetBefore)},
		} {
			res, err := tx.ExecContext(ctx, db.q(s.q), s.arg)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += n
		}
		return nil
	})
	return total, wrap("cleanup", err)
}
