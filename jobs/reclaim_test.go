package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"partnerhub/store/storetest"
)

type holdArgs struct{}

func (holdArgs) Kind() string { return "hold" }

// A job left running by node "a" is taken back by "a" alone: another
// node's name takes nothing, and a queue started under "a" runs it again.
// The first queue stands for a killed process: it is never stopped while
// the job runs (its worker holds until the test ends).
func TestReclaimJobs(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		db := e.Open(t)
		ctx := context.Background()
		release := make(chan struct{})
		started := make(chan int, 4)
		newNode := func(id string) *Queue {
			q, err := New(db, Config{ID: id, Workers: 1, Poll: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			RegisterFunc(q, func(ctx context.Context, j *river.Job[holdArgs]) error {
				started <- j.Attempt
				select {
				case <-release:
				case <-ctx.Done():
				}
				return nil
			})
			return q
		}
		var nodes []*Queue
		t.Cleanup(func() {
			close(release) // the workers end, then the queues stop
			for _, q := range nodes {
				stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				q.Stop(stop)
				cancel()
			}
		})
		dead := newNode("host/127.0.0.1:1")
		if err := dead.Start(ctx); err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, dead)
		id, err := dead.Insert(ctx, holdArgs{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := wait(t, started); got != 1 {
			t.Fatalf("first run is attempt %d", got)
		}
		if n, err := db.ReclaimJobs(ctx, "host/127.0.0.1:2"); err != nil || n != 0 {
			t.Fatalf("another node's name took back %d jobs (%v)", n, err)
		}
		if j, err := dead.client.JobGet(ctx, id); err != nil || j.State != rivertype.JobStateRunning {
			t.Fatalf("job after another node's reclaim: %v %v", j.State, err)
		}
		// The node comes back under its name: Start takes the job back
		// and runs it again.
		again := newNode("host/127.0.0.1:1")
		if err := again.Start(ctx); err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, again)
		if got := wait(t, started); got != 2 {
			t.Fatalf("the job taken back ran as attempt %d, want 2", got)
		}
	})
}
