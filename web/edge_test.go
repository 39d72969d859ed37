package web

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// privateNetworks are loopback and the private ranges, as a test's list of
// trusted proxies (nothing is trusted by default).
var privateNetworks = []netip.Prefix{
	netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("fc00::/7"),
}

// testClock is a clock that moves only when a test moves it. It starts at
// the real time, since sessions made at it are checked against that.
type testClock struct{ ns atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}
func (c *testClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// lockedBuffer is a log sink that handlers on several goroutines write.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// edgeServer is a server on a real database with a test clock and a log
// to read; set changes its Deps.
type edgeServer struct {
	srv   *Server
	db    *store.DB
	clock *testClock
	log   *lockedBuffer
}

func newEdgeServer(t *testing.T, e storetest.Engine, set func(*Deps)) *edgeServer {
	t.Helper()
	db := e.OpenBuiltin(t)
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	es := &edgeServer{db: db, clock: newTestClock(), log: &lockedBuffer{}}
	deps := Deps{Source: db, Home: "utokyo", Messages: msgs, Accounts: db, Authenticator: authn.NewPasswords(db), Editor: db, Mobility: db,
		Now: es.clock.Now, Logger: slog.New(slog.NewJSONHandler(es.log, nil))}
	if set != nil {
		set(&deps)
	}
	if es.srv, err = NewServer(context.Background(), deps); err != nil {
		t.Fatal(err)
	}
	return es
}

func (es *edgeServer) addUser(t *testing.T, email string, role partnerhub.Role) *partnerhub.User {
	t.Helper()
	u, err := es.db.CreateUser(context.Background(), "utokyo", &partnerhub.User{Email: email, Name: "Name of " + email, Role: role}, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// serve answers one request in process. target may be absolute (https://…
// is a request over TLS); kv are header name, value pairs, and a
// *http.Cookie in them is sent; form, when not nil, is posted.
func (es *edgeServer) serve(method, target, remote string, form url.Values, kv ...any) *httptest.ResponseRecorder {
	var r *http.Request
	if form != nil {
		r = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	if remote != "" {
		r.RemoteAddr = remote
	}
	for i := 0; i < len(kv); i++ {
		switch h := kv[i].(type) {
		case *http.Cookie:
			r.AddCookie(&http.Cookie{Name: h.Name, Value: h.Value})
		case string:
			r.Header.Add(h, kv[i+1].(string))
			i++
		}
	}
	w := httptest.NewRecorder()
	es.srv.ServeHTTP(w, r)
	return w
}

func cookieNamed(w *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Sign-in throttling over HTTP: 429 with a Retry-After that grows, in the
// reader's language, and the right password once the wait is over.
func TestThrottledSignInOverHTTP(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		es := newEdgeServer(t, e, nil)
		es.addUser(t, "target@example.ac.jp", partnerhub.RoleViewer)
		const attacker = "198.51.100.1:4000"
		for i := range authn.FreeFailures + 1 {
			if w := es.serve("POST", "/en/signin", attacker, signinForm("target@example.ac.jp", fmt.Sprint("guess ", i))); w.Code != http.StatusUnauthorized {
				t.Fatalf("attempt %d: %d", i, w.Code)
			}
		}
		w := es.serve("POST", "/en/signin", attacker, signinForm("target@example.ac.jp", testPassword))
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" || cookieNamed(w, sessionCookie) != nil ||
			!strings.Contains(w.Body.String(), "Too many failed sign-ins to this account from your address. Wait 1 second, then try again.") {
			t.Fatalf("%d Retry-After %q:\n%s", w.Code, w.Header().Get("Retry-After"), w.Body)
		}
		// The owner, elsewhere, is not kept out.
		if w := es.serve("POST", "/en/signin", "192.0.2.10:4000", signinForm("target@example.ac.jp", testPassword)); w.Code != http.StatusSeeOther {
			t.Fatalf("the owner from elsewhere: %d", w.Code)
		}
		es.clock.Advance(time.Second)
		if w := es.serve("POST", "/en/signin", attacker, signinForm("target@example.ac.jp", "guess 9")); w.Code != http.StatusUnauthorized {
			t.Fatalf("after the wait: %d", w.Code)
		}
		w = es.serve("POST", "/ja/signin", attacker, signinForm("target@example.ac.jp", testPassword))
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "2" || !strings.Contains(w.Body.String(), "2秒待ってから") {
			t.Fatalf("%d Retry-After %q:\n%s", w.Code, w.Header().Get("Retry-After"), w.Body)
		}
		es.clock.Advance(2 * time.Second)
		if w := es.serve("POST", "/en/signin", attacker, signinForm("target@example.ac.jp", testPassword)); w.Code != http.StatusSeeOther {
			t.Fatalf("the right password after the wait: %d", w.Code)
		}
	})
}

// X-Forwarded-For is believed from configured proxies only: from anyone
// else, rotating it does not spread the failures over many addresses.
func TestForwardedForOnlyFromTrustedProxies(t *testing.T) {
	attempts := func(t *testing.T, es *edgeServer, remote string) []int {
		var codes []int
		for i := range authn.FreeFailures + 3 {
			w := es.serve("POST", "/en/signin", remote, signinForm("admin@example.ac.jp", "guess"),
				"X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+1))
			codes = append(codes, w.Code)
		}
		return codes
	}
	t.Run("by default no proxy is trusted, not even a private peer", func(t *testing.T) {
		es := newEdgeServer(t, storetest.Engines()[0], nil)
		es.addUser(t, "admin@example.ac.jp", partnerhub.RoleAdmin)
		codes := attempts(t, es, "10.0.0.5:4000")
		if !slices.Contains(codes, http.StatusTooManyRequests) {
			t.Fatalf("rotating X-Forwarded-For escaped throttling: %v", codes)
		}
		if !strings.Contains(es.log.String(), `"ip":"10.0.0.5"`) || strings.Contains(es.log.String(), `203.0.113.`) {
			t.Fatalf("the log names a forged address:\n%s", es.log)
		}
	})
	t.Run("a configured proxy is believed", func(t *testing.T) {
		es := newEdgeServer(t, storetest.Engines()[0], func(d *Deps) { d.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.5/32")} })
		es.addUser(t, "admin@example.ac.jp", partnerhub.RoleAdmin)
		codes := attempts(t, es, "10.0.0.5:4000")
		if slices.Contains(codes, http.StatusTooManyRequests) {
			t.Fatalf("distinct clients behind the proxy were throttled as one: %v", codes)
		}
		// ...and another peer on the same network is not.
		if codes := attempts(t, es, "10.0.0.6:4000"); !slices.Contains(codes, http.StatusTooManyRequests) {
			t.Fatalf("a peer not configured was believed: %v", codes)
		}
		// The proxy's X-Forwarded-Proto makes the answer HSTS and the
		// cookie __Host-; from the other peer it changes nothing.
		w := es.serve("GET", "/en/", "10.0.0.5:4000", nil, "X-Forwarded-Proto", "https")
		if w.Header().Get("Strict-Transport-Security") == "" || cookieNamed(w, secureLangCookie) == nil {
			t.Fatalf("https from the proxy: %v", w.Header())
		}
		w = es.serve("GET", "/en/", "10.0.0.6:4000", nil, "X-Forwarded-Proto", "https")
		if w.Header().Get("Strict-Transport-Security") != "" || cookieNamed(w, langCookie) == nil {
			t.Fatalf("https from another peer: %v", w.Header())
		}
	})
}

const wantCSP = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// Every kind of route answers with the security headers, and whatever
// depends on who is signed in is neither stored nor shared.
func TestSecurityHeadersOnEveryRouteKind(t *testing.T) {
	es := newEdgeServer(t, storetest.Engines()[0], nil)
	es.addUser(t, "viewer@example.ac.jp", partnerhub.RoleViewer)
	w := es.serve("POST", "/en/signin", "", signinForm("viewer@example.ac.jp", testPassword))
	session := cookieNamed(w, sessionCookie)
	if session == nil {
		t.Fatalf("sign-in: %d", w.Code)
	}
	page := es.serve("GET", "/en/partners", "", nil)
	css := es.srv.assets.urlFor["site.css"]

	type want struct {
		status  int
		private bool // Cache-Control: no-store and Vary: Cookie
		etag    bool // a public answer, cached and revalidated
	}
	for _, tc := range []struct {
		name, method, path string
		kv                 []any
		want               want
	}{
		{"public page", "GET", "/en/partners", nil, want{200, false, true}},
		{"cached page, revalidated", "GET", "/en/partners", []any{"If-None-Match", page.Header().Get("Etag")}, want{304, false, true}},
		{"page for a signed-in reader", "GET", "/en/partners", []any{session}, want{200, true, false}},
		{"static asset", "GET", css, nil, want{200, false, false}},
		{"static asset for a signed-in reader", "GET", css, []any{session}, want{200, false, false}},
		{"API list", "GET", "/api/v1/partners", nil, want{200, false, true}},
		{"API list for a signed-in reader", "GET", "/api/v1/partners", []any{session}, want{200, true, true}},
		{"API error", "GET", "/api/v1/partners/nowhere", nil, want{404, true, false}},
		{"API refusal", "POST", "/api/v1/partners", nil, want{401, true, false}},
		{"healthz", "GET", "/healthz", nil, want{200, false, false}},
		{"root 404", "GET", "/nowhere", nil, want{404, false, false}},
		{"download", "GET", "/en/export/partners?format=csv", nil, want{200, true, false}},
		{"download for a signed-in reader", "GET", "/en/export/partners?format=csv", []any{session}, want{200, true, false}},
		{"sign-in page", "GET", "/en/signin", nil, want{200, true, false}},
		{"account page", "GET", "/en/account", []any{session}, want{200, true, false}},
		{"redirect to sign in", "GET", "/en/account", nil, want{303, false, false}},
		{"redirect of the root", "GET", "/", nil, want{302, false, false}},
		{"cross-origin refusal", "POST", "/en/signout", []any{"Sec-Fetch-Site", "cross-site", session}, want{403, true, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := es.serve(tc.method, tc.path, "", nil, tc.kv...)
			h := w.Header()
			if w.Code != tc.want.status {
				t.Fatalf("status %d, want %d", w.Code, tc.want.status)
			}
			if h.Get("Content-Security-Policy") != wantCSP || h.Get("X-Content-Type-Options") != "nosniff" ||
				h.Get("Referrer-Policy") != "same-origin" || h.Get("X-Frame-Options") != "DENY" || h.Get("X-Request-Id") == "" {
				t.Fatalf("security headers missing: %v", h)
			}
			if len(h.Values("Content-Security-Policy")) != 1 {
				t.Fatalf("two policies: %q", h.Values("Content-Security-Policy"))
			}
			if h.Get("Strict-Transport-Security") != "" {
				t.Fatal("HSTS over plain HTTP")
			}
			vary := strings.Join(h.Values("Vary"), ",")
			if strings.HasPrefix(tc.path, "/static/") && (h.Get("Cache-Control") != "public, max-age=31536000, immutable" || vary != "") {
				t.Fatalf("a static file: Cache-Control %q, Vary %q", h.Get("Cache-Control"), vary)
			}
			if tc.want.private && (h.Get("Cache-Control") != "no-store" || !strings.Contains(vary, "Cookie")) {
				t.Fatalf("an answer for one person: Cache-Control %q, Vary %q", h.Get("Cache-Control"), vary)
			}
			if tc.want.etag && !tc.want.private && (h.Get("Etag") == "" || h.Get("Cache-Control") != "no-cache" || !strings.Contains(vary, "Cookie")) {
				t.Fatalf("a public answer: ETag %q, Cache-Control %q, Vary %q", h.Get("Etag"), h.Get("Cache-Control"), vary)
			}
		})
	}

	t.Run("over TLS: HSTS, and __Host- cookies that are Secure", func(t *testing.T) {
		w := es.serve("POST", "https://partners.example.ac.jp/en/signin", "", signinForm("viewer@example.ac.jp", testPassword))
		ck := cookieNamed(w, "__Host-ph_session")
		if w.Code != http.StatusSeeOther || ck == nil || !ck.Secure || !ck.HttpOnly || ck.Path != "/" || ck.Domain != "" || cookieNamed(w, sessionCookie) != nil {
			t.Fatalf("%d, cookies %v", w.Code, w.Result().Cookies())
		}
		if w.Header().Get("Strict-Transport-Security") != "max-age=31536000; includeSubDomains" {
			t.Fatalf("HSTS %q", w.Header().Get("Strict-Transport-Security"))
		}
		if w := es.serve("GET", "https://partners.example.ac.jp/en/account", "", nil, ck); w.Code != 200 {
			t.Fatalf("the __Host- cookie is not read: %d", w.Code)
		}
		// A plain-named cookie, which plain HTTP could have planted, is
		// not read over TLS.
		if w := es.serve("GET", "https://partners.example.ac.jp/en/account", "", nil, &http.Cookie{Name: sessionCookie, Value: ck.Value}); w.Code != http.StatusSeeOther {
			t.Fatalf("a plain cookie was read over TLS: %d", w.Code)
		}
		w = es.serve("GET", "https://partners.example.ac.jp/en/partners", "", nil)
		if lang := cookieNamed(w, "__Host-lang"); lang == nil || !lang.Secure || lang.Path != "/" || lang.Domain != "" {
			t.Fatalf("language cookie %v", w.Result().Cookies())
		}
		if w := es.serve("GET", "https://partners.example.ac.jp/", "", nil, &http.Cookie{Name: "__Host-lang", Value: "ja"}); w.Header().Get("Location") != "/ja/" {
			t.Fatalf("the root ignores the language cookie: %v", w.Header())
		}
		w = es.serve("POST", "https://partners.example.ac.jp/en/signout", "", nil, ck)
		if out := cookieNamed(w, "__Host-ph_session"); out == nil || out.MaxAge >= 0 || !out.Secure {
			t.Fatalf("sign-out clears %v", w.Result().Cookies())
		}
	})
}

// The security log records refusals, failed sign-ins with the account
// tried, sign-in and sign-out, each with the request id sent back in
// X-Request-Id; no password, token or cookie value ever reaches it.
func TestSecurityLog(t *testing.T) {
	es := newEdgeServer(t, storetest.Engines()[0], nil)
	viewer := es.addUser(t, "viewer@example.ac.jp", partnerhub.RoleViewer)
	token, _, err := es.db.CreateToken(context.Background(), viewer.ID, partnerhub.TokenSpec{Name: "script"}, es.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	const wrong = "Tr0ub4dor&3-not-the-password"
	type event struct {
		w      *httptest.ResponseRecorder
		want   []string // what its log line holds
		status int
	}
	var events []event
	add := func(w *httptest.ResponseRecorder, status int, want ...string) {
		events = append(events, event{w, want, status})
	}

	add(es.serve("POST", "/en/signin", "", signinForm("viewer@example.ac.jp", wrong)), 401,
		`"event":"signin_failed"`, `"account":"viewer@example.ac.jp"`, `"ip":"192.0.2.1"`)
	w := es.serve("POST", "/en/signin", "", signinForm("viewer@example.ac.jp", testPassword))
	session := cookieNamed(w, sessionCookie)
	add(w, 303, `"event":"signed_in"`, fmt.Sprintf(`"user":%d`, viewer.ID))
	add(es.serve("POST", "/api/v1/partners", "", nil), 401, `"event":"refused"`, `"status":401`, `"reason":"error.unauthorized"`)
	add(es.serve("DELETE", "/api/v1/partners/ntu?version=1", "", nil, "Authorization", "Bearer "+token), 403, `"event":"refused"`, `"status":403`, fmt.Sprintf(`"user":%d`, viewer.ID))
	add(es.serve("GET", "/en/admin/audit", "", nil, session), 403, `"event":"refused"`, `"status":403`, `"reason":"error.admins_only"`)
	add(es.serve("POST", "/en/signout", "", nil, session, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"), 403,
		`"event":"refused"`, `"reason":"error.cross_origin"`, `"origin":"https://evil.example"`, `"sec_fetch_site":"cross-site"`)
	add(es.serve("DELETE", "/api/v1/partners/ntu", "", nil, "Authorization", "Bearer "+token, "Sec-Fetch-Site", "cross-site"), 403,
		`"event":"refused"`, `"reason":"error.cross_origin"`)
	add(es.serve("POST", "/en/signout", "", nil, session), 303, `"event":"signed_out"`)

	log := es.log.String()
	lines := strings.Split(strings.TrimSpace(log), "\n")
	for i, ev := range events {
		if ev.w.Code != ev.status {
			t.Fatalf("request %d: status %d, want %d", i, ev.w.Code, ev.status)
		}
		id := ev.w.Header().Get("X-Request-Id")
		var line string
		for _, l := range lines {
			if strings.Contains(l, `"request_id":"`+id+`"`) && strings.Contains(l, `"msg":"security"`) {
				line = l
			}
		}
		if id == "" || line == "" {
			t.Fatalf("request %d (%v): no security line with its request id %q in\n%s", i, ev.want, id, log)
		}
		for _, s := range ev.want {
			if !strings.Contains(line, s) {
				t.Errorf("request %d: %s missing from %s", i, s, line)
			}
		}
	}
	for _, secret := range []string{wrong, testPassword, token, session.Value} {
		if strings.Contains(log, secret) {
			t.Fatalf("a secret %q is in the log:\n%s", secret, log)
		}
	}
}
