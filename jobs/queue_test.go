package jobs

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"partnerhub/store/storetest"
)

type echoArgs struct {
	N    int `json:"n"`
	Fail bool
}

func (echoArgs) Kind() string { return "echo" }

// wait receives from ch, failing the test after a generous deadline: a
// failsafe against a hang, never the thing asserted.
func wait[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatal("timed out waiting for a job")
		panic("unreachable")
	}
}

func newQueue(t *testing.T, e storetest.Engine) (*Queue, chan echoArgs, chan bool) {
	db := e.Open(t)
	q, err := New(db, Config{Workers: 1, Poll: 100 * time.Millisecond, RetryDelay: func(int) time.Duration { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan echoArgs, 16)
	failing := make(chan bool, 1)
	failing <- true
	RegisterFunc(q, func(ctx context.Context, j *river.Job[echoArgs]) error {
		ran <- j.Args
		if j.Args.Fail {
			f := <-failing
			failing <- f
			if f {
				return errors.New("echo refused n=" + string(rune('0'+j.Args.N)))
			}
		}
		return nil
	})
	t.Cleanup(func() { q.Stop(context.Background()) })
	return q, ran, failing
}

func TestInsertTx(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			q, ran, _ := newQueue(t, e)
			ctx := context.Background()
			rollback := errors.New("roll back")
			if err := q.db.WriteTx(ctx, func(tx *sql.Tx) error {
				if _, err := q.InsertTx(ctx, tx, echoArgs{N: 1}, nil); err != nil {
					return err
				}
				return rollback
			}); !errors.Is(err, rollback) {
				t.Fatal(err)
			}
			if err := q.db.WriteTx(ctx, func(tx *sql.Tx) error {
				_, err := q.InsertTx(ctx, tx, echoArgs{N: 2}, nil)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			// One worker takes jobs in order: had the first been kept,
			// it would have run before the second.
			if got := wait(t, ran); got.N != 2 {
				t.Fatalf("ran %+v first, want the committed job (2)", got)
			}
			res, err := q.client.JobList(ctx, river.NewJobListParams().Kinds("echo"))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Jobs) != 1 {
				t.Fatalf("%d echo jobs stored, want 1 (the rolled-back one must not exist)", len(res.Jobs))
			}
		})
	}
}

func TestFailedAndRetry(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			q, ran, failing := newQueue(t, e)
			ctx := context.Background()
			done := make(chan struct{}, 4)
			sub, cancel := q.client.Subscribe(river.EventKindJobFailed, river.EventKindJobCompleted)
			defer cancel()
			go func() {
				for ev := range sub {
					if ev.Job.State == "discarded" || ev.Job.State == "completed" {
						done <- struct{}{}
					}
				}
			}()
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			id, err := q.Insert(ctx, echoArgs{N: 3, Fail: true}, &river.InsertOpts{MaxAttempts: 2})
			if err != nil {
				t.Fatal(err)
			}
			wait(t, ran)
			wait(t, ran) // retried once
			wait(t, done)
			failed, err := q.Failed(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(failed) != 1 || failed[0].ID != id || failed[0].Attempts != 2 || failed[0].Kind != "echo" ||
				!strings.Contains(failed[0].Error, "echo refused n=3") || !strings.Contains(failed[0].Args, `"n":3`) {
				t.Fatalf("failed jobs %+v", failed)
			}
			<-failing
			failing <- false
			if ok, err := q.Retry(ctx, id, nil); err != nil || !ok {
				t.Fatalf("retry: %v %v", ok, err)
			}
			if got := wait(t, ran); got.N != 3 {
				t.Fatalf("retry ran %+v", got)
			}
			wait(t, done)
			if failed, err := q.Failed(ctx, 10); err != nil || len(failed) != 0 {
				t.Fatalf("after retry: %+v %v", failed, err)
			}
			if ok, err := q.Retry(ctx, id, nil); err != nil || ok {
				t.Fatalf("retry of a completed job: %v %v", ok, err)
			}
		})
	}
}
