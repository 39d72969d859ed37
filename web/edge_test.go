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

// testClock is a clock that moves only when a test moves it.
type testClock struct{ ns atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ns.Store(time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC).UnixNano())
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
