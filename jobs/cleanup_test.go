package jobs

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"partnerhub"
	"partnerhub/store/storetest"
)

// The periodic clean-up runs when the leader starts, and deletes what has
// expired while keeping what has not.
func TestPeriodicCleanup(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			db := e.OpenBuiltin(t)
			ctx := context.Background()
			u, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "a@example.ac.jp", Name: "A", Role: partnerhub.RoleViewer},
				"a long and secret passphrase")
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			old := now.Add(-72 * time.Hour)
			// The live one first: a session's creation deletes those
			// expired at its own time.
			live, err := db.CreateSession(ctx, u.ID, now, partnerhub.SessionSpec{TTL: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.CreateSession(ctx, u.ID, old, partnerhub.SessionSpec{TTL: time.Hour}); err != nil {
				t.Fatal(err)
			}
			if _, err := db.CreateChallenge(ctx, u.ID, "signin", "", old, time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := db.RecordFailure(ctx, u.Email, "192.0.2.1", old, old.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := db.RecordFailure(ctx, u.Email, "192.0.2.2", now, old.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			count := func(table string) int {
				var n int
				if err := db.WriteTx(ctx, func(tx *sql.Tx) error {
					return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n)
				}); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if count("sessions") != 2 || count("mfa_challenges") != 1 || count("login_failures") != 2 {
				t.Fatalf("before: %d sessions, %d challenges, %d failures", count("sessions"), count("mfa_challenges"), count("login_failures"))
			}

			q, err := New(db, Config{Poll: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			Builtin(q, db, nil)
			done, cancel := q.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
			defer cancel()
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer q.Stop(ctx)
			ev := wait(t, done)
			if ev.Job.Kind != "cleanup" || ev.Kind != river.EventKindJobCompleted {
				t.Fatalf("first job: %s %s", ev.Job.Kind, ev.Kind)
			}
			if got := [3]int{count("sessions"), count("mfa_challenges"), count("login_failures")}; got != [3]int{1, 0, 1} {
				t.Fatalf("after: sessions, challenges, failures %v, want [1 0 1]", got)
			}
			if _, err := db.SessionUser(ctx, live, now); err != nil {
				t.Fatalf("the live session: %v", err)
			}
		})
	}
}
