package web

import (
	"bytes"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store/storetest"
)

// A page asked by many requests at once, its cache cold (after a Reload),
// is rendered once: the others wait for that page instead of rendering and
// compressing copies of their own (memory: see cachedPage).
func TestPageCacheRendersOncePerKey(t *testing.T) {
	var pc pageCache
	var renders atomic.Int32
	release := make(chan struct{})
	render := func() (*rendered, error) {
		renders.Add(1)
		<-release
		return &rendered{status: http.StatusOK, body: []byte("page")}, nil
	}
	const n = 32
	var wg sync.WaitGroup
	got := make([]*rendered, n)
	for i := range n {
		wg.Go(func() {
			c, err := pc.get("en|/partners?", render)
			if err != nil {
				t.Error(err)
			}
			got[i] = c
		})
	}
	// Let every request reach the cache before the page is ready.
	for renders.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if r := renders.Load(); r != 1 {
		t.Errorf("%d requests at once rendered the page %d times, want once", n, r)
	}
	for i, c := range got {
		if c != got[0] {
			t.Fatalf("request %d got another copy of the page", i)
		}
	}
	if pc.n.Load() != 1 {
		t.Errorf("cache counts %d pages, want 1", pc.n.Load())
	}
	// Later requests are served from the cache.
	if c, _ := pc.get("en|/partners?", render); c != got[0] || renders.Load() != 1 {
		t.Errorf("a later request rendered the page again")
	}
}

// A page that may not be kept (an error, a render that failed or
// panicked) is not cached, and the requests that waited for it render
// their own.
func TestPageCacheKeepsOnlyPages(t *testing.T) {
	var pc pageCache
	notFound := func() (*rendered, error) { return &rendered{status: http.StatusNotFound}, nil }
	for range 2 {
		if c, err := pc.get("k404", notFound); err != nil || c.status != http.StatusNotFound {
			t.Fatalf("404 page: %v %v", c, err)
		}
	}
	failed := errors.New("template")
	if _, err := pc.get("kerr", func() (*rendered, error) { return nil, failed }); err != failed {
		t.Fatalf("err %v, want the render's", err)
	}
	func() {
		defer func() { recover() }()
		pc.get("kpanic", func() (*rendered, error) { panic("render") })
	}()
	ok := func() (*rendered, error) { return &rendered{status: http.StatusOK}, nil }
	for _, k := range []string{"k404", "kerr", "kpanic"} {
		if _, found := pc.m.Load(k); found {
			t.Errorf("%s: kept in the cache", k)
		}
		// Not left waiting for a page that never comes.
		done := make(chan struct{})
		go func() { pc.get(k, ok); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: a later request waits for ever", k)
		}
	}
	if n := pc.n.Load(); n != 3 {
		t.Errorf("cache counts %d pages, want the 3 rendered last", n)
	}
}

// Pages for a signed-in reader are rendered for each request and sent
// plain: render keeps no compressed copy, which only pages kept in the
// cache are worth.
func TestRenderCompressesOnlyCachedPages(t *testing.T) {
	ts := newTestServer(t, storetest.Engines()[0])
	r := ts.do(t, "GET", "/en/partners", "Accept-Encoding", "gzip")
	if r.status != http.StatusOK || r.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("public page: %d, Content-Encoding %q", r.status, r.header.Get("Content-Encoding"))
	}
	v, ok := ts.srv.snap.Load().pages.m.Load("en|/en/partners?")
	if !ok {
		t.Fatal("public page not cached")
	}
	if c := v.(*cachedPage).c; c == nil || len(c.gz) == 0 || len(c.gz) >= len(c.body) {
		t.Fatalf("cached page without its compressed copy")
	}
	// What a signed-in reader or an error gets: rendered, never kept.
	req, _ := http.NewRequest("GET", "/en/nowhere", nil)
	v2 := ts.srv.newView(req, partnerhub.English, "", ts.srv.full.Load())
	p := ts.srv.errorPage(v2, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found"))
	c, err := ts.srv.render(v2, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.body) == 0 || c.gz != nil {
		t.Errorf("render: %d bytes, compressed copy %v; want the page and none", len(c.body), c.gz != nil)
	}
}

// The public snapshot keeps one copy of each response that encodes to the
// same bytes as the full one's (most partners and units).
func TestSnapshotsShareEqualBodies(t *testing.T) {
	ts := newTestServer(t, storetest.Engines()[0])
	full, public := ts.srv.full.Load(), ts.srv.snap.Load()
	shared := 0
	for slug, b := range public.partnerBy {
		f := full.partnerBy[slug]
		if bytes.Equal(b.b, f.b) {
			if &b.b[0] != &f.b[0] {
				t.Fatalf("partner %s: two copies of the same response", slug)
			}
			shared++
		}
	}
	if shared == 0 {
		t.Fatal("no partner's response shared between the snapshots")
	}
}
