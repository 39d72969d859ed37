package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/dataset"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// versionCounter is a node's store, counting the data versions asked of
// each home: a member's Server asks its own when it is refreshed.
type versionCounter struct {
	*store.DB
	mu    sync.Mutex
	asked map[string]int
}

func (v *versionCounter) DataVersion(ctx context.Context, home string) (int64, error) {
	v.mu.Lock()
	v.asked[home]++
	v.mu.Unlock()
	return v.DB.DataVersion(ctx, home)
}

func (v *versionCounter) count(home string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.asked[home]
}

// eventually waits up to 10 s for ok, failing with what otherwise.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal(what)
		}
	}
}

// TestWatchShowsOtherNodesWrites: two app nodes on one database. A write
// through node A's API is served by node B without B polling (its poll
// is an hour apart on PostgreSQL: notifications alone), and B refreshes
// the member written, not the others it holds. On PostgreSQL, B's
// listening connection killed comes back and hears later writes; B's
// connections to the database cut, a write made meanwhile appears once
// they return. SQLite has no notifications: B polls.
func TestWatchShowsOtherNodesWrites(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		dbURL := e.MigratedURL(t)
		open := func(u string) *store.DB {
			db, err := store.Open(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
		dbA := open(dbURL)
		c, err := dataset.Builtin()
		if err != nil {
			t.Fatal(err)
		}
		if err := dbA.ImportCatalog(ctx, c); err != nil {
			t.Fatal(err)
		}
		addNetwork(t, dbA)
		// Node B reaches PostgreSQL through a proxy it can cut.
		every, bURL := 20*time.Millisecond, dbURL
		var cut *cutProxy
		if e.Name == "postgres" {
			every = time.Hour
			u, err := url.Parse(dbURL)
			if err != nil {
				t.Fatal(err)
			}
			cut = newCutProxy(t, u.Host)
			u.Host = cut.ln.Addr().String()
			bURL = u.String()
		}
		dbB := open(bURL)
		a := newNetwork(t, dbA, 0)
		vb := &versionCounter{DB: dbB, asked: map[string]int{}}
		b := newNode(t, dbB, vb, 0)
		admin, err := dbA.CreateUser(ctx, "kyoto", &partnerhub.User{Email: "admin@kyoto.example.org", Name: "Admin", Role: partnerhub.RoleAdmin}, testPassword)
		if err != nil {
			t.Fatal(err)
		}
		token, _, err := dbA.CreateToken(ctx, admin.ID, partnerhub.TokenSpec{Name: "t", Scope: partnerhub.ScopeWrite}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		write := func(slug string) {
			t.Helper()
			ed := &editors{authServer: a.authServer, token: map[string]string{"admin": token}}
			r := ed.call(t, "admin", "POST", "/kyoto/api/v1/activities", map[string]any{"slug": slug, "kind": "workshop",
				"title": map[string]string{"ja": "見える", "en": "Seen"}, "partners": []string{"kyoto-partner"},
				"units": []string{}, "institutions": []string{}, "published": true})
			if r.status != http.StatusCreated {
				t.Fatalf("write %s at node A: %d %s", slug, r.status, r.body)
			}
		}
		served := func(slug string) bool {
			return b.send(t, "GET", "/kyoto/api/v1/activities/"+slug, nil).status == http.StatusOK
		}
		seen := func(slug string) {
			t.Helper()
			eventually(t, slug+" written at node A is not served by node B", func() bool { return served(slug) })
		}
		// B holds kyoto and osaka (and utokyo, the first).
		wantOwn(t, b.send(t, "GET", "/kyoto/en/partners", nil), "kyoto at B", "Partner of kyoto")
		wantOwn(t, b.send(t, "GET", "/osaka/en/partners", nil), "osaka at B", "Partner of osaka")
		osaka, err := b.dep.server(ctx, mount{slug: "osaka"})
		if err != nil {
			t.Fatal(err)
		}
		loaded := vb.count("osaka") // asked as it was loaded
		go b.dep.Watch(ctx, every)
		if e.Name == "postgres" {
			// Listening, B looks for writes it missed, and once more a
			// second later: each look asks every member it holds.
			eventually(t, "node B did not look for missed writes twice", func() bool { return vb.count("osaka") >= loaded+2 })
		}
		snap, askedOsaka, askedFirst := osaka.snap.Load(), vb.count("osaka"), vb.count("utokyo")
		write("seen-1")
		seen("seen-1")
		if osaka.snap.Load() != snap {
			t.Errorf("a write to kyoto rebuilt osaka's snapshot at node B")
		}
		if e.Name == "postgres" && (vb.count("osaka") != askedOsaka || vb.count("utokyo") != askedFirst) {
			t.Errorf("a write to kyoto asked osaka's version %d times, utokyo's %d times, want 0",
				vb.count("osaka")-askedOsaka, vb.count("utokyo")-askedFirst)
		}
		if e.Name != "postgres" {
			return
		}

		// Node B's listening connection killed: it listens again, and
		// hears the next write.
		pg, err := sql.Open("pgx", dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer pg.Close()
		listener := func() (pid int) {
			pg.QueryRowContext(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`,
				store.ListenerName).Scan(&pid)
			return pid
		}
		first := listener()
		if first == 0 {
			t.Fatal("node B does not listen")
		}
		if _, err := pg.ExecContext(ctx, `SELECT pg_terminate_backend($1)`, first); err != nil {
			t.Fatal(err)
		}
		eventually(t, "node B does not listen again", func() bool { pid := listener(); return pid != 0 && pid != first })
		write("seen-2")
		seen("seen-2")

		// Node B cut off the database: a write meanwhile is not heard,
		// and B shows it once it reaches the database again.
		cut.cut()
		write("seen-3")
		if served("seen-3") {
			t.Fatal("node B shows seen-3 without reaching the database")
		}
		cut.restore()
		seen("seen-3")
	})
}
