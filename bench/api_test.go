// Package bench measures the partnerhub server: Go benchmarks of the handler
// in process (this file) and an HTTP load test against a real process
// (http.sh). See README.md.
package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"partnerhub"
	"partnerhub/dataset"
	"partnerhub/i18n"
	"partnerhub/store"
	"partnerhub/store/storetest"
	"partnerhub/web"
)

// builtinDB returns a fresh SQLite database holding the built-in data,
// the catalog it holds, and the messages, for a benchmark's server.
func builtinDB(b *testing.B) (*store.DB, *partnerhub.Catalog, *i18n.Catalogs) {
	b.Helper()
	db := storetest.Engines()[0].OpenBuiltin(b) // SQLite, always first
	c, err := dataset.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	msgs, err := i18n.Load()
	if err != nil {
		b.Fatal(err)
	}
	return db, c, msgs
}

// newServer returns a server on a fresh SQLite file loaded with the
// built-in data, and the slugs of its partners.
func newServer(b *testing.B) (*web.Server, []string) {
	b.Helper()
	db, c, msgs := builtinDB(b)
	srv, err := web.NewServer(context.Background(), web.Deps{Source: db, Home: c.Home.Slug, Messages: msgs})
	if err != nil {
		b.Fatal(err)
	}
	slugs := make([]string, len(c.Partners))
	for i, p := range c.Partners {
		slugs[i] = p.Slug
	}
	if len(slugs) == 0 {
		b.Fatal("built-in data has no partners")
	}
	return srv, slugs
}

// benchGET serves GET targets[i%len(targets)] b.N times and fails on any
// status but 200.
func benchGET(b *testing.B, srv http.Handler, targets ...string) {
	b.Helper()
	reqs := make([]*http.Request, len(targets))
	for i, t := range targets {
		reqs[i] = httptest.NewRequest(http.MethodGet, t, nil)
	}
	// Each target once outside the timing: catches a wrong URL before the
	// loop and gives the mean body size for MB/s.
	var size int
	for i, r := range reqs {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("GET %s: status %d: %s", targets[i], w.Code, w.Body)
		}
		size += w.Body.Len()
	}
	b.SetBytes(int64(size / len(reqs)))
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, reqs[i])
		if w.Code != http.StatusOK {
			b.Fatalf("GET %s: status %d: %s", targets[i], w.Code, w.Body)
		}
		if i++; i == len(reqs) {
			i = 0
		}
	}
}

func BenchmarkPartnersList(b *testing.B) {
	srv, _ := newServer(b)
	benchGET(b, srv, "/api/v1/partners")
}

func BenchmarkPartnersFiltered(b *testing.B) {
	srv, _ := newServer(b)
	benchGET(b, srv, "/api/v1/partners?tier=primary&unit=eng")
}

func BenchmarkPartnerBySlug(b *testing.B) {
	srv, slugs := newServer(b)
	targets := make([]string, len(slugs))
	for i, s := range slugs {
		targets[i] = "/api/v1/partners/" + s
	}
	benchGET(b, srv, targets...)
}

func BenchmarkActivitiesFiltered(b *testing.B) {
	srv, _ := newServer(b)
	benchGET(b, srv, "/api/v1/activities?from=2019&to=2021")
}

// BenchmarkPartnersPage is the portal's list of partners, as the page
// cache holds it (rendered and compressed once per version of the data).
func BenchmarkPartnersPage(b *testing.B) {
	srv, _ := newServer(b)
	benchGET(b, srv, "/en/partners")
}

// BenchmarkPageRender is a page the cache does not hold yet, as every page
// is after a Reload: the map page (the largest) rendered and compressed
// anew in each iteration; the Reload that empties the cache is not timed.
func BenchmarkPageRender(b *testing.B) {
	srv, _ := newServer(b)
	ctx := context.Background()
	// The world's outlines are drawn on the map's first request, once a
	// process: not what a page costs.
	srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/ja/map", nil))
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		if err := srv.Reload(ctx); err != nil {
			b.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodGet, "/ja/map", nil)
		r.Header.Set("Accept-Encoding", "gzip")
		w := httptest.NewRecorder()
		b.StartTimer()
		srv.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("GET /ja/map: status %d", w.Code)
		}
	}
}

// BenchmarkReload is the cost of an edit going live: the whole catalog read
// again from SQLite and the snapshot (index and encoded bodies) rebuilt.
func BenchmarkReload(b *testing.B) {
	srv, _ := newServer(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := srv.Reload(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
