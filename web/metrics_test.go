package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"partnerhub/i18n"
	"partnerhub/metrics"
	"partnerhub/store/storetest"
)

// /metrics, on its own listener, counts the requests made to the site by
// the pattern that matched and the status, times them, and shows the
// database's pool and the job queue; the site itself does not serve it.
func TestMetrics(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		db := e.OpenBuiltin(t)
		m := metrics.New()
		for name, pool := range db.Pools() {
			if err := m.Pool(name, pool); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.Jobs(db.JobCounts); err != nil {
			t.Fatal(err)
		}
		msgs, err := i18n.Load()
		if err != nil {
			t.Fatal(err)
		}
		srv, err := NewServer(context.Background(), Deps{Source: db, Home: "utokyo", Messages: msgs, Accounts: db, Editor: db, Metrics: m})
		if err != nil {
			t.Fatal(err)
		}
		site := httptest.NewServer(srv)
		defer site.Close()
		scrape := httptest.NewServer(m.Handler())
		defer scrape.Close()

		get := func(path string) int {
			t.Helper()
			res, err := http.Get(site.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		for range 3 {
			if c := get("/api/v1/partners"); c != 200 {
				t.Fatalf("partners: %d", c)
			}
		}
		// Two paths, one pattern: one label.
		get("/api/v1/partners/no-such-partner")
		get("/api/v1/partners/nor-this-one")
		if c := get("/metrics"); c != http.StatusNotFound {
			t.Fatalf("the site serves /metrics: %d", c)
		}

		res, err := http.Get(scrape.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		parser := expfmt.NewTextParser(model.UTF8Validation)
		families, err := parser.TextToMetricFamilies(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		find := func(name string, labels map[string]string) *dto.Metric {
			t.Helper()
			f := families[name]
			if f == nil {
				t.Fatalf("no %s in the scrape", name)
			}
		metric:
			for _, mt := range f.Metric {
				for _, l := range mt.Label {
					if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
						continue metric
					}
				}
				return mt
			}
			t.Fatalf("no %s with %v; have %v", name, labels, f.Metric)
			return nil
		}
		if n := find("partnerhub_http_requests_total", map[string]string{"route": "GET /api/v1/partners", "code": "200"}).GetCounter().GetValue(); n != 3 {
			t.Errorf("partners answered 200: counted %v, want 3", n)
		}
		if n := find("partnerhub_http_requests_total", map[string]string{"route": "GET /api/v1/partners/{slug}", "code": "404"}).GetCounter().GetValue(); n != 2 {
			t.Errorf("unknown partners answered 404: counted %v, want 2", n)
		}
		h := find("partnerhub_http_request_duration_seconds", map[string]string{"route": "GET /api/v1/partners"}).GetHistogram()
		if h.GetSampleCount() != 3 || h.GetSampleSum() <= 0 || len(h.Bucket) == 0 {
			t.Errorf("partners' latency: %d samples, sum %v, %d buckets", h.GetSampleCount(), h.GetSampleSum(), len(h.Bucket))
		}
		// The site's 404 for /metrics is counted as a request, not as a
		// label of its own path.
		for _, mt := range families["partnerhub_http_requests_total"].Metric {
			for _, l := range mt.Label {
				if l.GetName() == "route" && (l.GetValue() == "/metrics" || l.GetValue() == "/api/v1/partners/no-such-partner") {
					t.Errorf("a path became a label: %v", mt)
				}
			}
		}
		pool := "main"
		if e.Name == "sqlite" {
			pool = "read"
		}
		if open := find("go_sql_open_connections", map[string]string{"db_name": pool}).GetGauge().GetValue(); open < 1 {
			t.Errorf("open connections of pool %s: %v, want at least 1", pool, open)
		}
		if ok := find("partnerhub_jobs_scrape_ok", nil).GetGauge().GetValue(); ok != 1 {
			t.Errorf("the job queue was not counted")
		}
		find("go_goroutines", nil)
		find("process_start_time_seconds", nil)
	})
}
