package web

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/dataset"
	"partnerhub/i18n"
	"partnerhub/mock"
)

// fakeServer is a server on the domain's fakes: the built-in catalog in
// memory, an editor whose answers the test sets, and one signed-in
// administrator. Its tests need no database, so they run in every tier.
type fakeServer struct {
	srv    *Server
	editor *mock.Editor
	cookie *http.Cookie
	admin  *partnerhub.User
}

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	c, err := dataset.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{editor: &mock.Editor{}, admin: &partnerhub.User{ID: 7, Home: "utokyo", Email: "office@example.ac.jp", Name: "Office", Role: partnerhub.RoleAdmin}}
	accounts := &mock.Accounts{}
	f.cookie = &http.Cookie{Name: sessionCookie, Value: accounts.SignIn(f.admin, "session-of-the-office")}
	f.srv, err = NewServer(context.Background(), Deps{Source: mock.NewCatalogs(c), Home: "utokyo", Messages: msgs,
		Accounts: accounts, Editor: f.editor, Mobility: &mock.Mobility{}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// do sends a request as the signed-in administrator.
func (f *fakeServer) do(method, path string, form url.Values) *httptest.ResponseRecorder {
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.AddCookie(f.cookie)
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	return rec
}

func TestHandlersOnFakes(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	mou := func() *partnerhub.Agreement {
		c, _ := dataset.Builtin()
		for i := range c.Agreements {
			if c.Agreements[i].Slug == "princeton-mou" {
				a := c.Agreements[i]
				a.Version = 4
				return &a
			}
		}
		t.Fatal("princeton-mou is not in the built-in data")
		return nil
	}
	f.editor.RecordFn = func(_ context.Context, home string, e partnerhub.Entity, key string) (partnerhub.Record, bool, error) {
		if home != "utokyo" || e != partnerhub.EntityAgreement || key != "princeton-mou" {
			return nil, false, partnerhub.Errorf(partnerhub.ENotFound, "error.record_not_found", key)
		}
		return mou(), false, nil
	}

	t.Run("the edit form offers the verbs of the record's state", func(t *testing.T) {
		for _, tc := range []struct{ lang, want string }{{"en", "Record as expired"}, {"ja", "失効として記録する"}} {
			rec := f.do("GET", "/"+tc.lang+"/edit/agreement/princeton-mou", nil)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), tc.want) || !strings.Contains(rec.Body.String(), `value="expire"`) {
				t.Fatalf("%s: %d, verbs missing:\n%.2000s", tc.lang, rec.Code, rec.Body.String())
			}
		}
	})

	t.Run("a form's verb reaches the editor as a typed transition", func(t *testing.T) {
		var got partnerhub.Change
		f.editor.ApplyFn = func(_ context.Context, c partnerhub.Change) (int, error) { got = c; return 5, nil }
		rec := f.do("POST", "/en/edit/agreement/princeton-mou/transition", url.Values{"verb": {"expire"}, "comment": {" lapsed "}, "version": {"4"}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/en/edit/agreement/princeton-mou?saved=1" {
			t.Fatalf("%d %s", rec.Code, rec.Header().Get("Location"))
		}
		want := partnerhub.Change{Actor: f.admin, Home: "utokyo", Entity: partnerhub.EntityAgreement, Action: partnerhub.ActionTransition,
			Key: "princeton-mou", Version: 4, Transition: partnerhub.Transition{Verb: partnerhub.VerbExpire, Comment: "lapsed"}}
		if got.Actor != want.Actor || got.Home != want.Home || got.Entity != want.Entity || got.Action != want.Action || got.Key != want.Key ||
			got.Version != want.Version || got.Transition != want.Transition || got.Record != nil {
			t.Fatalf("Apply got %+v\nwant %+v", got, want)
		}
		if err := got.Check(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a saved form reaches the editor as the record's own type", func(t *testing.T) {
		var got partnerhub.Change
		f.editor.ApplyFn = func(_ context.Context, c partnerhub.Change) (int, error) { got = c; return 5, nil }
		vals := forms[partnerhub.EntityAgreement].values(mou())
		vals.Set("version", "4")
		vals.Set("title.en", "Memorandum, renewed")
		rec := f.do("POST", "/en/edit/agreement/princeton-mou", vals)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("%d:\n%.2000s", rec.Code, rec.Body.String())
		}
		a, ok := got.Record.(*partnerhub.Agreement)
		if !ok || got.Action != partnerhub.ActionUpdate || got.Key != "princeton-mou" || got.Version != 4 || a.Title.En != "Memorandum, renewed" {
			t.Fatalf("Apply got %+v (record %T)", got, got.Record)
		}
	})

	t.Run("the editor's refusal is shown in the reader's language", func(t *testing.T) {
		f.editor.ApplyFn = func(context.Context, partnerhub.Change) (int, error) {
			return 0, partnerhub.Errorf(partnerhub.EConflict, "error.transition_not_allowed", "expire", "expired")
		}
		rec := f.do("POST", "/ja/edit/agreement/princeton-mou/transition", url.Values{"verb": {"expire"}, "version": {"4"}})
		if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "適用できません") {
			t.Fatalf("%d:\n%.2000s", rec.Code, rec.Body.String())
		}
	})

	t.Run("a failure of storage is an internal error, never forbidden", func(t *testing.T) {
		f.editor.ApplyFn = func(context.Context, partnerhub.Change) (int, error) {
			return 0, errors.New("database is locked: secret internals")
		}
		for _, path := range []string{"/en/edit/agreement/princeton-mou/transition"} {
			rec := f.do("POST", path, url.Values{"verb": {"expire"}, "version": {"4"}})
			if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "secret internals") {
				t.Fatalf("%s: %d:\n%.2000s", path, rec.Code, rec.Body.String())
			}
		}
		f.editor.BinFn = func(context.Context, string) ([]partnerhub.BinItem, error) {
			return nil, errors.New("connection reset")
		}
		if rec := f.do("GET", "/en/admin/bin", nil); rec.Code != http.StatusInternalServerError {
			t.Fatalf("bin: %d", rec.Code)
		}
	})

	t.Run("history shows a transition's verb and comment", func(t *testing.T) {
		f.editor.AuditFn = func(_ context.Context, home string, fl partnerhub.AuditFilter) ([]partnerhub.AuditEvent, error) {
			if fl.Entity != partnerhub.EntityAgreement || fl.Key != "princeton-mou" {
				t.Errorf("filter %+v", fl)
			}
			return []partnerhub.AuditEvent{{ID: 9, At: time.Date(2026, 3, 31, 9, 0, 0, 0, time.UTC), Actor: "office@example.ac.jp",
				Action: partnerhub.ActionTransition, Entity: partnerhub.EntityAgreement, Key: "princeton-mou", Version: 5,
				Before: []byte(`{"status":"active"}`), After: []byte(`{"status":"expired"}`), Verb: partnerhub.VerbExpire, Comment: "Lapsed in March."}}, nil
		}
		rec := f.do("GET", "/en/history/agreement/princeton-mou", nil)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Lapsed in March.") || !strings.Contains(rec.Body.String(), "Record as expired") {
			t.Fatalf("%d:\n%.3000s", rec.Code, rec.Body.String())
		}
	})

	t.Run("nobody is sent to sign in, without reaching the editor", func(t *testing.T) {
		f.editor.ApplyFn = func(context.Context, partnerhub.Change) (int, error) { t.Error("Apply reached"); return 0, nil }
		req := httptest.NewRequest("POST", "/en/edit/agreement/princeton-mou/transition", strings.NewReader("verb=expire&version=4"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		f.srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/en/signin?next=") {
			t.Fatalf("%d %s", rec.Code, rec.Header().Get("Location"))
		}
	})
}

// TestDownloadsKeepTheFilters follows every download link of a filtered
// list page: each keeps the page's filters and answers the file, in both
// languages.
func TestDownloadsKeepTheFilters(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t)
	href := regexp.MustCompile(`href="([^"]*/export/[^"]*)"`)
	for _, page := range []string{"/en/partners?tier=primary", "/ja/partners?tier=prospective&country=JP", "/en/activities?kind=symposium",
		"/ja/activities?kind=symposium&page=1", "/en/agreements?status=active", "/ja/agreements?partner=snu"} {
		rec := f.do("GET", page, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", page, rec.Code)
		}
		want, _ := url.ParseQuery(page[strings.Index(page, "?")+1:])
		want.Del("page")
		links := href.FindAllStringSubmatch(rec.Body.String(), -1)
		if len(links) < 2 {
			t.Fatalf("%s: %d download links", page, len(links))
		}
		for _, l := range links {
			u, err := url.Parse(html.UnescapeString(l[1]))
			if err != nil {
				t.Fatal(err)
			}
			for k, vs := range want {
				if got := u.Query()[k]; !slices.Equal(got, vs) {
					t.Errorf("%s: download %s has %s=%v, want %v", page, l[1], k, got, vs)
				}
			}
			if got := f.do("GET", u.RequestURI(), nil); got.Code != http.StatusOK {
				t.Errorf("%s: download %s: %d %.300s", page, u.RequestURI(), got.Code, got.Body.String())
			}
		}
	}
}
