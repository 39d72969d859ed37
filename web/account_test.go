package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store/storetest"
)

// A user whose password was generated must change it first: every page and
// API call sends them to the change-password page (issue 10, item 5).
func TestMustChangePasswordGate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ts := newAuthServer(t, e)
		ctx := context.Background()
		u, err := ts.db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "new@example.ac.jp", Name: "New Admin",
			Role: partnerhub.RoleAdmin, MustChangePassword: true}, testPassword)
		if err != nil {
			t.Fatal(err)
		}
		raw, _, err := ts.db.CreateToken(ctx, u.ID, partnerhub.TokenSpec{Name: "early", Scope: partnerhub.ScopeWrite}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		r := ts.send(t, "POST", "/en/signin", signinForm(u.Email, testPassword, "next", "/en/admin/audit"))
		wantRedirect(t, r, "/en/account/password")
		ck := r.cookie()
		// Pages that show drafts to the signed-in too: no drafts before the change.
		for _, path := range []string{"/en/account", "/en/admin/audit", "/ja/edit/activity/new", "/en/account/sessions",
			"/en/agreements", "/en/export/agreements?format=csv"} {
			wantRedirect(t, ts.send(t, "GET", path, nil, ck), "/"+path[1:3]+"/account/password")
		}
		for _, auth := range []any{ck, "Authorization"} {
			hdr := []any{auth}
			if auth == "Authorization" {
				hdr = []any{"Authorization", "Bearer " + raw}
			}
			r := ts.send(t, "GET", "/api/v1/audit", nil, hdr...)
			if r.status != http.StatusForbidden || !strings.Contains(r.body, "must be changed first") {
				t.Fatalf("API with %v: %d %s", auth, r.status, r.body)
			}
		}
		wantPage(t, ts.send(t, "GET", "/en/account/password", nil, ck), http.StatusOK, "The programme office set your password")

		change := func(current, next, confirm string) reply {
			return ts.send(t, "POST", "/en/account/password", url.Values{"current_password": {current}, "password": {next}, "password_confirm": {confirm}}, ck)
		}
		r = change("wrong password here", "seven blue herons at dusk", "seven blue herons at dusk")
		wantPage(t, r, http.StatusBadRequest, "This is not your current password.")
		r = change(testPassword, "password1234", "password1234")
		wantPage(t, r, http.StatusBadRequest, "lists of common passwords")
		if strings.Contains(r.body, "password1234") || strings.Contains(r.body, testPassword) {
			t.Fatal("the refusal repeats a password")
		}
		wantPage(t, change(testPassword, "utokyoutokyo", "utokyoutokyo"), http.StatusBadRequest, "the name of this service or university")
		wantPage(t, change(testPassword, "seven blue herons at dusk", "seven blue herons"), http.StatusBadRequest, "The two new passwords differ.")
		wantRedirect(t, change(testPassword, "seven blue herons at dusk", "seven blue herons at dusk"), "/en/account/password?changed=1")
		wantPage(t, ts.send(t, "GET", "/en/account", nil, ck), http.StatusOK, "Change your password")
		// The token made before the change is revoked with it.
		if r := ts.send(t, "GET", "/api/v1/audit", nil, "Authorization", "Bearer "+raw); r.status != http.StatusUnauthorized {
			t.Fatalf("token after the change: %d", r.status)
		}
		if r := ts.send(t, "GET", "/api/v1/audit", nil, ck); r.status != http.StatusOK {
			t.Fatalf("API after the change: %d %s", r.status, r.body)
		}
	})
}

var endSessionForm = regexp.MustCompile(`action="/en/account/sessions/([a-z0-9]+)/end"`)

func TestSessionsPage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ts := newAuthServer(t, e)
		u := ts.addUser(t, "many@example.ac.jp", partnerhub.RoleViewer)
		signIn := func(agent string) *http.Cookie {
			r := ts.send(t, "POST", "/en/signin", signinForm(u.Email, testPassword), "User-Agent", agent)
			if r.cookie() == nil {
				t.Fatalf("sign-in: %d", r.status)
			}
			return r.cookie()
		}
		alive := func(ck *http.Cookie) bool { return ts.send(t, "GET", "/en/account", nil, ck).status == http.StatusOK }
		phone := signIn("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36")
		laptop := signIn("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
		r := ts.send(t, "GET", "/en/account/sessions", nil, laptop)
		wantPage(t, r, http.StatusOK, "Chrome, Android", "Firefox, Linux", "this session", "Your sessions (2)", "End the other session")
		ids := endSessionForm.FindAllStringSubmatch(r.body, -1)
		if len(ids) != 1 {
			t.Fatalf("%d end buttons, want 1 (not for this session)", len(ids))
		}
		wantRedirect(t, ts.send(t, "POST", "/en/account/sessions/"+ids[0][1]+"/end", nil, laptop), "/en/account/sessions?ended=1")
		if alive(phone) || !alive(laptop) {
			t.Fatal("ending the phone's session: want the phone signed out, the laptop not")
		}
		// Someone else's session, or none, is not found.
		other := ts.addUser(t, "other@example.ac.jp", partnerhub.RoleViewer)
		oc := ts.signIn(t, other.Email)
		wantPage(t, ts.send(t, "POST", "/en/account/sessions/nosuchsession/end", nil, oc), http.StatusNotFound)
		tablet := signIn("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) Safari/605.1.15")
		r = ts.send(t, "POST", "/en/account/sessions/end-others", nil, laptop)
		wantRedirect(t, r, "/en/account/sessions?ended=1")
		if alive(tablet) || !alive(laptop) || !alive(oc) {
			t.Fatal("ending the other sessions: want only this user's others ended")
		}
		wantPage(t, ts.send(t, "GET", "/en/account/sessions?ended=1", nil, laptop), http.StatusOK, "1 session was ended.", "You are signed in nowhere else.")
		wantPage(t, ts.send(t, "GET", "/ja/account/sessions", nil, laptop), http.StatusOK, "サインイン中の端末", "この端末")
	})
}

// A read-only token reads but every write is refused with a clear 403;
// tokens are made with a scope and a lifetime (issue 10, item 7).
func TestTokenScopeOnWrites(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ts := newAuthServer(t, e)
		u := ts.addUser(t, "scoped@example.ac.jp", partnerhub.RoleAdmin)
		ck := ts.signIn(t, u.Email)
		token := regexp.MustCompile(`ph_[A-Za-z0-9_-]{43}`)
		mk := func(scope, days string) reply {
			return ts.send(t, "POST", "/en/account/tokens", url.Values{"name": {scope + " token"}, "scope": {scope}, "days": {days}}, ck)
		}
		wantPage(t, mk("read", "1000"), http.StatusBadRequest, "Choose one of the lifetimes offered (at most 365 days).")
		wantPage(t, mk("admin", "7"), http.StatusBadRequest)
		r := mk("read", "7")
		wantPage(t, r, http.StatusOK, "Read only")
		readTok := token.FindString(r.body)
		r = mk("write", "30")
		wantPage(t, r, http.StatusOK, "Read and write")
		writeTok := token.FindString(r.body)
		if readTok == "" || writeTok == "" {
			t.Fatal("no token shown")
		}
		page := ts.send(t, "GET", "/en/account", nil, ck)
		wantPage(t, page, http.StatusOK, "Expires", time.Now().UTC().AddDate(0, 0, 7).Format("2006-01-02"), time.Now().UTC().AddDate(0, 0, 30).Format("2006-01-02"))

		if r := ts.send(t, "GET", "/api/v1/audit", nil, "Authorization", "Bearer "+readTok); r.status != http.StatusOK {
			t.Fatalf("read token reading: %d", r.status)
		}
		body := `{"slug":"scope-test","name":{"ja":"スコープ","en":"Scope test"},"country":"JP"}`
		for _, rt := range []struct{ method, path string }{{"POST", "/api/v1/institutions"}, {"PATCH", "/api/v1/partners/cambridge"},
			{"DELETE", "/api/v1/units/iog?version=1"}, {"PUT", "/api/v1/mobility"}} {
			r := ts.sendJSON(t, rt.method, rt.path, body, readTok)
			if r.status != http.StatusForbidden || !strings.Contains(r.body, "read-only") {
				t.Errorf("read token %s %s: %d %s", rt.method, rt.path, r.status, r.body)
			}
		}
		if r := ts.sendJSON(t, "POST", "/api/v1/institutions", body, writeTok); r.status == http.StatusForbidden || r.status == http.StatusUnauthorized {
			t.Fatalf("write token: %d %s", r.status, r.body)
		}
	})
}

// sendJSON sends a JSON body with a bearer token.
func (ts *authServer) sendJSON(t *testing.T, method, path, body, token string) reply {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b := new(strings.Builder)
	if _, err := io.Copy(b, res.Body); err != nil {
		t.Fatal(err)
	}
	return reply{res.StatusCode, res.Header, b.String()}
}
