package web

// The job queue seen from the web: an import started through one node
// shows its progress and result through another on the same database; an
// import outlives the queue that was running it; a job that failed its
// last try shows on the administrators' page, in either language, and its
// retry button runs it again. Pauses are channels, never timers.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/jobs"
	"partnerhub/store/storetest"
)

// node is another server on ed's database, with the same users signed in
// (sessions are in the database), and a queue of its own, started unless
// insertOnly; register adds test workers before the queue starts.
func (ed *editors) node(t *testing.T, insertOnly bool, register func(*jobs.Queue)) (*editors, *jobs.Queue) {
	t.Helper()
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(ed.db, jobs.Config{Workers: 4, Poll: 100 * time.Millisecond, InsertOnly: insertOnly,
		RetryDelay: func(int) time.Duration { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	if register != nil {
		register(q)
	}
	db := ed.db
	srv, err := NewServer(context.Background(), Deps{Source: db, Home: "utokyo", Messages: msgs, Accounts: db,
		Authenticator: authn.NewPasswords(db), Editor: db, Mobility: db, Jobs: q, Imports: db})
	if err != nil {
		t.Fatal(err)
	}
	if !insertOnly {
		startQueue(t, q)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &editors{authServer: &authServer{Server: hs, db: db, srv: srv}, token: ed.token, cookie: ed.cookie}, q
}

// stopQueue stops the queue of ed's own server, so that the nodes of the
// test alone run jobs.
func stopQueue(t *testing.T, ed *editors) {
	t.Helper()
	if err := ed.q.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// waitFor fails the test if ch is not closed within a generous deadline: a
// failsafe against a hang, never what is asserted.
func waitFor(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(time.Minute):
		t.Fatalf("%s did not happen", what)
	}
}

func TestImportAcrossNodes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ed := newEditors(t, e)
		stopQueue(t, ed)
		// a takes uploads and never runs a job; b runs them.
		a, _ := ed.node(t, true, nil)
		b, _ := ed.node(t, false, nil)
		pause := pauseFirstImport(t, b)
		started := a.postImport(t, "coordinator", "en", "nodes.csv", figuresCSV(20, 2000))
		if started.status != http.StatusSeeOther {
			t.Fatalf("upload: %d %s", started.status, started.body)
		}
		waitFor(t, "the import on the other node", pause.reached)
		// Half read on b: a shows it under way.
		r := a.send(t, "GET", started.header.Get("Location"), nil, a.cookie["coordinator"])
		wantPage(t, r, 200, "nodes.csv", `http-equiv="refresh"`)
		// Its owner's limit counts it, on every node.
		wantPage(t, a.postImport(t, "coordinator", "en", "more.csv", figuresCSV(20, 2010)), http.StatusTooManyRequests,
			"You already have 1 import running")
		// Nobody else sees it.
		if r := a.send(t, "GET", started.header.Get("Location"), nil, a.cookie["admin"]); r.status != http.StatusNotFound {
			t.Fatalf("another user's import: %d", r.status)
		}
		close(pause.release)
		wantPage(t, a.followJob(t, "coordinator", started), 200, "20 figures were added.")
		// Its owner is told, with a link to the import's page.
		importNotice(t, ed, "coordinator", started.header.Get("Location"), true, 0)
		// The file is gone with the job's end.
		var chunks int
		if err := ed.db.WriteTx(context.Background(), func(tx *sql.Tx) error {
			return tx.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM import_job_chunks`).Scan(&chunks)
		}); err != nil {
			t.Fatal(err)
		}
		if chunks != 0 {
			t.Fatalf("%d chunks of files left after the import ended", chunks)
		}
	})
}

// cancelAtHalf makes ed's imports stop half way through their files until
// their job is cancelled; reached is closed when one has stopped.
func cancelAtHalf(ed *editors) (reached chan struct{}) {
	reached = make(chan struct{})
	ed.srv.importInput = func(ctx context.Context, in io.Reader, size int64) io.Reader {
		return &cancelledFile{r: in, at: size / 2, ctx: ctx, reached: reached}
	}
	return reached
}

type cancelledFile struct {
	r       io.Reader
	at, n   int64
	ctx     context.Context
	reached chan struct{}
}

func (c *cancelledFile) Read(b []byte) (int, error) {
	if c.n >= c.at {
		close(c.reached)
		<-c.ctx.Done()
		return 0, c.ctx.Err()
	}
	if int64(len(b)) > c.at-c.n {
		b = b[:c.at-c.n]
	}
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

func TestImportOutlivesItsQueue(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ed := newEditors(t, e)
		stopQueue(t, ed)
		// Before it is picked: uploaded to a node whose queue never runs
		// it, it is run by the next node's queue to start.
		a, _ := ed.node(t, true, nil)
		first := a.postImport(t, "coordinator", "en", "waiting.csv", figuresCSV(20, 2000))
		b, bq := ed.node(t, false, nil)
		wantPage(t, b.followJob(t, "coordinator", first), 200, "20 figures were added.")
		if err := bq.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}

		// Mid-way: c's queue stops while its import is half read; the
		// import is cancelled, and d's queue runs it again from the start.
		c, cq := ed.node(t, false, nil)
		reached := cancelAtHalf(c)
		second := a.postImport(t, "coordinator", "en", "stopped.csv", figuresCSV(20, 2100))
		waitFor(t, "the import half way", reached)
		stopped, cancel := context.WithCancel(context.Background())
		cancel() // no time to finish: cancel the job at once
		if err := cq.Stop(stopped); err != nil {
			t.Fatal(err)
		}
		r := a.send(t, "GET", second.header.Get("Location"), nil, a.cookie["coordinator"])
		wantPage(t, r, 200, `http-equiv="refresh"`)
		d, _ := ed.node(t, false, nil)
		wantPage(t, d.followJob(t, "coordinator", second), 200, "20 figures were added.")
		// Each import added its figures once.
		stats := d.send(t, "GET", "/en/stats/partners/ntu", nil).body
		for _, y := range []string{"2000", "2001", "2100", "2101"} {
			if !strings.Contains(stats, y) {
				t.Errorf("statistics lack %s", y)
			}
		}
	})
}

type failingArgs struct {
	Home string `json:"home"`
	Note string `json:"note"`
}

func (failingArgs) Kind() string { return "test_failing" }

func TestAdminJobs(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ed := newEditors(t, e)
		stopQueue(t, ed)
		fail := make(chan bool, 1)
		fail <- true
		ran := make(chan struct{}, 8)
		var q *jobs.Queue
		n, _ := ed.node(t, false, func(qq *jobs.Queue) {
			q = qq
			jobs.RegisterFunc(q, func(ctx context.Context, j *river.Job[failingArgs]) error {
				f := <-fail
				fail <- f
				ran <- struct{}{}
				if f {
					return errors.New("mail server said no")
				}
				return nil
			})
		})
		ctx := context.Background()
		id, err := q.Insert(ctx, failingArgs{Home: "utokyo", Note: "hello"}, &river.InsertOpts{MaxAttempts: 2})
		if err != nil {
			t.Fatal(err)
		}
		other, err := q.Insert(ctx, failingArgs{Home: "kyoto"}, &river.InsertOpts{MaxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		// Three tries in all: two of the first job, one of the other.
		for range 3 {
			select {
			case <-ran:
			case <-time.After(time.Minute):
				t.Fatal("the failing jobs did not run")
			}
		}
		// The tries are recorded after the worker returns: wait for both
		// jobs to be listed (a failsafe deadline, not an assertion).
		deadline := time.Now().Add(time.Minute)
		for {
			all, err := q.Failed(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(all) == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("failed jobs %+v", all)
			}
			time.Sleep(20 * time.Millisecond)
		}
		path := "/en/admin/jobs"
		r := n.send(t, "GET", path, nil, n.cookie["admin"])
		wantPage(t, r, 200, "Failed jobs", "test_failing", "mail server said no", `&#34;note&#34;:&#34;hello&#34;`, "#"+fmt.Sprint(id))
		if strings.Contains(r.body, "#"+fmt.Sprint(other)) {
			t.Error("an admin of utokyo sees a job of kyoto")
		}
		wantPage(t, n.send(t, "GET", "/ja/admin/jobs", nil, n.cookie["admin"]), 200, "失敗したジョブ", "再実行", "mail server said no")
		if r := n.send(t, "GET", path, nil, n.cookie["coordinator"]); r.status != http.StatusForbidden {
			t.Fatalf("a coordinator on the jobs page: %d", r.status)
		}
		if r := n.send(t, "POST", "/en/admin/jobs/"+fmt.Sprint(id)+"/retry", nil, n.cookie["coordinator"]); r.status != http.StatusForbidden {
			t.Fatalf("a coordinator retries: %d", r.status)
		}
		// Another home's job cannot be retried by this home's admin.
		wantPage(t, n.send(t, "POST", "/en/admin/jobs/"+fmt.Sprint(other)+"/retry", nil, n.cookie["admin"]), http.StatusNotFound,
			"is not among the failed jobs")
		wantPage(t, n.send(t, "POST", "/ja/admin/jobs/x1/retry", nil, n.cookie["admin"]), http.StatusBadRequest, "ジョブ番号ではありません")

		<-fail
		fail <- false
		r = n.send(t, "POST", "/en/admin/jobs/"+fmt.Sprint(id)+"/retry", nil, n.cookie["admin"])
		wantRedirect(t, r, "/en/admin/jobs?retried="+fmt.Sprint(id))
		wantPage(t, n.send(t, "GET", r.header.Get("Location"), nil, n.cookie["admin"]), 200, "Job "+fmt.Sprint(id)+" will run again shortly.")
		select {
		case <-ran:
		case <-time.After(time.Minute):
			t.Fatal("the retried job did not run")
		}
		for {
			all, err := q.Failed(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(all) == 1 && all[0].ID == other {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("failed jobs after the retry %+v", all)
			}
			time.Sleep(20 * time.Millisecond)
		}
		// A network administrator sees every home's jobs.
		if err := ed.db.SetNetworkAdmin(ctx, "utokyo", "admin@example.ac.jp", true); err != nil {
			t.Fatal(err)
		}
		wantPage(t, n.send(t, "GET", path, nil, n.cookie["admin"]), 200, "#"+fmt.Sprint(other))
	})
}

type brokenFile struct{}

func (brokenFile) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

// An import whose file cannot be read is tried three times; then its page
// says so and it waits on the failed jobs page, its file deleted.
func TestImportFailsItsLastTry(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ed := newEditors(t, e)
		stopQueue(t, ed)
		n, _ := ed.node(t, false, nil)
		tries := make(chan struct{}, 8)
		n.srv.importInput = func(context.Context, io.Reader, int64) io.Reader {
			tries <- struct{}{}
			return brokenFile{}
		}
		started := n.postImport(t, "coordinator", "en", "broken.csv", figuresCSV(20, 2000))
		wantPage(t, n.followJob(t, "coordinator", started), 200, "broken.csv", "Something went wrong on our side")
		importNotice(t, ed, "coordinator", started.header.Get("Location"), false, 0)
		if got := len(tries); got != 3 {
			t.Fatalf("%d tries, want 3", got)
		}
		deadline := time.Now().Add(time.Minute)
		for {
			r := n.send(t, "GET", "/en/admin/jobs", nil, n.cookie["admin"])
			if strings.Contains(r.body, "mobility_import") {
				wantPage(t, r, 200, "disk on fire", "<td>3</td>")
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the failed import is not on the jobs page\n%s", r.body)
			}
			time.Sleep(20 * time.Millisecond)
		}
		var chunks int
		if err := ed.db.WriteTx(context.Background(), func(tx *sql.Tx) error {
			return tx.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM import_job_chunks`).Scan(&chunks)
		}); err != nil {
			t.Fatal(err)
		}
		if chunks != 0 {
			t.Fatalf("%d chunks of the failed import's file left", chunks)
		}
	})
}

// importNotice checks that role's user was told once of the import whose
// page is at location (/en/mobility/import/{id}), finished (ok) or not,
// with count problems.
func importNotice(t *testing.T, ed *editors, role, location string, ok bool, count int) {
	t.Helper()
	ctx := context.Background()
	u, err := ed.db.UserByEmail(ctx, role+"@example.ac.jp")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := ed.db.Notifications(ctx, u.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(location, "/en")
	var got []partnerhub.Notification
	for _, n := range ns {
		if n.Kind == partnerhub.NoticeImport && n.Path == path {
			got = append(got, n)
		}
	}
	if len(got) != 1 || got[0].OK != ok || got[0].Count != count || got[0].Title.En == "" {
		t.Fatalf("notices of the import at %s: %+v, want one, ok %v, %d problems", location, got, ok, count)
	}
}
