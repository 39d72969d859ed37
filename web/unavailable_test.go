package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/dataset"
	"partnerhub/i18n"
	"partnerhub/jobs"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// With the database cut off, what needs it answers 503 with Retry-After
// in the reader's language (a page, the API's JSON, /readyz), what the
// snapshot in memory serves still answers, and everything comes back by
// itself once the database does. PostgreSQL only: SQLite is a file in
// the process, with no connection to lose.
func TestDatabaseUnreachable(t *testing.T) {
	e := storetest.Engines()[1]
	raw := e.MigratedURL(t)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newCutProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	ctx := context.Background()
	db, err := store.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := dataset.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ImportCatalog(ctx, c); err != nil {
		t.Fatal(err)
	}
	admin, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "admin@example.ac.jp", Name: "Admin", Role: partnerhub.RoleAdmin}, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := db.CreateToken(ctx, admin.ID, partnerhub.TokenSpec{Name: "test", Scope: partnerhub.ScopeWrite}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// The job queue runs through the proxy too.
	q := testQueue(t, db)
	ran := make(chan struct{}, 1)
	jobs.RegisterFunc(q, func(context.Context, *river.Job[outageJob]) error {
		select {
		case ran <- struct{}{}:
		default:
		}
		return nil
	})
	startQueue(t, q)
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	srv, err := NewServer(ctx, Deps{Logger: slog.New(slog.NewTextHandler(&syncWriter{w: &logged}, nil)), Source: db, Home: "utokyo", Messages: msgs, Accounts: db, Authenticator: authn.NewPasswords(db),
		Editor: db, Mobility: db, Search: db})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	send := func(method, path, body string, header ...string) (int, http.Header, string) {
		t.Helper()
		req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, string(b)
	}
	form := "Content-Type"
	formType := "application/x-www-form-urlencoded"
	signin := url.Values{"email": {"admin@example.ac.jp"}, "password": {"wrong password"}}.Encode()
	write := `{"slug":"cut-off","kind":"workshop","title":{"ja":"切断","en":"Cut off"},"partners":[],"units":[],"institutions":[],"published":true}`
	bearer := "Bearer " + token

	// A session, opened while the database answers.
	_, h, _ := send("POST", "/en/signin", url.Values{"email": {"admin@example.ac.jp"}, "password": {testPassword}}.Encode(), form, formType)
	session := strings.Split(h.Get("Set-Cookie"), ";")[0]
	if session == "" {
		t.Fatal("no session")
	}

	proxy.cut()
	for _, c := range []struct {
		name, method, path, body string
		header                   []string
		text                     string
	}{
		{"sign-in, English", "POST", "/en/signin", signin, []string{form, formType}, "The database does not answer just now"},
		{"sign-in, Japanese", "POST", "/ja/signin", signin, []string{form, formType}, "現在データベースが応答しません"},
		{"search page", "GET", "/ja/search?q=tokyo", "", nil, "現在データベースが応答しません"},
		{"a signed-in reader's page", "GET", "/en/partners", "", []string{"Cookie", session}, "The database does not answer just now"},
		{"API write", "POST", "/api/v1/activities", write, []string{"Authorization", bearer, "Content-Type", "application/json", "Accept-Language", "ja"}, `"code":"unavailable"`},
		{"readyz", "GET", "/readyz", "", nil, `"code":"unavailable"`},
	} {
		status, h, body := send(c.method, c.path, c.body, c.header...)
		if status != http.StatusServiceUnavailable || h.Get("Retry-After") == "" || !strings.Contains(body, c.text) {
			t.Errorf("%s with the database cut off: %d, Retry-After %q, want 503 saying %q:\n%.300s\nlog: %s", c.name, status, h.Get("Retry-After"), c.text, body, logged.String())
		}
	}
	// The API's message is in the reader's language too.
	if _, _, body := send("POST", "/api/v1/activities", write, "Authorization", bearer, "Content-Type", "application/json", "Accept-Language", "ja"); !strings.Contains(body, "現在データベースが応答しません") {
		t.Errorf("API error not in Japanese: %s", body)
	}
	// The public's pages come from memory.
	if status, _, _ := send("GET", "/en/partners", ""); status != http.StatusOK {
		t.Errorf("a public page with the database cut off: %d, want 200 from memory", status)
	}

	proxy.restore()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ready, _, _ := send("GET", "/readyz", "")
		in, _, _ := send("POST", "/en/signin", signin, form, formType)
		wrote, _, body := send("POST", "/api/v1/activities", write, "Authorization", bearer, "Content-Type", "application/json")
		if ready == http.StatusOK && in == http.StatusUnauthorized && wrote == http.StatusCreated {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after the database returned: readyz %d, sign-in %d, write %d %s", ready, in, wrote, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The queue takes jobs again.
	if _, err := q.Insert(ctx, outageJob{}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("10 s after the database returned, the job queue runs nothing")
	}
}

// outageJob is a job run after the database returns.
type outageJob struct{}

func (outageJob) Kind() string { return "test_outage" }

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}
