package jobs

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"partnerhub/store/storetest"
)

type smokeArgs struct{ N int }

func (smokeArgs) Kind() string { return "smoke" }

type smokeWorker struct {
	river.WorkerDefaults[smokeArgs]
	ch chan int
}

func (w *smokeWorker) Work(ctx context.Context, j *river.Job[smokeArgs]) error {
	w.ch <- j.Args.N
	return nil
}

func TestSmoke(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			db := e.Open(t)
			ws := river.NewWorkers()
			w := &smokeWorker{ch: make(chan int, 4)}
			river.AddWorker(ws, w)
			c, err := river.NewClient(db.JobDriver(), &river.Config{Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}}, Workers: ws, FetchPollInterval: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if err := c.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer c.Stop(ctx)
			if err := db.WriteTx(ctx, func(tx *sql.Tx) error {
				_, err := c.InsertTx(ctx, tx, smokeArgs{N: 7}, nil)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			select {
			case n := <-w.ch:
				t.Log("ran", n)
			case <-time.After(10 * time.Second):
				t.Fatal("not run")
			}
		})
	}
}
