// Package jobs is the durable job queue: River, on the application's own
// database (SQLite or PostgreSQL). A job is a row; any node may run it, it
// outlives a restart, a failure is retried with back-off, and a job that
// fails its last try stays for administrators to see and retry. Periodic
// jobs run on the elected leader only, so once across all nodes.
package jobs

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"partnerhub/store"
)

// Config tunes a Queue; the zero value serves.
type Config struct {
	Logger *slog.Logger
	// Workers is how many jobs this node runs at once (default 4).
	Workers int
	// Poll is how often the queue looks for new jobs (default 1s; at
	// least 100ms). Jobs inserted on this node are seen sooner.
	Poll time.Duration
	// RetryDelay, when not nil, replaces River's exponential back-off:
	// tests retry at once.
	RetryDelay func(attempt int) time.Duration
	// InsertOnly makes a queue that enqueues but never runs jobs.
	InsertOnly bool
	// ID names this node in the queue, the same across its restarts and
	// never that of another node running at the same time (serve uses the
	// host's name and the address it listens on). With it, Start takes
	// back the jobs the node's previous process was running when it was
	// killed. Empty: a random name, and such jobs wait for River's rescue
	// of stuck jobs (RescueStuckJobsAfter).
	ID string
}

// Queue enqueues and runs jobs. Register workers and periodic jobs (with
// Register, Every) before Start.
type Queue struct {
	db  *store.DB
	id  string
	log *slog.Logger
	// insertOnly: a queue that runs nothing takes nothing back.
	insertOnly bool
	client     *river.Client[*sql.Tx]
	workers    *river.Workers
	started    bool
}

// New makes a queue on db, whose schema must be migrated (store's Migrate
// makes River's tables too).
func New(db *store.DB, cfg Config) (*Queue, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	q := &Queue{db: db, id: cfg.ID, log: cfg.Logger, insertOnly: cfg.InsertOnly, workers: river.NewWorkers()}
	rc := &river.Config{
		ID:                cfg.ID,
		Logger:            cfg.Logger,
		Workers:           q.workers,
		FetchPollInterval: max(cfg.Poll, 100*time.Millisecond),
		FetchCooldown:     min(100*time.Millisecond, max(cfg.Poll, 100*time.Millisecond)),
		// An import may hold SQLite's one writer for long: a job is
		// only taken for stuck well after the longest timeout.
		RescueStuckJobsAfter: 3 * time.Hour,
		JobTimeout:           10 * time.Minute,
	}
	if !cfg.InsertOnly {
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}}
	}
	if cfg.RetryDelay != nil {
		rc.RetryPolicy = retryPolicy(cfg.RetryDelay)
	}
	c, err := river.NewClient(db.JobDriver(), rc)
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	q.client = c
	return q, nil
}

type retryPolicy func(int) time.Duration

func (p retryPolicy) NextRetry(j *rivertype.JobRow) time.Time {
	return time.Now().Add(p(j.Attempt))
}

// Register adds the worker of a kind of job. Every kind a node may meet
// must be registered on it before Start.
func Register[T river.JobArgs](q *Queue, w river.Worker[T]) {
	river.AddWorker(q.workers, w)
}

// RegisterFunc registers a function as the worker of a kind of job.
func RegisterFunc[T river.JobArgs](q *Queue, fn func(context.Context, *river.Job[T]) error) {
	river.AddWorker(q.workers, river.WorkFunc(fn))
}

// Every runs a job of args' kind (whose worker must be registered) every
// interval, on the leader only; first at the start when runNow.
func (q *Queue) Every(interval time.Duration, args river.JobArgs, runNow bool) {
	q.client.PeriodicJobs().Add(river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return args, nil },
		&river.PeriodicJobOpts{RunOnStart: runNow}))
}

// At runs a job of args' kind (whose worker must be registered) at the
// times schedule names, on the leader only; first at the start when
// runNow.
func (q *Queue) At(schedule river.PeriodicSchedule, args river.JobArgs, runNow bool) {
	q.client.PeriodicJobs().Add(river.NewPeriodicJob(schedule,
		func() (river.JobArgs, *river.InsertOpts) { return args, nil },
		&river.PeriodicJobOpts{RunOnStart: runNow}))
}

// Start runs the queue until Stop.
func (q *Queue) Start(ctx context.Context) error {
	if q.id != "" && !q.insertOnly {
		n, err := q.db.ReclaimJobs(ctx, q.id)
		if err != nil {
			return fmt.Errorf("job queue: %w", err)
		}
		if n > 0 {
			q.log.Warn("jobs left running by this node's previous process are run again", "jobs", n, "node", q.id)
		}
	}
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("job queue: %w", err)
	}
	q.started = true
	return nil
}

// Stop waits for the running jobs until ctx ends, then cancels them: a job
// cancelled so is retried by the next node to start.
func (q *Queue) Stop(ctx context.Context) error {
	if !q.started {
		return nil
	}
	err := q.client.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = q.client.StopAndCancel(cctx)
	}
	return err
}

// Insert enqueues a job on its own.
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (int64, error) {
	res, err := q.client.Insert(ctx, args, opts)
	if err != nil {
		return 0, err
	}
	return res.Job.ID, nil
}

// InsertTx enqueues a job in tx, a write transaction of the store
// (store.DB.WriteTx): the job exists if and only if tx commits.
func (q *Queue) InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (int64, error) {
	res, err := q.client.InsertTx(ctx, tx, args, opts)
	if err != nil {
		return 0, err
	}
	return res.Job.ID, nil
}

// Failed is a job that failed its last try, or was cancelled.
type Failed struct {
	ID       int64
	Kind     string
	Args     string // its JSON, cut to a summary
	Home     string // the home institution its arguments name ("home"), if any
	Attempts int
	Error    string // the last try's
	At       time.Time
}

// Failed lists the jobs that failed their last try, newest first.
func (q *Queue) Failed(ctx context.Context, limit int) ([]Failed, error) {
	params := river.NewJobListParams().States(rivertype.JobStateDiscarded, rivertype.JobStateCancelled).
		OrderBy(river.JobListOrderByFinalizedAt, river.SortOrderDesc).First(limit)
	res, err := q.client.JobList(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("failed jobs: %w", err)
	}
	out := make([]Failed, 0, len(res.Jobs))
	for _, j := range res.Jobs {
		f := Failed{ID: j.ID, Kind: j.Kind, Args: summary(compact(j.EncodedArgs), 200), Attempts: j.Attempt, At: j.CreatedAt}
		var args struct {
			Home string `json:"home"`
		}
		if json.Unmarshal(j.EncodedArgs, &args) == nil {
			f.Home = args.Home
		}
		if j.FinalizedAt != nil {
			f.At = *j.FinalizedAt
		}
		if n := len(j.Errors); n > 0 {
			f.Error = summary(j.Errors[n-1].Error, 500)
		}
		out = append(out, f)
	}
	return out, nil
}

// Retry makes a failed job available to run again, its attempts kept;
// false when there is no such failed job, or when allow, given its
// arguments' home (as in Failed), refuses it.
func (q *Queue) Retry(ctx context.Context, id int64, allow func(home string) bool) (bool, error) {
	j, err := q.client.JobGet(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if j.State != rivertype.JobStateDiscarded && j.State != rivertype.JobStateCancelled {
		return false, nil
	}
	var args struct {
		Home string `json:"home"`
	}
	_ = json.Unmarshal(j.EncodedArgs, &args) // no home is a job of every home
	if allow != nil && !allow(args.Home) {
		return false, nil
	}
	// River gives a job that has used its tries one more.
	if _, err := q.client.JobRetry(ctx, id); err != nil {
		return false, err
	}
	return true, nil
}

// compact writes JSON on one line, as both engines give it back alike.
func compact(b []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return string(b)
	}
	return buf.String()
}

// summary cuts s to n bytes at most, at a rune boundary.
func summary(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
