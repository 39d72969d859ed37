package store_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// heard is a WriteListener that passes on what it is told.
type heard chan string

func (h heard) Listening()          { h <- "listening" }
func (h heard) Written(home string) { h <- "written " + home }
func (h heard) Lost(error)          { h <- "lost" }

// want waits for what ListenWrites must tell, passing over anything else
// (a write tells of its home and, for a member, of the members too).
func (h heard) want(t *testing.T, what string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case got := <-h:
			if got == what {
				return
			}
		case <-deadline:
			t.Fatalf("ListenWrites never told %q", what)
		}
	}
}

// TestListenWrites: on PostgreSQL a committed write is told with its
// home, a change of a member also as a change of the members; when the
// listening connection is killed, ListenWrites says so, listens again and
// tells of later writes. SQLite cannot listen, and says so at once.
func TestListenWrites(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		db := e.OpenBuiltin(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		h := make(heard, 100)
		if e.Name == "sqlite" {
			if err := db.ListenWrites(ctx, h); !errors.Is(err, errors.ErrUnsupported) {
				t.Fatalf("ListenWrites on SQLite: %v, want ErrUnsupported", err)
			}
			return
		}
		done := make(chan error, 1)
		go func() { done <- db.ListenWrites(ctx, h) }()
		h.want(t, "listening")
		if _, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "a@example.ac.jp", Name: "A", Role: partnerhub.RoleViewer}, "a long and secret passphrase"); err != nil {
			t.Fatal(err)
		}
		h.want(t, "written utokyo")
		m, err := db.Member(ctx, "utokyo")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpdateMember(ctx, nil, "utokyo", partnerhub.MemberSettings{Programme: m.Programme, Host: "partners.example.ac.jp"}); err != nil {
			t.Fatal(err)
		}
		h.want(t, "written ")

		err = db.TxForTest(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
				WHERE application_name = $1 AND datname = current_database()`, store.ListenerName)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		h.want(t, "lost")
		h.want(t, "listening")
		if _, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "b@example.ac.jp", Name: "B", Role: partnerhub.RoleViewer}, "a long and secret passphrase"); err != nil {
			t.Fatal(err)
		}
		h.want(t, "written utokyo")
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ListenWrites at the end: %v", err)
		}
	})
}
