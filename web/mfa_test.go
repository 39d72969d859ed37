package web

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/store/storetest"
)

// logBuffer keeps what a server logs, for a test to read between requests.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newMFAServer is newAuthServer with second factors. base, when not "",
// is the site's base URL, and the server listens at its port on
// 127.0.0.1 (WebAuthn needs a host name: http://localhost:port).
func newMFAServer(t *testing.T, e storetest.Engine, base string, ln net.Listener) *authServer {
	t.Helper()
	ts, _ := newMFAServerLog(t, e, base, ln)
	return ts
}

// newMFAServerLog is newMFAServer, and what it logs.
func newMFAServerLog(t *testing.T, e storetest.Engine, base string, ln net.Listener) (*authServer, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	db := e.OpenBuiltin(t)
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(context.Background(), Deps{Source: db, Home: "utokyo", Messages: msgs, Accounts: db,
		Authenticator: authn.NewPasswords(db), Editor: db, Mobility: db, MFA: db, BaseURL: base,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	if ln != nil {
		ts.Listener.Close()
		ts.Listener = ln
	}
	ts.Start()
	t.Cleanup(ts.Close)
	return &authServer{Server: ts, db: db, srv: srv}, logs
}

// replyCookie is the cookie of a name a reply sets, or nil.
func replyCookie(r reply, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == name && c.MaxAge >= 0 {
			return c
		}
	}
	return nil
}

// enrolTOTP sets up an authenticator app for the holder of session and
// returns its secret, the code that confirmed it and the recovery codes
// shown.
func (ts *authServer) enrolTOTP(t *testing.T, session *http.Cookie, u *partnerhub.User) (string, string, []string) {
	t.Helper()
	wantRedirect(t, ts.send(t, "POST", "/en/account/mfa/totp", url.Values{}, session), "/en/account/mfa#totp")
	secret, err := ts.db.PendingTOTP(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	page := ts.send(t, "GET", "/en/account/mfa", nil, session)
	wantPage(t, page, http.StatusOK, "Scan this QR code", groupSecret(secret))
	if qr := ts.send(t, "GET", "/en/account/mfa/totp.png", nil, session); qr.status != http.StatusOK ||
		qr.header.Get("Content-Type") != "image/png" || !strings.HasPrefix(qr.body, "\x89PNG") {
		t.Fatalf("QR code: %d %s", qr.status, qr.header.Get("Content-Type"))
	}
	wantPage(t, ts.send(t, "POST", "/en/account/mfa/totp/confirm", url.Values{"code": {"000000"}}, session), http.StatusBadRequest, "That code is not right")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r := ts.send(t, "POST", "/en/account/mfa/totp/confirm", url.Values{"code": {code}}, session)
	wantPage(t, r, http.StatusOK, "Your authenticator app is set up", "will not be shown again")
	codes := regexp.MustCompile(`<code>((?:[0-9A-Z]{4}-){5}[0-9A-Z]{4})</code>`).FindAllStringSubmatch(r.body, -1)
	if len(codes) != authn.RecoveryCodeCount {
		t.Fatalf("%d recovery codes shown, want %d", len(codes), authn.RecoveryCodeCount)
	}
	var out []string
	for _, c := range codes {
		out = append(out, c[1])
	}
	return secret, code, out
}

// passwordStep signs in with the password and returns the second step's
// cookie; it checks that no session exists yet.
func (ts *authServer) passwordStep(t *testing.T, email string) *http.Cookie {
	t.Helper()
	r := ts.send(t, "POST", "/en/signin", signinForm(email, testPassword, "next", "/en/account"))
	wantRedirect(t, r, "/en/signin/factor?next=%2Fen%2Faccount")
	if r.cookie() != nil {
		t.Fatal("a session after the password alone")
	}
	ck := replyCookie(r, signinCookie)
	if ck == nil || !ck.HttpOnly || ck.MaxAge <= 0 || ck.MaxAge > int(ceremonyTTL.Seconds()) {
		t.Fatalf("second-step cookie %+v", ck)
	}
	return ck
}

// factorStep sends a code to the second step.
func (ts *authServer) factorStep(t *testing.T, step *http.Cookie, code string) reply {
	t.Helper()
	return ts.send(t, "POST", "/en/signin/factor", url.Values{"code": {code}, "next": {"/en/account"}}, step)
}

func TestTOTPSignin(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ts, logs := newMFAServerLog(t, e, "", nil)
		u := ts.addUser(t, "coord@example.ac.jp", partnerhub.RoleCoordinator, "agr")
		session := ts.signIn(t, u.Email) // no factor yet: one step
		secret, used, codes := ts.enrolTOTP(t, session, u)
		ts.send(t, "POST", "/en/signout", url.Values{}, session)

		step := ts.passwordStep(t, u.Email)
		wantPage(t, ts.send(t, "GET", "/en/signin/factor", nil, step), http.StatusOK, "Code from your app, or a recovery code")
		// The second step's cookie is no session.
		wantRedirect(t, ts.send(t, "GET", "/en/account", nil, step), "/en/signin?next=%2Fen%2Faccount")
		// The code that confirmed the app was used: refused (replay).
		r := ts.factorStep(t, step, used)
		wantPage(t, r, http.StatusUnauthorized, "already been used")
		if r.cookie() != nil {
			t.Fatal("a session for a used code")
		}
		// The next period's code is accepted, once.
		next, _ := totp.GenerateCode(secret, time.Now().Add(authn.TOTPPeriod))
		r = ts.factorStep(t, step, next)
		wantRedirect(t, r, "/en/account")
		s2 := r.cookie()
		if s2 == nil {
			t.Fatal("no session after the second step")
		}
		wantPage(t, ts.send(t, "GET", "/en/account", nil, s2), http.StatusOK, u.Email)
		// The ceremony is spent with it.
		wantRedirect(t, ts.factorStep(t, step, next), "/en/signin?next=%2Fen%2Faccount")
		step = ts.passwordStep(t, u.Email)
		wantPage(t, ts.factorStep(t, step, next), http.StatusUnauthorized, "already been used")

		// A recovery code works once, typed in lower case with spaces.
		typed := strings.ToLower(strings.ReplaceAll(codes[3], "-", " "))
		wantRedirect(t, ts.factorStep(t, step, typed), "/en/account")
		step = ts.passwordStep(t, u.Email)
		wantPage(t, ts.factorStep(t, step, codes[3]), http.StatusUnauthorized, "not right")
		if f, _ := ts.db.Factors(context.Background(), u.ID); f.RecoveryLeft != authn.RecoveryCodeCount-1 {
			t.Fatalf("%d recovery codes left", f.RecoveryLeft)
		}

		// The security log tells what happened, and holds no secret.
		log := logs.String()
		for _, event := range []string{"event=mfa_factor_added", "event=mfa_recovery_regenerated", "event=signin_second_step",
			"event=mfa_failed", "event=mfa_recovery_used", "factor=totp", "factor=recovery"} {
			if !strings.Contains(log, event) {
				t.Errorf("the log has no %s", event)
			}
		}
		for _, secretText := range append([]string{secret}, codes...) {
			if strings.Contains(log, secretText) {
				t.Errorf("the log holds a secret: %s", secretText)
			}
		}
	})
}

func TestSecondStepThrottling(t *testing.T) {
	ts := newMFAServer(t, storetest.Engines()[0], "", nil)
	u := ts.addUser(t, "coord@example.ac.jp", partnerhub.RoleCoordinator, "agr")
	session := ts.signIn(t, u.Email)
	secret, _, _ := ts.enrolTOTP(t, session, u)

	// MaxCodeFailures wrong codes end the ceremony: back to the password.
	step := ts.passwordStep(t, u.Email)
	for i := 1; i < authn.MaxCodeFailures; i++ {
		wantPage(t, ts.factorStep(t, step, "111111"), http.StatusUnauthorized, "not right")
	}
	wantPage(t, ts.factorStep(t, step, "111111"), http.StatusUnauthorized, "Too many wrong codes")
	good, _ := totp.GenerateCode(secret, time.Now().Add(authn.TOTPPeriod))
	wantRedirect(t, ts.factorStep(t, step, good), "/en/signin?next=%2Fen%2Faccount")

	// Across ceremonies, MaxCodeFailuresPerUser wrong codes of the user within
	// the window refuse even a right code, though the password was right.
	step = ts.passwordStep(t, u.Email)
	for i := authn.MaxCodeFailures; i < authn.MaxCodeFailuresPerUser; i++ {
		wantPage(t, ts.factorStep(t, step, "222222"), http.StatusUnauthorized, "not right")
	}
	step = ts.passwordStep(t, u.Email)
	r := ts.factorStep(t, step, good)
	wantPage(t, r, http.StatusTooManyRequests, "Too many")
	if r.cookie() != nil {
		t.Fatal("a session while throttled")
	}
}

func TestAdminMustEnrol(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ts := newMFAServer(t, e, "", nil)
		ctx := context.Background()
		admin := ts.addUser(t, "admin@example.ac.jp", partnerhub.RoleAdmin)
		coord := ts.addUser(t, "coord@example.ac.jp", partnerhub.RoleCoordinator, "agr")
		session := ts.signIn(t, admin.Email)
		raw, _, err := ts.db.CreateToken(ctx, admin.ID, partnerhub.TokenSpec{Name: "script", Scope: partnerhub.ScopeWrite}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		bearer := []any{"Authorization", "Bearer " + raw}

		// Held: every private page, the account page and the API.
		for _, p := range []string{"/en/admin/audit", "/ja/edit/activity/new", "/en/account", "/en/mobility/import"} {
			wantRedirect(t, ts.send(t, "GET", p, nil, session), "/"+p[1:3]+"/account/mfa")
		}
		wantRedirect(t, ts.send(t, "POST", "/en/account/tokens", url.Values{"name": {"x"}}, session), "/en/account/mfa")
		for _, p := range []string{"/api/v1/audit", "/api/v1/partners"} {
			r := ts.send(t, "GET", p, nil, bearer...)
			if r.status != http.StatusForbidden || !strings.Contains(r.body, "must set up two-step sign-in") {
				t.Fatalf("%s by an admin without a factor: %d %s", p, r.status, r.body)
			}
		}
		wantPage(t, ts.send(t, "GET", "/en/account/mfa", nil, session), http.StatusOK, "Administrators must sign in in two steps")
		// Others are not held.
		cs := ts.signIn(t, coord.Email)
		wantPage(t, ts.send(t, "GET", "/en/account", nil, cs), http.StatusOK, coord.Email)
		if r := ts.send(t, "GET", "/api/v1/partners", nil, "Authorization", "Bearer nonsense"); r.status == http.StatusForbidden {
			t.Fatalf("a bad token is held by the gate: %s", r.body)
		}

		// Once enrolled, the admin goes everywhere.
		ts.enrolTOTP(t, session, admin)
		wantPage(t, ts.send(t, "GET", "/en/admin/audit", nil, session), http.StatusOK)
		if r := ts.send(t, "GET", "/api/v1/audit", nil, bearer...); r.status != http.StatusOK {
			t.Fatalf("API after enrolment: %d %s", r.status, r.body)
		}
		// And cannot remove the last factor, even with the password.
		wantPage(t, ts.send(t, "POST", "/en/account/mfa/totp/remove", url.Values{"password": {testPassword}}, session), http.StatusConflict, "at least one way")
		if f, _ := ts.db.Factors(ctx, admin.ID); !f.TOTP {
			t.Fatal("the last factor was removed")
		}
		// A coordinator can, with a current code, not with nothing or a
		// wrong password.
		secret, _, _ := ts.enrolTOTP(t, cs, coord)
		wantPage(t, ts.send(t, "POST", "/en/account/mfa/totp/remove", url.Values{}, cs), http.StatusBadRequest, "enter a current code")
		wantPage(t, ts.send(t, "POST", "/en/account/mfa/totp/remove", url.Values{"password": {"wrong password!"}}, cs), http.StatusBadRequest)
		if f, _ := ts.db.Factors(ctx, coord.ID); !f.TOTP {
			t.Fatal("removed without proof")
		}
		code, _ := totp.GenerateCode(secret, time.Now().Add(authn.TOTPPeriod))
		wantRedirect(t, ts.send(t, "POST", "/en/account/mfa/totp/remove", url.Values{"code": {code}}, cs), "/en/account/mfa#totp")
		if f, _ := ts.db.Factors(ctx, coord.ID); f.Any() || f.RecoveryLeft != 0 {
			t.Fatalf("after removal: %+v", f)
		}
	})
}

// TestPasskeyCeremonyGuards: the JSON steps of a passkey's registration
// need the session, refuse other sites, check the name, and name the
// relying party after the base URL, never the request's Host.
func TestPasskeyCeremonyGuards(t *testing.T) {
	ts := newMFAServer(t, storetest.Engines()[0], "https://partners.example.ac.jp", nil)
	u := ts.addUser(t, "coord@example.ac.jp", partnerhub.RoleCoordinator, "agr")
	session := ts.signIn(t, u.Email)
	begin := func(body string, header ...any) reply {
		t.Helper()
		req, err := http.NewRequest("POST", ts.URL+"/en/account/mfa/passkeys/begin", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Host = "evil.example"
		for i := 0; i < len(header); i++ {
			switch h := header[i].(type) {
			case *http.Cookie:
				req.AddCookie(h)
			case string:
				req.Header.Set(h, header[i+1].(string))
				i++
			}
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(res.Body)
		return reply{res.StatusCode, res.Header, b.String()}
	}
	if r := begin(`{"name":"Key"}`); r.status != http.StatusUnauthorized {
		t.Fatalf("without a session: %d %s", r.status, r.body)
	}
	if r := begin(`{"name":"Key"}`, &http.Cookie{Name: session.Name, Value: session.Value}, "Sec-Fetch-Site", "cross-site"); r.status != http.StatusForbidden {
		t.Fatalf("from another site: %d %s", r.status, r.body)
	}
	if r := begin(`{"name":"  "}`, &http.Cookie{Name: session.Name, Value: session.Value}); r.status != http.StatusBadRequest || !strings.Contains(r.body, "This field is required") {
		t.Fatalf("without a name: %d %s", r.status, r.body)
	}
	r := begin(`{"name":"Key"}`, &http.Cookie{Name: session.Name, Value: session.Value}, "Sec-Fetch-Site", "same-origin")
	// Over HTTPS (the base URL says so) the ceremony's cookie is __Host- named.
	if r.status != http.StatusOK || !strings.Contains(r.body, `"rp":{"name":"partnerhub","id":"partners.example.ac.jp"}`) ||
		r.header.Get("Cache-Control") != "no-store" || replyCookie(r, "__Host-"+registerCookie) == nil {
		t.Fatalf("begin: %d %v %s", r.status, r.header, r.body)
	}
}
