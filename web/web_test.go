package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/dataset"
	"partnerhub/i18n"
	"partnerhub/jobs"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// testServer is a server on a real database holding the built-in data.
type testServer struct {
	*httptest.Server
	db  *store.DB
	srv *Server
	q   *jobs.Queue // started
}

func newTestServer(t *testing.T, e storetest.Engine) *testServer {
	t.Helper()
	db := e.OpenBuiltin(t)
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	q := testQueue(t, db)
	srv, err := NewServer(context.Background(), Deps{Source: db, Home: "utokyo", Messages: msgs, Accounts: db, Authenticator: authn.NewPasswords(db), Editor: db, Mobility: db,
		Jobs: q, Imports: db, Chains: db, Documents: db, Calendars: db, Funds: db, Invitations: db, ProposalFiles: db, Decisions: db, Reviews: db, FundPeople: db, Notes: db, Network: db,
		NetworkEvents: db, Search: db})
	if err != nil {
		t.Fatal(err)
	}
	startQueue(t, q)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &testServer{Server: ts, db: db, srv: srv, q: q}
}

// testQueue is a job queue on db that retries at once, for a server to
// register its workers on; startQueue runs it until the test ends.
func testQueue(t *testing.T, db *store.DB) *jobs.Queue {
	t.Helper()
	q, err := jobs.New(db, jobs.Config{Workers: 4, Poll: 100 * time.Millisecond, RetryDelay: func(int) time.Duration { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func startQueue(t *testing.T, q *jobs.Queue) {
	t.Helper()
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (ts *testServer) do(t *testing.T, method, path string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, b}
}

func (ts *testServer) getJSON(t *testing.T, path string, into any, header ...string) response {
	t.Helper()
	r := ts.do(t, "GET", path, header...)
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("GET %s: Content-Type %q", path, ct)
	}
	if err := json.Unmarshal(r.body, into); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, r.body)
	}
	return r
}

type items[T any] struct {
	Items []T `json:"items"`
}

type apiError struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

func partnerSlugs(t *testing.T, ts *testServer, query string) []string {
	t.Helper()
	var l items[partnerhub.PartnerView]
	if r := ts.getJSON(t, "/api/v1/partners"+query, &l); r.status != 200 {
		t.Fatalf("GET partners%s = %d %s", query, r.status, r.body)
	}
	var s []string
	for _, p := range l.Items {
		s = append(s, p.Slug)
	}
	return s
}

func TestAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ts := newTestServer(t, e)
		primary := []string{"princeton", "pku", "snu", "anu", "cambridge", "ucb", "ethz", "stockholm", "tsinghua"}
		prospective := []string{"tum", "chile-mexico", "ytu", "vnu", "ntu", "uchicago", "paris"}

		t.Run("partners", func(t *testing.T) {
			for _, tc := range []struct {
				query string
				want  []string
			}{
				{"", append(slices.Clone(primary), prospective...)},
				{"?tier=primary", primary},
				{"?tier=prospective", prospective},
				{"?phase=3&tier=prospective", prospective},
				{"?unit=agr", []string{"snu", "ethz", "stockholm", "chile-mexico", "ntu"}},
				{"?unit=agr&tier=primary", []string{"snu", "ethz", "stockholm"}},
				{"?country=se", []string{"stockholm"}},
				{"?country=MX", []string{"chile-mexico"}},
				{"?country=US", []string{"princeton", "ucb", "uchicago"}},
				{"?q=karolinska", []string{"stockholm"}},
				{"?q=清華", []string{"tsinghua"}},
				{"?q=ETH", []string{"ethz"}},
				{"?phase=1", nil},
				{"?unit=ipmu&lang=ja", []string{"ucb"}},
			} {
				if got := partnerSlugs(t, ts, tc.query); !slices.Equal(got, tc.want) {
					t.Errorf("partners%s = %v, want %v", tc.query, got, tc.want)
				}
			}
		})

		t.Run("partner", func(t *testing.T) {
			var p partnerhub.PartnerView
			if r := ts.getJSON(t, "/api/v1/partners/ntu", &p); r.status != 200 {
				t.Fatalf("status %d", r.status)
			}
			if p.Name.Ja != "国立台湾大学" || p.Tier == nil || *p.Tier != partnerhub.Prospective || len(p.Units) != 8 {
				t.Fatalf("ntu = %+v", p)
			}
			leads := 0
			for _, u := range p.Units {
				if u.Lead {
					leads++
					if u.Code != "agr" || u.Abbr.Ja != "農" {
						t.Errorf("lead unit %+v", u)
					}
				}
			}
			if leads != 1 {
				t.Errorf("ntu has %d lead units", leads)
			}
			var g partnerhub.PartnerView
			ts.getJSON(t, "/api/v1/partners/paris", &g)
			if g.Kind != partnerhub.PartnerGroup || len(g.Members) != 6 || g.Members[0].Country != "FR" {
				t.Fatalf("paris = %+v", g)
			}
			var pr partnerhub.PartnerView
			ts.getJSON(t, "/api/v1/partners/princeton", &pr)
			if len(pr.Agreements) == 0 || pr.Agreements[0].Signed.String() != "2013-01" {
				t.Fatalf("princeton agreements = %+v", pr.Agreements)
			}
		})

		t.Run("units", func(t *testing.T) {
			var l items[partnerhub.Unit]
			ts.getJSON(t, "/api/v1/units", &l)
			if len(l.Items) != 32 || l.Items[0].Code != "law" || l.Items[0].Abbr.Ja != "法" {
				t.Fatalf("units: %d, first %+v", len(l.Items), l.Items[0])
			}
			var u partnerhub.UnitView
			ts.getJSON(t, "/api/v1/units/iog", &u)
			if u.Abbr.Ja != "高齢" || len(u.Partners) != 1 || u.Partners[0].Slug != "stockholm" {
				t.Fatalf("unit iog = %+v", u)
			}
			ts.getJSON(t, "/api/v1/units/eng", &u)
			if len(u.Partners) != 14 {
				t.Fatalf("engineering works with %d partners, want 14 (all but Princeton and Chicago)", len(u.Partners))
			}
		})

		t.Run("phases", func(t *testing.T) {
			var l items[partnerhub.Phase]
			ts.getJSON(t, "/api/v1/phases", &l)
			if len(l.Items) != 3 {
				t.Fatalf("%d phases", len(l.Items))
			}
			p3 := l.Items[2]
			if p3.Number != 3 || p3.StartYear != 2021 || p3.EndYear != 2024 || p3.Declared.Total != 16 || *p3.Declared.Primary != 9 || *p3.Declared.Prospective != 7 {
				t.Fatalf("phase 3 = %+v", p3)
			}
			if l.Items[0].Declared.Total != 26 || l.Items[0].Declared.Primary != nil {
				t.Fatalf("phase 1 = %+v", l.Items[0])
			}
		})

		t.Run("activities", func(t *testing.T) {
			var all items[partnerhub.Activity]
			ts.getJSON(t, "/api/v1/activities", &all)
			if len(all.Items) < 30 {
				t.Fatalf("only %d activities", len(all.Items))
			}
			for i := 1; i < len(all.Items); i++ {
				if all.Items[i-1].Start.Compare(all.Items[i].Start) > 0 {
					t.Fatalf("activities out of order at %d: %s after %s", i, all.Items[i].Start, all.Items[i-1].Start)
				}
			}
			var l items[partnerhub.Activity]
			ts.getJSON(t, "/api/v1/activities?partner=tsinghua&from=2021&to=2021-12", &l)
			var editions []int
			for _, a := range l.Items {
				if a.Series != "" && a.Participants != nil && a.Participants.Value == 120 {
					editions = append(editions, a.Edition)
				}
			}
			if len(editions) != 1 || editions[0] != 1 {
				t.Fatalf("tsinghua 2021 language exchange editions with 120 participants: %v (items %d)", editions, len(l.Items))
			}
			ts.getJSON(t, "/api/v1/activities?unit=arts&kind=symposium", &l)
			for _, a := range l.Items {
				if a.Kind != partnerhub.Symposium || !slices.Contains(a.Units, "arts") {
					t.Fatalf("filter leaked %+v", a)
				}
			}
			if len(l.Items) == 0 {
				t.Fatal("no symposium of arts")
			}
			var one partnerhub.Activity
			if r := ts.getJSON(t, "/api/v1/activities/"+all.Items[0].Slug, &one); r.status != 200 || one.Slug != all.Items[0].Slug {
				t.Fatalf("activity by slug: %d %+v", r.status, one)
			}
		})

		t.Run("errors", func(t *testing.T) {
			for _, tc := range []struct {
				path, lang string
				status     int
				code       string
				field      string
				contains   string
			}{
				{"/api/v1/partners?tier=gold", "en", 400, "invalid", "tier", "primary, prospective"},
				{"/api/v1/partners?tier=gold", "ja", 400, "invalid", "tier", "いずれか"},
				{"/api/v1/partners?phase=x", "en", 400, "invalid", "phase", "whole number"},
				{"/api/v1/partners?phase=9", "ja", 400, "invalid", "phase", "第9期"},
				{"/api/v1/partners?unit=nope", "en", 400, "invalid", "unit", "nope"},
				{"/api/v1/partners?country=Japan", "en", 400, "invalid", "country", "ISO"},
				{"/api/v1/partners?teir=primary", "en", 400, "invalid", "teir", "tier"},
				{"/api/v1/partners?tier=primary&tier=prospective", "en", 400, "invalid", "tier", "twice"},
				{"/api/v1/activities?from=2019-13", "en", 400, "invalid", "from", "2019-13"},
				{"/api/v1/activities?from=2019-13", "ja", 400, "invalid", "from", "日付ではありません"},
				{"/api/v1/activities?from=2021&to=2020", "en", 400, "invalid", "to", "before"},
				{"/api/v1/activities?kind=party", "en", 400, "invalid", "kind", "symposium"},
				{"/api/v1/units?x=1", "en", 400, "invalid", "x", "lang"},
				{"/api/v1/partners/nope", "en", 404, "not_found", "", "nope"},
				{"/api/v1/partners/nope", "ja", 404, "not_found", "", "パートナーは存在しません"},
				{"/api/v1/units/nope", "en", 404, "not_found", "", "unit"},
				{"/api/v1/activities/nope", "ja", 404, "not_found", "", "活動"},
				{"/api/v1/nothing", "en", 404, "not_found", "", "nothing at this address"},
				{"/api/v1/partners/pku?colour=red", "en", 400, "invalid", "colour", "lang"},
				{"/api/v1/units/eng?x=1", "ja", 400, "invalid", "x", "lang"},
				{"/api/v1/partners?q=" + strings.Repeat("東", 201), "ja", 400, "invalid", "q", "200文字"},
				{"/api/v2/partners", "en", 404, "not_found", "", ""},
			} {
				for _, how := range []string{"header", "query"} {
					var e apiError
					path, header := tc.path, []string{"Accept-Language", tc.lang + ";q=0.9"}
					if how == "query" {
						sep := "?"
						if strings.Contains(path, "?") {
							sep = "&"
						}
						path, header = path+sep+"lang="+tc.lang, []string{"Accept-Language", "de"}
					}
					r := ts.getJSON(t, path, &e, header...)
					if r.status != tc.status || e.Error.Code != tc.code {
						t.Errorf("%s (%s): %d %s, want %d %s", path, how, r.status, e.Error.Code, tc.status, tc.code)
						continue
					}
					if r.header.Get("Content-Language") != tc.lang {
						t.Errorf("%s: Content-Language %q", path, r.header.Get("Content-Language"))
					}
					msg := e.Error.Message
					if tc.field != "" {
						msg = e.Error.Fields[tc.field]
						if len(e.Error.Fields) != 1 {
							t.Errorf("%s: fields %v, want only %s", path, e.Error.Fields, tc.field)
						}
					}
					if !strings.Contains(msg, tc.contains) || strings.Contains(msg, "field.") || strings.Contains(msg, "error.") {
						t.Errorf("%s (%s): message %q, want it to contain %q", path, how, msg, tc.contains)
					}
				}
			}
		})

		t.Run("every problem is reported at once", func(t *testing.T) {
			var e apiError
			ts.getJSON(t, "/api/v1/partners?tier=gold&colour=red&phase=x", &e)
			if len(e.Error.Fields) != 3 {
				t.Fatalf("fields %v, want tier, colour and phase", e.Error.Fields)
			}
			ts.getJSON(t, "/api/v1/partners?q="+strings.Repeat("東", 200), &items[partnerhub.PartnerView]{})
		})

		t.Run("methods without a route are refused", func(t *testing.T) {
			r := ts.do(t, "POST", "/api/v1/phases")
			if r.status != 405 || r.header.Get("Allow") != "GET, HEAD" {
				t.Fatalf("POST phases = %d allow %q", r.status, r.header.Get("Allow"))
			}
			// Writes need someone signed in.
			r = ts.do(t, "DELETE", "/api/v1/partners/pku?version=1")
			if r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
				t.Fatalf("DELETE partner without a token = %d", r.status)
			}
		})

		t.Run("conditional requests", func(t *testing.T) {
			for _, path := range []string{"/api/v1/partners", "/api/v1/partners/snu", "/api/v1/units", "/api/v1/units/eng", "/api/v1/phases", "/api/v1/activities", "/api/v1/partners?tier=primary"} {
				r := ts.do(t, "GET", path)
				etag := r.header.Get("ETag")
				if r.status != 200 || etag == "" || r.header.Get("Content-Length") == "" && !strings.Contains(path, "?") {
					t.Fatalf("%s: %d etag %q length %q", path, r.status, etag, r.header.Get("Content-Length"))
				}
				if r2 := ts.do(t, "GET", path, "If-None-Match", etag); r2.status != 304 || len(r2.body) != 0 {
					t.Fatalf("%s with If-None-Match: %d", path, r2.status)
				}
				if r3 := ts.do(t, "GET", path, "If-None-Match", `"other"`); r3.status != 200 {
					t.Fatalf("%s with another ETag: %d", path, r3.status)
				}
			}
			if r := ts.do(t, "HEAD", "/api/v1/partners"); r.status != 200 || len(r.body) != 0 {
				t.Fatalf("HEAD = %d, %d bytes", r.status, len(r.body))
			}
		})

		t.Run("health", func(t *testing.T) {
			if r := ts.do(t, "GET", "/healthz"); r.status != 200 {
				t.Fatalf("healthz %d", r.status)
			}
			if r := ts.do(t, "GET", "/readyz"); r.status != 200 {
				t.Fatalf("readyz %d", r.status)
			}
		})
	})
}

// failingSource answers the catalog of another source but fails to ping.
type failingSource struct{ partnerhub.CatalogService }

func (failingSource) Ping(context.Context) error {
	return errors.New("connection refused: secret internals")
}

func TestReadyzWhenTheDatabaseIsDown(t *testing.T) {
	ts := newTestServer(t, storetest.Engines()[0])
	msgs, _ := i18n.Load()
	srv, err := NewServer(context.Background(), Deps{Source: failingSource{ts.db}, Home: "utokyo", Messages: msgs})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 || strings.Contains(rec.Body.String(), "secret") {
		t.Fatalf("readyz with the database down = %d %s", rec.Code, rec.Body)
	}
	// The data already loaded is still served.
	rec = httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/partners", nil))
	if rec.Code != 200 {
		t.Fatalf("partners with the database down = %d", rec.Code)
	}
}

func TestReloadSwapsTheData(t *testing.T) {
	ts := newTestServer(t, storetest.Engines()[0])
	before := ts.do(t, "GET", "/api/v1/partners").header.Get("ETag")
	// A second home in the same database must not leak into this one.
	c, _ := dataset.Builtin()
	c.Home.Slug = "other"
	c.Partners, c.Standings, c.Teams, c.Agreements, c.Activities, c.Series, c.Figures, c.Funds = nil, nil, nil, nil, nil, nil, nil, nil
	if err := ts.db.ImportCatalog(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if err := ts.srv.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if after := ts.do(t, "GET", "/api/v1/partners").header.Get("ETag"); after != before {
		t.Fatalf("ETag changed from %s to %s though this home's data did not", before, after)
	}
	msgs, _ := i18n.Load()
	if _, err := NewServer(context.Background(), Deps{Source: ts.db, Home: "nowhere", Messages: msgs}); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
		t.Fatalf("server for an unknown home: %v", err)
	}
}

func TestInternalErrorsShowNoInternals(t *testing.T) {
	ts := newTestServer(t, storetest.Engines()[0])
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/api/v1/partners?lang=ja", nil)
	ts.srv.writeError(rec, req, errors.New("pq: relation \"partners\" does not exist"))
	var e apiError
	json.Unmarshal(rec.Body.Bytes(), &e)
	if rec.Code != 500 || e.Error.Code != "internal" || strings.Contains(rec.Body.String(), "relation") || !strings.Contains(e.Error.Message, "サーバー") {
		t.Fatalf("internal error rendered as %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	ts.srv.api(func(http.ResponseWriter, *http.Request) error { panic("boom") }).ServeHTTP(rec, req)
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "boom") {
		t.Fatalf("panic rendered as %d %s", rec.Code, rec.Body)
	}
}
