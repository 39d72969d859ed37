package oidctest

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/mail"
	"partnerhub/sso"
	"partnerhub/store"
	"partnerhub/store/storetest"
	"partnerhub/web"
)

// Hydra listens on two ports of this range (the tests' own; anything else
// listens on a port the system picks).
const firstPort, lastPort = 19400, 19499

var (
	hydraBuild = &Builder{}
	browsers   = &chromium{}
)

func TestMain(m *testing.M) {
	code := m.Run()
	browsers.close()
	hydraBuild.Cleanup()
	os.Exit(code)
}

// site is a partnerhub server whose one OpenID provider is the test's
// Hydra, with what the test reads back: its security log and the
// provider's answers (the callbacks) it received, with their statuses.
type site struct {
	URL  string
	db   *store.DB
	rp   *sso.RelyingParty
	msgs *i18n.Catalogs
	logs *lockedBuffer

	mu        sync.Mutex
	callbacks []callback
}

type callback struct {
	url    string // path and query, as the browser asked
	status int
}

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

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func newSite(t *testing.T, e storetest.Engine, h *Hydra) *site {
	t.Helper()
	db := e.OpenBuiltin(t)
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	client := h.Register(t, base+"/sso/oidc/hydra/callback")
	s := &site{URL: base, db: db, msgs: msgs, logs: &lockedBuffer{}}
	logger := slog.New(slog.NewJSONHandler(s.logs, nil))
	s.rp, err = sso.NewRelyingParty([]sso.OIDCProvider{{ID: "hydra", Name: partnerhub.Text{Ja: "テスト大学", En: "Test University"},
		Issuer: h.Issuer, ClientID: client.ID, ClientSecret: client.Secret, MFA: sso.OIDCMFAACR}}, os.Getenv, nil, logger)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMail(&mail.Composer{Messages: msgs, BaseURL: base})
	srv, err := web.NewServer(context.Background(), web.Deps{Source: db, Home: "utokyo", Messages: msgs, Accounts: db,
		Authenticator: authn.NewPasswords(db), Editor: db, MFA: db, Mail: db, Invitations: db, BaseURL: base,
		Logger: logger, OIDC: s.rp, Federation: db})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/callback") {
			srv.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		srv.ServeHTTP(sw, r)
		s.mu.Lock()
		s.callbacks = append(s.callbacks, callback{url: r.URL.RequestURI(), status: sw.status})
		s.mu.Unlock()
	}))
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)
	return s
}

// lastCallback waits for the provider's answer after the n-th and
// returns it.
func (s *site) lastCallback(t *testing.T, n int) callback {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s.mu.Lock()
		if len(s.callbacks) > n {
			c := s.callbacks[len(s.callbacks)-1]
			s.mu.Unlock()
			return c
		}
		s.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no answer of the provider reached the site")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *site) callbackCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.callbacks)
}

// wantLogged fails unless the security log holds a line with all of
// parts.
func (s *site) wantLogged(t *testing.T, parts ...string) {
	t.Helper()
	for _, line := range strings.Split(s.logs.String(), "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return
		}
	}
	t.Errorf("the log has no line with %q:\n%s", parts, s.logs.String())
}

// TestOIDCWithHydra signs in through a real OpenID provider, Ory Hydra,
// in Chromium, on both engines: a sign-in declined at the provider, a
// forged state, a token whose nonce is another sign-in's, a tampered and
// a replayed callback are each refused with a page that says why in both
// languages, and logged; an identity nobody invited gets no access.
func TestOIDCWithHydra(t *testing.T) {
	chromePath := chromiumPath(t)
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs Ory Hydra: no go command to build it")
	}
	bin, took, err := hydraBuild.Build()
	if err != nil {
		t.Skipf("needs Ory Hydra, which could not be built: %v", err)
	}
	t.Logf("hydra built in %v", took.Round(time.Millisecond))
	h := Start(t, bin, firstPort, lastPort)
	h.AddUser(User{Subject: "stranger-7f3a", Claims: map[string]any{"email": "stranger@partner.example", "email_verified": true,
		"name": "Sam Stranger", "eduperson_affiliation": []string{"member", "staff"}}})
	// Invited, one for each engine; the provider vouches for a second
	// factor (REFEDS MFA), which this relying party believes of it.
	for _, e := range storetest.Engines() {
		h.AddUser(User{Subject: "ayaka-" + e.Name, ACR: sso.REFEDSMFA, Claims: map[string]any{"email": "ayaka." + e.Name + "@partner.example",
			"email_verified": true, "name": "Ayaka Mori", "name#ja": "森 彩花", "eduperson_scoped_affiliation": []string{"faculty@partner.example"},
			"eduperson_affiliation": []string{"faculty", "member"}, "schac_home_organization": "partner.example"}})
	}

	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, h)
		en, ja := s.msgs.Printer(partnerhub.English), s.msgs.Printer(partnerhub.Japanese)
		// wantRefused checks the page of a refused sign-in: the reason in
		// English, then in Japanese, and the way back to sign in.
		wantRefused := func(t *testing.T, ctx context.Context, key string, args ...any) {
			t.Helper()
			do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`section.sso-failed`)))
			text := get(t, ctx, chromedp.Text(chromedp.CSS("main")))
			for _, want := range []string{en.T("sso_oidc.failed_title", "Test University"), en.T(key, args...),
				ja.T("sso_oidc.failed_title", "テスト大学"), ja.T(key, args...), en.T("sso_oidc.again")} {
				if !strings.Contains(text, want) {
					t.Errorf("the page lacks %q:\n%s", want, text)
				}
			}
		}
		start := func(t *testing.T, ctx context.Context, next string) {
			t.Helper()
			do(t, ctx, chromedp.Navigate(s.URL+"/sso/oidc/hydra?next="+url.QueryEscape(next)),
				chromedp.WaitVisible(chromedp.CSS(`input[name="subject"]`)))
		}
		login := func(t *testing.T, ctx context.Context, subject, action string) {
			t.Helper()
			if subject != "" {
				do(t, ctx, chromedp.SetValue(chromedp.CSS(`input[name="subject"]`), subject))
			}
			do(t, ctx, chromedp.Click(chromedp.CSS(`button[value="`+action+`"]`)))
		}

		t.Run("linked by invitation", func(t *testing.T) {
			ctx := context.Background()
			admin, err := s.db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "office-" + e.Name + "@example.ac.jp", Name: "Office",
				Role: partnerhub.RoleAdmin}, "a long and secret passphrase")
			if err != nil {
				t.Fatal(err)
			}
			// The office invites by an address the provider need not know.
			invited := "mori-" + e.Name + "@partner.example"
			inv, err := s.db.Invite(ctx, admin, "utokyo", partnerhub.InvitationSpec{Email: invited, Name: "Ayaka Mori",
				Lang: partnerhub.English, Role: partnerhub.RoleViewer}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			b := browser(t, chromePath)
			do(t, b, chromedp.Navigate(s.URL+"/en/invitations/"+inv.Token),
				chromedp.Click(chromedp.CSS(`section.sso-choices form button`)))
			tctx, cancel := context.WithTimeout(b, 20*time.Second)
			err = chromedp.Do(tctx, chromedp.WaitVisible(chromedp.CSS(`input[name="subject"]`)))
			cancel()
			if err != nil {
				loc, _ := chromedp.Run(b, chromedp.Location())
				html, _ := chromedp.Run(b, chromedp.OuterHTML(chromedp.CSS("body")))
				t.Fatalf("the invitation's choice did not reach the provider's login (%v): at %s\n%s", err, loc, html)
			}
			n := s.callbackCount()
			login(t, b, "ayaka-"+e.Name, "accept")
			if c := s.lastCallback(t, n); c.status != http.StatusSeeOther {
				t.Fatalf("callback %+v, want a redirect to the account", c)
			}
			do(t, b, chromedp.WaitVisible(chromedp.CSS(`footer`)))
			if loc := get(t, b, chromedp.Location()); !strings.HasSuffix(loc, "/en/account") {
				t.Fatalf("landed at %s, want the account page", loc)
			}
			if text := get(t, b, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(text, invited) {
				t.Errorf("the account page does not show %s:\n%s", invited, text)
			}
			u, err := s.db.UserByEmail(ctx, invited)
			if err != nil {
				t.Fatal(err)
			}
			if u.Role != partnerhub.RoleViewer {
				t.Errorf("the invited account has role %q, want the invitation's viewer", u.Role)
			}
			ids, err := s.db.FederatedIdentities(ctx, u.ID)
			if err != nil || len(ids) != 1 || ids[0].Protocol != sso.OIDC || ids[0].Provider != h.Issuer || ids[0].Subject != "ayaka-"+e.Name {
				t.Errorf("identities %+v (%v), want the Hydra subject linked", ids, err)
			}
			s.wantLogged(t, `"event":"oidc_verified"`, `"subject":"ayaka-`+e.Name+`"`, `"mfa":true`)

			// Later, from the sign-in page, in another browser: the linked
			// identity signs in to the same account.
			b = browser(t, chromePath)
			do(t, b, chromedp.Navigate(s.URL+"/en/signin"),
				chromedp.Click(chromedp.CSS(`section.sso-choices a`)),
				chromedp.WaitVisible(chromedp.CSS(`input[name="subject"]`)))
			login(t, b, "ayaka-"+e.Name, "accept")
			do(t, b, chromedp.WaitVisible(chromedp.CSS(`footer`)))
			deadline := time.Now().Add(20 * time.Second)
			for {
				loc := get(t, b, chromedp.Location())
				if strings.HasSuffix(loc, "/en/account") {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("signed in again, landed at %s", loc)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if text := get(t, b, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(text, invited) {
				t.Errorf("signed in again, the account page does not show %s", invited)
			}
		})

		t.Run("declined at the provider", func(t *testing.T) {
			ctx := browser(t, chromePath)
			n := s.callbackCount()
			start(t, ctx, "/en/account")
			login(t, ctx, "", "deny")
			if c := s.lastCallback(t, n); c.status != http.StatusForbidden || !strings.Contains(c.url, "error=access_denied") {
				t.Errorf("callback %+v, want access_denied answered 403", c)
			}
			wantRefused(t, ctx, "sso_oidc.provider.access_denied")
			s.wantLogged(t, `"event":"oidc_refused"`, `"reason":"provider:access_denied"`)
		})

		t.Run("a forged state", func(t *testing.T) {
			ctx := browser(t, chromePath)
			start(t, ctx, "/ja/account")
			n := s.callbackCount()
			do(t, ctx, chromedp.Navigate(s.URL+"/sso/oidc/hydra/callback?code=forged&state=forged"))
			if c := s.lastCallback(t, n); c.status != http.StatusBadRequest {
				t.Errorf("callback %+v, want 400", c)
			}
			wantRefused(t, ctx, "sso_oidc.reason.state")
			// In the language the sign-in began in: Japanese first.
			if h1 := get(t, ctx, chromedp.Text(chromedp.CSS("h1"))); h1 != ja.T("sso_oidc.failed_title", "テスト大学") {
				t.Errorf("h1 %q, want the Japanese title", h1)
			}
			s.wantLogged(t, `"event":"oidc_refused"`, `"reason":"state"`)
		})

		t.Run("an ID token of another sign-in's nonce", func(t *testing.T) {
			ctx := browser(t, chromePath)
			start(t, ctx, "/en/account")
			// The flow the browser holds is swapped for one that expects
			// another nonce; Hydra signs the token with the one it was
			// sent.
			f := s.openFlow(t, ctx)
			f.Nonce = "another-sign-in"
			s.setFlow(t, ctx, f)
			n := s.callbackCount()
			login(t, ctx, "stranger-7f3a", "accept")
			if c := s.lastCallback(t, n); c.status != http.StatusBadRequest {
				t.Errorf("callback %+v, want 400", c)
			}
			wantRefused(t, ctx, "sso_oidc.reason.nonce")
			s.wantLogged(t, `"event":"oidc_refused"`, `"reason":"nonce"`)
		})

		t.Run("an unknown identity, then its callback tampered and replayed", func(t *testing.T) {
			ctx := browser(t, chromePath)
			start(t, ctx, "/en/account")
			flow := s.flowCookie(t, ctx)
			n := s.callbackCount()
			login(t, ctx, "stranger-7f3a", "accept")
			done := s.lastCallback(t, n)
			// Verified, then refused by the rules of who gets in: no
			// session, nothing beyond the public pages.
			if done.status != http.StatusForbidden {
				t.Errorf("an unknown identity's callback answered %d, want 403", done.status)
			}
			s.wantLogged(t, `"event":"oidc_verified"`, `"subject":"stranger-7f3a"`)
			s.wantLogged(t, `"event":"sso_no_access"`, `"subject":"stranger-7f3a"`)
			if text := get(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(text, en.T("sso.noaccess_title")) ||
				!strings.Contains(text, ja.T("sso.noaccess_title")) {
				t.Errorf("an unknown identity's page:\n%s", text)
			}
			do(t, ctx, chromedp.Navigate(s.URL+"/en/account"))
			if loc := get(t, ctx, chromedp.Location()); !strings.Contains(loc, "/en/signin") {
				t.Errorf("an unknown identity reached %s", loc)
			}

			// The same answer again: the flow ended with the first.
			n = s.callbackCount()
			do(t, ctx, chromedp.Navigate(s.URL+done.url))
			if c := s.lastCallback(t, n); c.status != http.StatusBadRequest {
				t.Errorf("replayed callback %+v, want 400", c)
			}
			wantRefused(t, ctx, "sso_oidc.reason.no_flow")
			s.wantLogged(t, `"event":"oidc_refused"`, `"reason":"no_flow"`)

			// Even with the flow's cookie put back, Hydra redeems a code
			// once.
			s.setCookie(t, ctx, flow)
			n = s.callbackCount()
			do(t, ctx, chromedp.Navigate(s.URL+done.url))
			if c := s.lastCallback(t, n); c.status != http.StatusBadRequest {
				t.Errorf("replayed code %+v, want 400", c)
			}
			wantRefused(t, ctx, "sso_oidc.reason.code_refused")
			s.wantLogged(t, `"event":"oidc_refused"`, `"reason":"code_refused"`)

			// A code changed on the way is no code of Hydra's.
			s.setCookie(t, ctx, flow)
			u, _ := url.Parse(done.url)
			q := u.Query()
			q.Set("code", q.Get("code")+"x")
			u.RawQuery = q.Encode()
			n = s.callbackCount()
			do(t, ctx, chromedp.Navigate(s.URL+u.RequestURI()))
			if c := s.lastCallback(t, n); c.status != http.StatusBadRequest {
				t.Errorf("tampered code %+v, want 400", c)
			}
			wantRefused(t, ctx, "sso_oidc.reason.code_refused")
		})
	})
}

// flowCookie is the sign-in's flow cookie the browser holds.
func (s *site) flowCookie(t *testing.T, ctx context.Context) string {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{s.URL + "/"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cookies {
		if c.Name == "ph_oidc" {
			return c.Value
		}
	}
	t.Fatal("the browser holds no flow cookie")
	return ""
}

func (s *site) setCookie(t *testing.T, ctx context.Context, value string) {
	t.Helper()
	httpOnly := true
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: "ph_oidc", Value: value, URL: s.URL + "/",
		Path: "/", HTTPOnly: &httpOnly}); err != nil {
		t.Fatal(err)
	}
}

func (s *site) openFlow(t *testing.T, ctx context.Context) sso.Flow {
	t.Helper()
	f, err := s.rp.Client("hydra").Open(s.flowCookie(t, ctx), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (s *site) setFlow(t *testing.T, ctx context.Context, f sso.Flow) {
	t.Helper()
	v, err := s.rp.Client("hydra").Seal(f)
	if err != nil {
		t.Fatal(err)
	}
	s.setCookie(t, ctx, v)
}
