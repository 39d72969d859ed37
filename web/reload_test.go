package web

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store/storetest"
)

// cached is the page a snapshot's cache holds under key, once rendered;
// nil when it holds none.
func cached(t *testing.T, sn *snapshot, key string) *rendered {
	t.Helper()
	e, ok := sn.pages.m.Load(key)
	if !ok {
		return nil
	}
	cp := e.(*cachedPage)
	<-cp.ready
	return cp.c
}

// TestWriteWarmsReadPages: after a write's response the node serves the
// new data (read-your-writes), and the pages the public was reading are
// ready in the new snapshot before anyone asks: those the write did not
// change are the very same page (compressed copy and ETag kept), those it
// changed are rendered anew.
func TestWriteWarmsReadPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ed := newEditors(t, e)
		const slug = "ntu-joint-conference-2019" // an NTU activity, the coordinator's
		// The partners page and the page of a unit the write does not
		// concern (Economics: not in NTU's team), each read by the public.
		paths := []string{"/en/partners", "/en/units/econ"}
		keys := map[string]string{}
		for _, p := range paths {
			if r := ed.send(t, "GET", p, nil); r.status != http.StatusOK {
				t.Fatalf("GET %s: %d", p, r.status)
			}
			keys[p] = "en|" + p + "?"
		}
		old := ed.srv.snap.Load()
		before := map[string]*rendered{}
		for p, k := range keys {
			if before[p] = cached(t, old, k); before[p] == nil {
				t.Fatalf("%s not cached after a read", p)
			}
		}

		// The venue shows on the activity's page alone.
		rec := ed.record(t, partnerhub.EntityActivity, slug)
		r := ed.call(t, "coordinator", "PATCH", "/api/v1/activities/"+slug,
			map[string]any{"version": rec["version"], "venue": map[string]string{"en": "Yasuda Auditorium"}})
		if r.status != http.StatusOK {
			t.Fatalf("PATCH venue: %d %s", r.status, r.body)
		}
		next := ed.srv.snap.Load()
		if next == old {
			t.Fatal("the write's response came before its snapshot")
		}
		for p, k := range keys {
			if c := cached(t, next, k); c != before[p] {
				t.Errorf("%s after a write it does not show: %p, want the page before it (%p)", p, c, before[p])
			}
		}
		if r := ed.send(t, "GET", "/en/activities/"+slug, nil); r.status != http.StatusOK || !strings.Contains(r.body, "Yasuda Auditorium") {
			t.Fatalf("the activity's page after the write: %d, new venue shown %v", r.status, strings.Contains(r.body, "Yasuda Auditorium"))
		}

		// NTU's lead unit changes: the partners page shows leads. The
		// public reads both pages of this version first: pages unread
		// since the last write are not rendered ahead.
		for _, p := range paths {
			ed.send(t, "GET", p, nil)
		}
		team := ed.record(t, partnerhub.EntityTeam, "ntu/3")
		var lead string
		for _, u := range team["units"].([]any) {
			if u != team["lead"] {
				lead = u.(string)
				break
			}
		}
		r = ed.call(t, "coordinator", "PATCH", "/api/v1/partners/ntu/teams/3", map[string]any{"version": team["version"], "lead": lead})
		if r.status != http.StatusOK {
			t.Fatalf("PATCH team: %d %s", r.status, r.body)
		}
		third := ed.srv.snap.Load()
		c := cached(t, third, keys["/en/partners"])
		if c == nil || c == before["/en/partners"] || c.etag == before["/en/partners"].etag {
			t.Fatalf("the partners page after a change it shows: %v, want one rendered anew", c)
		}
		if got := ed.send(t, "GET", "/en/partners", nil); got.body != string(c.body) {
			t.Error("the partners page served is not the one rendered for the new snapshot")
		}
		if c := cached(t, third, keys["/en/units/econ"]); c != before["/en/units/econ"] {
			t.Errorf("a unit's page after a team change that does not concern it: %p, want the page before (%p)", c, before["/en/units/econ"])
		}
	})
}

// TestDeploymentWriteReloadsItsMemberOnly: in a network deployment a
// write to one member swaps that member's snapshot alone, and asking every
// loaded member for changes (what Watch does) leaves the others' as they
// were.
func TestDeploymentWriteReloadsItsMemberOnly(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := newNetworkDB(t, e)
		n := newNetwork(t, db, 0)
		u, _ := n.user(t, "kyoto", "coordinator@kyoto.example.org", partnerhub.RoleCoordinator)
		token, _, err := db.CreateToken(ctx, u.ID, partnerhub.TokenSpec{Name: "test", Scope: partnerhub.ScopeWrite}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		servers := map[string]*Server{"utokyo": n.dep.First()}
		for _, m := range []string{"kyoto", "osaka"} {
			if r := n.send(t, "GET", "/"+m+"/en/partners", nil); r.status != http.StatusOK {
				t.Fatalf("%s's partners: %d", m, r.status)
			}
			if servers[m], err = n.dep.server(ctx, mount{slug: m}); err != nil {
				t.Fatal(err)
			}
		}
		snaps := func() map[string]*snapshot {
			out := map[string]*snapshot{}
			for m, s := range servers {
				out[m] = s.snap.Load()
			}
			return out
		}
		before := snaps()

		rec, _, err := db.Record(ctx, "kyoto", partnerhub.EntityActivity, "kyoto-activity")
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequest("PATCH", n.URL+"/kyoto/api/v1/activities/kyoto-activity",
			strings.NewReader(`{"version":`+strconv.Itoa(rec.RecordVersion())+`,"venue":{"en":"Kyoto hall"}}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/merge-patch+json")
		res, err := n.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("PATCH at kyoto: %d", res.StatusCode)
		}
		after := snaps()
		if after["kyoto"] == before["kyoto"] {
			t.Error("kyoto's snapshot not swapped by its own write")
		}
		for _, m := range []string{"utokyo", "osaka"} {
			if after[m] != before[m] {
				t.Errorf("%s's snapshot rebuilt by a write to kyoto", m)
			}
		}
		if r := n.send(t, "GET", "/kyoto/en/activities/kyoto-activity", nil); !strings.Contains(r.body, "Kyoto hall") {
			t.Errorf("kyoto's activity after the write: %d, new venue not shown", r.status)
		}

		// What Watch does on every node after a write somewhere.
		for _, s := range n.dep.loadedServers() {
			s.refresh(ctx, true)
		}
		if again := snaps(); again["utokyo"] != before["utokyo"] || again["osaka"] != before["osaka"] || again["kyoto"] != after["kyoto"] {
			t.Error("asking the members for changes rebuilt a snapshot whose data did not change")
		}
	})
}

// TestReloadCoalesces: calls that come while a reload runs share one
// reload after it, which starts after all of them (so each sees what was
// written before it called); the running one never counts for them.
func TestReloadCoalesces(t *testing.T) {
	var rl reloader
	release := make(chan struct{})
	var mu sync.Mutex
	runs := 0
	run := func(context.Context) error {
		mu.Lock()
		runs++
		n := runs
		mu.Unlock()
		if n == 1 {
			<-release
			return nil
		}
		return errors.New("second")
	}
	first := make(chan error)
	go func() { first <- rl.do(context.Background(), run) }()
	// The first reload is running once no round waits to start.
	for {
		rl.mu.Lock()
		running := rl.running && rl.next == nil
		rl.mu.Unlock()
		if running {
			break
		}
		runtime.Gosched()
	}
	const calls = 5
	errs := make(chan error, calls)
	for range calls {
		go func() { errs <- rl.do(context.Background(), run) }()
	}
	for {
		rl.mu.Lock()
		joined := rl.next != nil && rl.next.calls == calls
		rl.mu.Unlock()
		if joined {
			break
		}
		runtime.Gosched()
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first call: %v", err)
	}
	for range calls {
		if err := <-errs; err == nil || err.Error() != "second" {
			t.Errorf("a call during the first reload returned %v, want the second reload's error", err)
		}
	}
	if runs != 2 {
		t.Errorf("%d reloads for %d calls during one, want 2", runs, calls)
	}
	// A call after all that runs a reload of its own.
	if err := rl.do(context.Background(), run); err == nil || runs != 3 {
		t.Errorf("a later call: %v after %d reloads, want a third", err, runs)
	}
}
