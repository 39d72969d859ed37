package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"partnerhub"
	"partnerhub/dataset"
	"partnerhub/i18n"
	"partnerhub/jobs"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// authServer is a test server with accounts, on a database holding the
// built-in data.
type authServer struct {
	*httptest.Server
	db  *store.DB
	srv *Server
	q   *jobs.Queue // started
}

func newAuthServer(t *testing.T, e storetest.Engine) *authServer {
	t.Helper()
	ts := newTestServer(t, e)
	return &authServer{Server: ts.Server, db: ts.db, srv: ts.srv, q: ts.q}
}

const testPassword = "a long and secret passphrase"

func (ts *authServer) addUser(t *testing.T, email string, role partnerhub.Role, units ...string) *partnerhub.User {
	t.Helper()
	u, err := ts.db.CreateUser(context.Background(), "utokyo", &partnerhub.User{Email: email, Name: "Name of " + email, Role: role, Units: units}, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

type reply struct {
	status int
	header http.Header
	body   string
}

// cookie returns the ph_session cookie the reply sets, or nil.
func (r reply) cookie() *http.Cookie {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == sessionCookie || c.Name == secureSessionCookie {
			return c
		}
	}
	return nil
}

// send makes one request without following redirects. form, when not nil,
// is posted; header is name, value pairs; a *http.Cookie in it is sent too.
func (ts *authServer) send(t *testing.T, method, path string, form url.Values, header ...any) reply {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i < len(header); i++ {
		switch h := header[i].(type) {
		case *http.Cookie:
			if h != nil {
				req.AddCookie(&http.Cookie{Name: h.Name, Value: h.Value})
			}
		case string:
			req.Header.Set(h, header[i+1].(string))
			i++
		}
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{res.StatusCode, res.Header, string(b)}
}

func signinForm(email, password string, kv ...string) url.Values {
	f := url.Values{"email": {email}, "password": {password}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

// signIn signs in and returns the session cookie.
func (ts *authServer) signIn(t *testing.T, email string) *http.Cookie {
	t.Helper()
	r := ts.send(t, "POST", "/en/signin", signinForm(email, testPassword))
	if r.status != http.StatusSeeOther || r.cookie() == nil {
		t.Fatalf("sign-in of %s: %d %s", email, r.status, r.body)
	}
	return r.cookie()
}

func wantRedirect(t *testing.T, r reply, location string) {
	t.Helper()
	if r.status != http.StatusSeeOther || r.header.Get("Location") != location {
		t.Fatalf("got %d to %q, want 303 to %q\n%s", r.status, r.header.Get("Location"), location, r.body)
	}
}

func wantPage(t *testing.T, r reply, status int, texts ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d\n%s", r.status, status, r.body)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	for _, s := range texts {
		if !strings.Contains(r.body, s) {
			t.Errorf("page lacks %q", s)
		}
	}
}

func TestSignIn(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ts := newAuthServer(t, e)
		ctx := context.Background()
		u := ts.addUser(t, "coord@example.ac.jp", partnerhub.RoleCoordinator, "eng")

		t.Run("the form", func(t *testing.T) {
			r := ts.send(t, "GET", "/ja/signin?next=/ja/partners", nil)
			wantPage(t, r, 200, `<h1>サインイン</h1>`, `action="/ja/signin"`, `name="next" value="/ja/partners"`, `autocomplete="current-password"`)
			if r.header.Get("X-Frame-Options") != "DENY" {
				t.Error("the sign-in page may be framed")
			}
			// The language switch keeps the page and where it returns to.
			if !strings.Contains(r.body, `href="/en/signin?next=%2Fja%2Fpartners"`) {
				t.Error("no language switch to the English sign-in page")
			}
		})

		t.Run("success sets a session cookie and goes to the account", func(t *testing.T) {
			r := ts.send(t, "POST", "/en/signin", signinForm(" Coord@Example.ac.jp ", testPassword))
			wantRedirect(t, r, "/en/account")
			ck := r.cookie()
			if ck == nil {
				t.Fatalf("no session cookie: %v", r.header)
			}
			if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure {
				t.Fatalf("cookie %+v: want HttpOnly, SameSite=Lax, Path=/, not Secure over plain HTTP", ck)
			}
			if ck.MaxAge < 12*3600-60 || ck.MaxAge > 12*3600 {
				t.Fatalf("cookie Max-Age %d, want 12 h", ck.MaxAge)
			}
			got, err := ts.db.SessionUser(ctx, ck.Value, time.Now())
			if err != nil || got.ID != u.ID {
				t.Fatalf("the cookie's session in the database: %v, %v", got, err)
			}
			r = ts.send(t, "GET", "/en/account", nil, ck)
			wantPage(t, r, 200, "coord@example.ac.jp", "Name of coord@example.ac.jp", "Unit coordinator", "Graduate School of Engineering", `action="/en/signout"`)
			r = ts.send(t, "GET", "/ja/account", nil, ck)
			wantPage(t, r, 200, "部局コーディネーター", "工学系研究科")

			// X-Forwarded-Proto from a peer that is no configured proxy
			// changes nothing (a configured one: edge_test.go).
			r = ts.send(t, "POST", "/en/signin", signinForm(u.Email, testPassword), "X-Forwarded-Proto", "https")
			if ck := r.cookie(); ck == nil || ck.Secure {
				t.Fatalf("cookie after an unbelieved X-Forwarded-Proto: %+v", r.cookie())
			}
		})

		t.Run("a new sign-in ends the browser's old session", func(t *testing.T) {
			old := ts.signIn(t, u.Email)
			r := ts.send(t, "POST", "/en/signin", signinForm(u.Email, testPassword), old)
			if r.cookie() == nil || r.cookie().Value == old.Value {
				t.Fatal("no new session")
			}
			if _, err := ts.db.SessionUser(ctx, old.Value, time.Now()); partnerhub.ErrorCode(err) != partnerhub.EUnauthorized {
				t.Fatalf("the old session still works: %v", err)
			}
		})

		t.Run("next goes to a page of this site only", func(t *testing.T) {
			r := ts.send(t, "POST", "/en/signin", signinForm(u.Email, testPassword, "next", "/en/partners?tier=primary"))
			wantRedirect(t, r, "/en/partners?tier=primary")
			for _, next := range []string{"//evil.example", "https://evil.example", "/\\evil.example", "http:/evil.example", "javascript:alert(1)", "evil.example", "/%0d%0aSet-Cookie:x", "/\t/evil.example"} {
				r := ts.send(t, "POST", "/ja/signin", signinForm(u.Email, testPassword, "next", next))
				if next == "/%0d%0aSet-Cookie:x" {
					// Encoded, it is a harmless local path.
					wantRedirect(t, r, next)
					continue
				}
				wantRedirect(t, r, "/ja/account")
				g := ts.send(t, "GET", "/en/signin?next="+url.QueryEscape(next), nil)
				if strings.Contains(g.body, "evil.example") {
					t.Errorf("the form carries next=%q on", next)
				}
			}
		})

		t.Run("a wrong password says so at the field, in the page's language, keeping the address", func(t *testing.T) {
			for _, tc := range []struct{ lang, msg string }{
				{"en", "The e-mail address or the password is not correct."},
				{"ja", "メールアドレスまたはパスワードが正しくありません。"},
			} {
				r := ts.send(t, "POST", "/"+tc.lang+"/signin", signinForm("coord@example.ac.jp", "not the password", "next", "/"+tc.lang+"/partners"))
				wantPage(t, r, http.StatusUnauthorized, `<span class="field-error" id="err-password" role="alert">`+tc.msg+`</span>`, `value="coord@example.ac.jp"`, `aria-invalid="true"`,
					`name="next" value="/`+tc.lang+`/partners"`)
				if r.cookie() != nil {
					t.Fatal("a failed sign-in set a cookie")
				}
				// An unknown address gets the very same answer.
				r2 := ts.send(t, "POST", "/"+tc.lang+"/signin", signinForm("nobody@example.ac.jp", "not the password"))
				wantPage(t, r2, http.StatusUnauthorized, tc.msg, `value="nobody@example.ac.jp"`)
			}
			r := ts.send(t, "POST", "/ja/signin", signinForm("  ", ""))
			wantPage(t, r, http.StatusBadRequest, `id="err-email">この項目は必須です。`, `id="err-password" role="alert">この項目は必須です。`)
			if strings.Contains(r.body, "error.") || strings.Contains(r.body, "field.") {
				t.Fatalf("a message key shows:\n%s", r.body)
			}
		})

		t.Run("a disabled user cannot sign in", func(t *testing.T) {
			ts.addUser(t, "gone@example.ac.jp", partnerhub.RoleViewer)
			ck := ts.signIn(t, "gone@example.ac.jp")
			if err := ts.db.DisableUser(ctx, "utokyo", "gone@example.ac.jp"); err != nil {
				t.Fatal(err)
			}
			r := ts.send(t, "POST", "/en/signin", signinForm("gone@example.ac.jp", testPassword))
			wantPage(t, r, http.StatusUnauthorized, "The e-mail address or the password is not correct.")
			wantRedirect(t, ts.send(t, "GET", "/en/account", nil, ck), "/en/signin?next=%2Fen%2Faccount")
		})

		t.Run("a user of another programme has no account here", func(t *testing.T) {
			c, err := dataset.Builtin()
			if err != nil {
				t.Fatal(err)
			}
			c.Home.Slug = "other"
			if err := ts.db.ImportCatalog(ctx, c); err != nil {
				t.Fatal(err)
			}
			if _, err := ts.db.CreateUser(ctx, "other", &partnerhub.User{Email: "x@other.example", Name: "X", Role: partnerhub.RoleAdmin}, testPassword); err != nil {
				t.Fatal(err)
			}
			r := ts.send(t, "POST", "/en/signin", signinForm("x@other.example", testPassword))
			wantPage(t, r, http.StatusUnauthorized, "The e-mail address or the password is not correct.")
		})

		// Throttling over HTTP: edge_test.go.
	})
}

func TestSignOutAndSessions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ts := newAuthServer(t, e)
		ctx := context.Background()
		u := ts.addUser(t, "admin@example.ac.jp", partnerhub.RoleAdmin)

		t.Run("the account page needs a session", func(t *testing.T) {
			wantRedirect(t, ts.send(t, "GET", "/ja/account", nil), "/ja/signin?next=%2Fja%2Faccount")
			wantRedirect(t, ts.send(t, "POST", "/en/account/tokens", url.Values{"name": {"x"}}), "/en/signin?next=%2Fen%2Faccount")
			wantRedirect(t, ts.send(t, "GET", "/en/account", nil, &http.Cookie{Name: sessionCookie, Value: "forged"}), "/en/signin?next=%2Fen%2Faccount")
			// The redirect, followed, signs in and comes back.
			r := ts.send(t, "POST", "/ja/signin", signinForm(u.Email, testPassword, "next", "/ja/account"))
			wantRedirect(t, r, "/ja/account")
		})

		t.Run("sign-out ends the session", func(t *testing.T) {
			ck := ts.signIn(t, u.Email)
			wantPage(t, ts.send(t, "GET", "/en/account", nil, ck), 200)
			r := ts.send(t, "POST", "/ja/signout", url.Values{}, ck)
			wantRedirect(t, r, "/ja/")
			if c := r.cookie(); c == nil || c.MaxAge >= 0 || c.Value != "" {
				t.Fatalf("the cookie is not cleared: %+v", c)
			}
			// The old cookie, kept by an attacker or a stale tab, no longer works.
			wantRedirect(t, ts.send(t, "GET", "/en/account", nil, ck), "/en/signin?next=%2Fen%2Faccount")
			if _, err := ts.db.SessionUser(ctx, ck.Value, time.Now()); partnerhub.ErrorCode(err) != partnerhub.EUnauthorized {
				t.Fatalf("the session is still in the database: %v", err)
			}
			// Signing out without a session is harmless.
			wantRedirect(t, ts.send(t, "POST", "/en/signout", url.Values{}), "/en/")
		})

		t.Run("an expired session is refused", func(t *testing.T) {
			tok, err := ts.db.CreateSession(ctx, u.ID, time.Now().Add(-sessionTTL-time.Minute), partnerhub.SessionSpec{TTL: sessionTTL})
			if err != nil {
				t.Fatal(err)
			}
			ck := &http.Cookie{Name: sessionCookie, Value: tok}
			wantRedirect(t, ts.send(t, "GET", "/en/account", nil, ck), "/en/signin?next=%2Fen%2Faccount")
			req := httptest.NewRequest("GET", "/en/account", nil)
			req.AddCookie(ck)
			if ts.srv.user(req) != nil {
				t.Fatal("user() accepts an expired session")
			}
		})
	})
}

var rawTokenRE = regexp.MustCompile(`ph_[A-Za-z0-9_-]{43}`)

func TestAPITokenForms(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ts := newAuthServer(t, e)
		ctx := context.Background()
		u := ts.addUser(t, "c@example.ac.jp", partnerhub.RoleCoordinator, "agr", "sci")
		ck := ts.signIn(t, u.Email)

		wantPage(t, ts.send(t, "GET", "/en/account", nil, ck), 200, "You have no API tokens.")

		// A token needs a name; the error is at the field, in the language.
		r := ts.send(t, "POST", "/ja/account/tokens", url.Values{"name": {"  "}}, ck)
		wantPage(t, r, http.StatusBadRequest, `id="err-name" role="alert">この項目は必須です。`)

		r = ts.send(t, "POST", "/en/account/tokens", url.Values{"name": {"activity import"}}, ck)
		wantPage(t, r, 200, "The token “activity import” was created.", "shown only this once")
		raw := rawTokenRE.FindString(r.body)
		if raw == "" {
			t.Fatalf("no raw token on the page:\n%s", r.body)
		}
		// Shown once: the account page lists the token, never its value.
		r = ts.send(t, "GET", "/en/account", nil, ck)
		wantPage(t, r, 200, "activity import", "Never", "Revoke")
		if rawTokenRE.MatchString(r.body) {
			t.Fatal("the account page shows a raw token again")
		}
		toks, err := ts.db.Tokens(ctx, u.ID)
		if err != nil || len(toks) != 1 {
			t.Fatalf("Tokens = %v, %v", toks, err)
		}

		// The bearer token resolves to its owner, with the owner's role.
		bearer := func(h string) *partnerhub.User {
			req := httptest.NewRequest("POST", "/api/v1/anything", nil)
			req.Header.Set("Authorization", h)
			var u *partnerhub.User
			ts.srv.identify(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { u = ts.srv.user(r) })).ServeHTTP(httptest.NewRecorder(), req)
			return u
		}
		if got := bearer("Bearer " + raw); got == nil || got.ID != u.ID || got.Role != partnerhub.RoleCoordinator || strings.Join(got.Units, ",") != "sci,agr" {
			t.Fatalf("user(Bearer) = %+v", got)
		}
		if got := bearer("bearer " + raw); got == nil {
			t.Fatal("the scheme is case-insensitive")
		}
		for _, h := range []string{"Bearer", "Bearer ph_nope", "Basic " + raw, raw} {
			if bearer(h) != nil {
				t.Fatalf("Authorization %q resolves to a user", h)
			}
		}
		// A request with a bad token is nobody, whatever cookie it carries.
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", "Bearer ph_nope")
		req.AddCookie(ck)
		if ts.srv.user(req) != nil {
			t.Fatal("a bad token fell back to the cookie")
		}
		// A token is not a session: it opens no account page.
		wantRedirect(t, ts.send(t, "GET", "/en/account", nil, "Authorization", "Bearer "+raw), "/en/signin?next=%2Fen%2Faccount")

		// Someone else cannot revoke it; its owner can.
		other := ts.addUser(t, "other@example.ac.jp", partnerhub.RoleAdmin)
		otherCk := ts.signIn(t, other.Email)
		path := fmt.Sprintf("/en/account/tokens/%d/revoke", toks[0].ID)
		wantPage(t, ts.send(t, "POST", path, url.Values{}, otherCk), http.StatusNotFound)
		wantPage(t, ts.send(t, "POST", "/en/account/tokens/x/revoke", url.Values{}, ck), http.StatusNotFound)
		if bearer("Bearer "+raw) == nil {
			t.Fatal("a refused revocation took effect")
		}
		wantRedirect(t, ts.send(t, "POST", path, url.Values{}, ck), "/en/account#tokens")
		if got := bearer("Bearer " + raw); got != nil {
			t.Fatalf("a revoked token resolves to %+v", got)
		}
		wantPage(t, ts.send(t, "GET", "/ja/account", nil, ck), 200, "失効済み")
	})
}

func TestCrossOriginRequestsAreRefused(t *testing.T) {
	ts := newAuthServer(t, storetest.Engines()[0])
	u := ts.addUser(t, "a@example.ac.jp", partnerhub.RoleAdmin)
	ck := ts.signIn(t, u.Email)
	form := signinForm(u.Email, testPassword)
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site"},
		{"Origin", "https://evil.example"},
	} {
		r := ts.send(t, "POST", "/en/signin", form, h[0], h[1])
		wantPage(t, r, http.StatusForbidden, "This request came from another site and was refused.")
		if r.cookie() != nil {
			t.Fatalf("%s: %s: a refused sign-in set a cookie", h[0], h[1])
		}
		r = ts.send(t, "POST", "/ja/signout", url.Values{}, ck, h[0], h[1])
		wantPage(t, r, http.StatusForbidden, "他のサイトから送られたリクエストのため拒否しました。")
		r = ts.send(t, "POST", "/en/account/tokens", url.Values{"name": {"stolen"}}, ck, h[0], h[1])
		wantPage(t, r, http.StatusForbidden)
	}
	// The session survived the forged sign-out, and no token was made.
	wantPage(t, ts.send(t, "GET", "/en/account", nil, ck), 200, "You have no API tokens.")

	// The API answers in its own shape.
	r := ts.send(t, "POST", "/api/v1/partners", url.Values{}, "Origin", "https://evil.example")
	var body apiError
	if r.status != http.StatusForbidden || json.Unmarshal([]byte(r.body), &body) != nil || body.Error.Code != "forbidden" {
		t.Fatalf("API: %d %s", r.status, r.body)
	}

	// The same site's own forms pass, as do requests without the headers
	// (API clients), and every GET.
	wantRedirect(t, ts.send(t, "POST", "/en/signin", form, "Sec-Fetch-Site", "same-origin"), "/en/account")
	wantRedirect(t, ts.send(t, "POST", "/en/signin", form, "Origin", ts.URL), "/en/account")
	wantRedirect(t, ts.send(t, "POST", "/en/signin", form), "/en/account")
	wantPage(t, ts.send(t, "GET", "/en/signin", nil, "Sec-Fetch-Site", "cross-site"), 200)
}

func TestSafeNextAndClientIP(t *testing.T) {
	for next, want := range map[string]string{
		"":                      "/en/account",
		"/en/partners?unit=eng": "/en/partners?unit=eng",
		"/":                     "/",
		"//evil.example/x":      "/en/account",
		"/\\evil.example":       "/en/account",
		"https://evil.example":  "/en/account",
		"evil":                  "/en/account",
		"/a\nb":                 "/en/account",
		"/%2F%2Fevil.example":   "/%2F%2Fevil.example", // a path on this site
	} {
		if got := (&Server{}).safeNext(next, partnerhub.English); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
	for _, tc := range []struct{ remote, xff, want string }{
		{"198.51.100.7:4711", "", "198.51.100.7"},
		{"198.51.100.7:4711", "203.0.113.1", "198.51.100.7"}, // a public peer cannot claim another address
		{"10.0.0.2:80", "203.0.113.1, 192.0.2.5", "192.0.2.5"},
		{"127.0.0.1:80", "", "127.0.0.1"},
		{"[::1]:80", "2001:db8::1", "2001:db8::1"},
		{"10.0.0.2:80", "garbage", "10.0.0.2"},
	} {
		r := httptest.NewRequest("POST", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := clientIP(r, privateNetworks); got != tc.want {
			t.Errorf("clientIP(%s, XFF %q) = %q, want %q", tc.remote, tc.xff, got, tc.want)
		}
	}
}

// TestAccountKeysInCatalogs checks the message keys of the account pages,
// which the catalog test's patterns do not cover (signin.*, account.*).
func TestAccountKeysInCatalogs(t *testing.T) {
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"((?:signin|account)\.[a-z0-9_.]+)"`)
	keys := map[string]bool{}
	for _, f := range []string{"auth.go", "templates/signin.html", "templates/account.html"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			keys[m[1]] = true
		}
	}
	for _, r := range partnerhub.Roles {
		keys["account.role_"+string(r)] = true
		keys["account.role_"+string(r)+"_help"] = true
	}
	if len(keys) < 30 {
		t.Fatalf("found only %d keys", len(keys))
	}
	for k := range keys {
		for _, l := range partnerhub.Langs {
			if _, ok := msgs.Keys(l)[k]; !ok {
				t.Errorf("%s lacks %q", l, k)
			}
		}
	}
}

// TestBrowserAccounts signs in, makes a token and signs out in Chromium:
// real forms, real cookies, and the browser's own Sec-Fetch-Site and Origin
// headers passing the cross-origin protection. axe checks both pages.
func TestBrowserAccounts(t *testing.T) {
	t.Parallel() // in a browser context of its own; see browser
	axe, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	ts := newAuthServer(t, storetest.Engines()[0])
	u := ts.addUser(t, "office@example.ac.jp", partnerhub.RoleCoordinator, "eng")
	ctx := browser(t)
	checkAxe := func(what string) {
		t.Helper()
		for _, v := range runAxe(t, ctx, axe).serious() {
			t.Errorf("%s: %s", what, v)
		}
	}

	// Asked for the account page, the browser is sent to sign in; a wrong
	// password shows its message at the field.
	do(t, ctx, chromedp.Navigate(ts.URL+"/ja/account"))
	arrive(t, ctx, "/ja/signin?next=%2Fja%2Faccount")
	checkAxe("sign-in page")
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), u.Email),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "wrong password"),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
	)
	arrive(t, ctx, "/ja/signin")
	if msg := get(t, ctx, chromedp.Text(chromedp.CSS(`#err-password`))); msg != "メールアドレスまたはパスワードが正しくありません。" {
		t.Fatalf("field message %q", msg)
	}
	checkAxe("sign-in page with an error")
	if v := get(t, ctx, chromedp.Evaluate[string](`document.querySelector('input[name="email"]').value`)); v != u.Email {
		t.Fatalf("the typed address was lost: %q", v)
	}
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
	)
	arrive(t, ctx, "/ja/account")
	checkAxe("account page")

	// A token, made with the form, shown once.
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "import"),
		chromedp.Click(chromedp.CSS(`form.filters button[type="submit"]`)),
	)
	arrive(t, ctx, "/ja/account/tokens")
	tok := get(t, ctx, chromedp.Text(chromedp.CSS(`code.token`)))
	if !rawTokenRE.MatchString(tok) {
		t.Fatalf("token shown: %q", tok)
	}
	checkAxe("account page with a new token")
	do(t, ctx, chromedp.Click(chromedp.CSS(`td form button`)))
	arrive(t, ctx, "/ja/account")
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if ts.srv.user(req) != nil {
		t.Fatal("the token was not revoked")
	}

	// Sign out.
	do(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/ja/signout"] button`)))
	arrive(t, ctx, "/ja/")
	do(t, ctx, chromedp.Navigate(ts.URL+"/ja/account"))
	arrive(t, ctx, "/ja/signin")
}

func TestServerWithoutAccounts(t *testing.T) {
	full := newTestServer(t, storetest.Engines()[0])
	msgs, _ := i18n.Load()
	srv, err := NewServer(context.Background(), Deps{Source: full.db, Home: "utokyo", Messages: msgs})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	ts := &testServer{Server: hs, db: full.db, srv: srv}
	if r := ts.do(t, "GET", "/en/signin"); r.status != 200 {
		t.Fatalf("GET /en/signin: %d", r.status)
	}
	res, err := ts.Client().PostForm(ts.URL+"/ja/signin", signinForm("a@example.ac.jp", testPassword))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "このサーバーではサインインできません。") {
		t.Fatalf("POST /ja/signin: %d\n%s", res.StatusCode, b)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer ph_x")
	if ts.srv.user(req) != nil {
		t.Fatal("a user without accounts")
	}
}
