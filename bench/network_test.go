package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"partnerhub/i18n"
	"partnerhub/store"
	"partnerhub/web"
)

// TestNetworkPagesAtScale times the network's pages on a database made by
// gen (200 members, 20,000 partners, 500,000 activities):
//
//	go run ./bench/gen -db sqlite:/tmp/net.db -homes 200 -rows 200000
//	PARTNERHUB_BENCH_DB=sqlite:/tmp/net.db go test ./bench -run TestNetworkPagesAtScale -v
//
// It reports the first (uncached) answer of each page and the median of
// the next ones, which the store answers from its cache of the network.
func TestNetworkPagesAtScale(t *testing.T) {
	url := os.Getenv("PARTNERHUB_BENCH_DB")
	if url == "" {
		t.Skip("PARTNERHUB_BENCH_DB names a database made by bench/gen")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	homes, err := db.Homes(ctx)
	if err != nil || len(homes) < 2 {
		t.Fatalf("homes: %v %v", homes, err)
	}
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.NewServer(ctx, web.Deps{Source: db, Home: homes[0], Messages: msgs, Network: db})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	n, err := db.Network(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the network read in %s (uncached)", time.Since(start).Round(time.Millisecond))
	inst := n.Institutions[len(n.Institutions)/2].Slug
	for _, p := range []string{"/api/v1/network/stats", "/en/network", "/en/network/members/" + homes[1], "/en/network/institutions/" + inst,
		"/en/network/matrix", "/en/network/map", "/en/network/stats", "/api/v1/network/members/" + homes[1], "/api/v1/network/matrix"} {
		var times []time.Duration
		size := 0
		for range 11 {
			rec := httptest.NewRecorder()
			start := time.Now()
			srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
			times = append(times, time.Since(start))
			if rec.Code != 200 {
				t.Fatalf("%s: %d %.300s", p, rec.Code, rec.Body.String())
			}
			size = rec.Body.Len()
		}
		warm := times[1:]
		for i := range warm {
			for j := i + 1; j < len(warm); j++ {
				if warm[j] < warm[i] {
					warm[i], warm[j] = warm[j], warm[i]
				}
			}
		}
		t.Logf("%-45s first %8s  median %8s  max %8s  %7d bytes", p, times[0].Round(time.Millisecond/10), warm[len(warm)/2].Round(time.Millisecond/10), warm[len(warm)-1].Round(time.Millisecond/10), size)
	}
	t.Logf("%d members, %d institutions", len(n.Members), len(n.Institutions))
}
