package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/store/storetest"
)

// newConfiguredServer is a server on the built-in data (SQLite) with the
// operator's settings that set changes.
func newConfiguredServer(t *testing.T, set func(*Deps)) *Server {
	t.Helper()
	db := storetest.Engines()[0].OpenBuiltin(t)
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	deps := Deps{Source: db, Home: "utokyo", Messages: msgs, Accounts: db, Authenticator: authn.NewPasswords(db), Editor: db, Mobility: db}
	set(&deps)
	srv, err := NewServer(context.Background(), deps)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// serveTo answers one request in process; host is the Host header sent.
func serveTo(srv *Server, method, target, host string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	if host != "" {
		r.Host = host
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	return w
}

// A forged Host changes neither the absolute links of a page (canonical,
// hreflang, og:url) nor the page cache: they come from the base URL.
func TestHostDoesNotReachPagesOrCache(t *testing.T) {
	const base = "https://partners.example.ac.jp"
	srv := newConfiguredServer(t, func(d *Deps) { d.BaseURL = base + "/" })
	const n = 25
	for i := range n {
		host := fmt.Sprintf("evil%d.example", i)
		w := serveTo(srv, "GET", "/en/partners?tier=primary", host, "X-Forwarded-Proto", "http", "X-Forwarded-Host", host)
		if w.Code != 200 {
			t.Fatalf("status %d", w.Code)
		}
		body := w.Body.String()
		for _, want := range []string{
			`<link rel="canonical" href="` + base + `/en/partners?tier=primary">`,
			`hreflang="ja" href="` + base + `/ja/partners?tier=primary"`,
			`hreflang="en" href="` + base + `/en/partners?tier=primary"`,
			`hreflang="x-default" href="` + base + `/"`,
			`<meta property="og:url" content="` + base + `/en/partners?tier=primary">`,
		} {
			if !strings.Contains(body, want) {
				t.Fatalf("Host %s: page lacks %s", host, want)
			}
		}
		if strings.Contains(body, "evil") {
			t.Fatalf("Host %s reached the page", host)
		}
	}
	if got := srv.snap.Load().pages.n.Load(); got != 1 {
		t.Fatalf("after %d requests for one page with distinct Hosts the cache holds %d pages, want 1", n, got)
	}
}

// Without a base URL the links name the default one, still not the Host.
func TestDefaultBaseURL(t *testing.T) {
	srv := newConfiguredServer(t, func(*Deps) {})
	body := serveTo(srv, "GET", "/ja/", "evil.example").Body.String()
	if !strings.Contains(body, `<link rel="canonical" href="`+DefaultBaseURL+`/ja/">`) || strings.Contains(body, "evil.example") {
		t.Fatalf("canonical is not from the default base URL")
	}
}

// X-Forwarded-Proto and X-Forwarded-For are believed from trusted proxies
// only.
func TestTrustedProxies(t *testing.T) {
	req := func(remote string, kv ...string) *http.Request {
		r := httptest.NewRequest("POST", "/", nil)
		r.RemoteAddr = remote
		for i := 0; i+1 < len(kv); i += 2 {
			r.Header.Add(kv[i], kv[i+1])
		}
		return r
	}
	lb := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}
	for _, tc := range []struct {
		name    string
		deps    Deps
		r       *http.Request
		secure  bool
		project string // clientIP
	}{
		{"untrusted peer claims https", Deps{TrustedProxies: lb}, req("198.51.100.7:1", "X-Forwarded-Proto", "https", "X-Forwarded-For", "203.0.113.1"), false, "198.51.100.7"},
		{"trusted proxy says https", Deps{TrustedProxies: lb}, req("10.1.2.3:1", "X-Forwarded-Proto", "https", "X-Forwarded-For", "203.0.113.1"), true, "203.0.113.1"},
		{"private peer not in the list", Deps{TrustedProxies: lb}, req("10.9.0.1:1", "X-Forwarded-Proto", "https", "X-Forwarded-For", "203.0.113.1"), false, "10.9.0.1"},
		{"two trusted hops", Deps{TrustedProxies: lb}, req("10.1.2.3:1", "X-Forwarded-For", "203.0.113.1, 198.51.100.9", "X-Forwarded-For", "10.1.9.9"), false, "198.51.100.9"},
		{"none trusted", Deps{TrustedProxies: []netip.Prefix{}}, req("127.0.0.1:1", "X-Forwarded-Proto", "https", "X-Forwarded-For", "203.0.113.1"), false, "127.0.0.1"},
		{"default: none, not even this machine", Deps{}, req("127.0.0.1:1", "X-Forwarded-Proto", "https", "X-Forwarded-For", "203.0.113.1"), false, "127.0.0.1"},
		{"default: none, not a private network", Deps{}, req("10.0.0.2:1", "X-Forwarded-Proto", "https", "X-Forwarded-For", "203.0.113.1"), false, "10.0.0.2"},
		{"https base URL", Deps{BaseURL: "https://p.example.ac.jp", TrustedProxies: []netip.Prefix{}}, req("198.51.100.7:1"), true, "198.51.100.7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{deps: tc.deps.withDefaults()}
			if got := s.secureRequest(tc.r); got != tc.secure {
				t.Errorf("secure = %v, want %v", got, tc.secure)
			}
			if got := clientIP(tc.r, s.deps.TrustedProxies); got != tc.project {
				t.Errorf("clientIP = %s, want %s", got, tc.project)
			}
		})
	}
}

// The session lifetime and the body limit are the operator's.
func TestConfiguredLimits(t *testing.T) {
	srv := newConfiguredServer(t, func(d *Deps) { d.SessionTTL = 30 * time.Minute; d.MaxBodyBytes = 1000 })
	if _, err := srv.deps.Accounts.(interface {
		CreateUser(context.Context, string, *partnerhub.User, string) (*partnerhub.User, error)
	}).CreateUser(context.Background(), "utokyo", &partnerhub.User{Email: "ttl@example.ac.jp", Name: "TTL", Role: partnerhub.RoleViewer}, testPassword); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/en/signin", strings.NewReader(signinForm("ttl@example.ac.jp", testPassword).Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	var ck *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == sessionCookie {
			ck = c
		}
	}
	if ck == nil || ck.MaxAge < 1790 || ck.MaxAge > 1800 {
		t.Fatalf("session cookie %+v, want Max-Age 1800", ck)
	}

	big := httptest.NewRequest("PUT", "/", strings.NewReader(`{"x": "`+strings.Repeat("a", 2000)+`"}`))
	if _, err := srv.readBody(httptest.NewRecorder(), big); partnerhub.ErrorCode(err) != eTooLarge {
		t.Fatalf("a 2 KB body under a 1,000-byte limit: %v", err)
	}
	small := httptest.NewRequest("PUT", "/", strings.NewReader(`{"x": 1}`))
	if _, err := srv.readBody(httptest.NewRecorder(), small); err != nil {
		t.Fatal(err)
	}
}
