package web

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/store/storetest"
)

// newReauthServer is newMFAServerLog with a clock the test moves and a
// setting of who must enrol a second factor.
func newReauthServer(t *testing.T, e storetest.Engine, required partnerhub.MFARequired, clock *testClock) (*authServer, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	db := e.OpenBuiltin(t)
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(context.Background(), Deps{Source: db, Home: "utokyo", Messages: msgs, Accounts: db,
		Authenticator: authn.NewPasswords(db), Editor: db, Mobility: db, MFA: db, BaseURL: "https://partners.example.ac.jp",
		MFARequired: required, Now: clock.Now, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &authServer{Server: ts, db: db, srv: srv}, logs
}

// ceremonyPost posts a JSON step of a passkey's registration with a
// session, in a language.
func (ts *authServer) ceremonyPost(t *testing.T, path, body string, session *http.Cookie, lang string) reply {
	t.Helper()
	req, err := http.NewRequest("POST", ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", lang)
	req.AddCookie(&http.Cookie{Name: session.Name, Value: session.Value})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return reply{res.StatusCode, res.Header, b.String()}
}

// TestMFARequired: with everyone (serve's default), a coordinator and a
// viewer without a second factor are held at enrolment like an
// administrator, pages and API alike, until they enrol; with admins only
// (the zero value), they are not.
func TestMFARequired(t *testing.T) {
	e := storetest.Engines()[0]
	for _, tc := range []struct {
		name     string
		required partnerhub.MFARequired
		held     bool
	}{{"everyone", partnerhub.MFAEveryone, true}, {"admins", partnerhub.MFAAdmins, false}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			ts, _ := newReauthServer(t, e, tc.required, newTestClock())
			for _, u := range []*partnerhub.User{
				ts.addUser(t, "coord@example.ac.jp", partnerhub.RoleCoordinator, "agr"),
				ts.addUser(t, "viewer@example.ac.jp", partnerhub.RoleViewer),
			} {
				session := ts.signIn(t, u.Email)
				raw, _, err := ts.db.CreateToken(ctx, u.ID, partnerhub.TokenSpec{Name: "script", Scope: partnerhub.ScopeRead}, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				api := ts.send(t, "GET", "/api/v1/partners", nil, "Authorization", "Bearer "+raw)
				if !tc.held {
					wantPage(t, ts.send(t, "GET", "/en/account", nil, session), http.StatusOK, u.Email)
					if api.status != http.StatusOK {
						t.Fatalf("%s by API, not held: %d %s", u.Email, api.status, api.body)
					}
					continue
				}
				wantRedirect(t, ts.send(t, "GET", "/en/account", nil, session), "/en/account/mfa")
				wantRedirect(t, ts.send(t, "GET", "/ja/account/sessions", nil, session), "/ja/account/mfa")
				if api.status != http.StatusForbidden || !strings.Contains(api.body, "You must set up two-step sign-in") {
					t.Fatalf("%s by API, held: %d %s", u.Email, api.status, api.body)
				}
				wantPage(t, ts.send(t, "GET", "/en/account/mfa", nil, session), http.StatusOK, "Everyone must sign in in two steps")
				wantPage(t, ts.send(t, "GET", "/ja/account/mfa", nil, session), http.StatusOK, "全員に2段階認証が必須です")
				ts.enrolTOTP(t, session, u)
				wantPage(t, ts.send(t, "GET", "/en/account", nil, session), http.StatusOK, u.Email)
				if r := ts.send(t, "GET", "/api/v1/partners", nil, "Authorization", "Bearer "+raw); r.status != http.StatusOK {
					t.Fatalf("%s by API after enrolling: %d %s", u.Email, r.status, r.body)
				}
				// Nor may they remove their last factor.
				wantPage(t, ts.send(t, "POST", "/en/account/mfa/totp/remove", url.Values{"password": {testPassword}}, session),
					http.StatusConflict, "at least one way")
			}
		})
	}
}

// TestReauthentication: ten minutes after the sign-in, changing a second
// factor (adding or removing an app or a passkey, new recovery codes) and
// ending sessions are sent to the confirm page and change nothing; the
// JSON steps of a passkey's registration answer 403. A wrong password
// there is refused at the field, in either language, and counted; the
// right one lets the user act for ten minutes.
func TestReauthentication(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		clock := newTestClock()
		ts, logs := newReauthServer(t, e, partnerhub.MFAAdmins, clock)
		u := ts.addUser(t, "coord@example.ac.jp", partnerhub.RoleCoordinator, "agr")
		session := ts.signIn(t, u.Email)
		other := ts.signIn(t, u.Email)
		// Just signed in: no question asked.
		wantPage(t, ts.send(t, "GET", "/en/account/sessions", nil, session), http.StatusOK)
		secret, _, codes := ts.enrolTOTP(t, session, u)
		pk, err := ts.db.AddPasskey(ctx, partnerhub.Passkey{UserID: u.ID, Name: "Laptop", CredentialID: []byte("cred-1"),
			Credential: []byte(`{}`), CreatedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		list, err := ts.db.Sessions(ctx, u.ID, session.Value, time.Now())
		if err != nil || len(list) != 2 {
			t.Fatalf("sessions %+v %v", list, err)
		}
		otherID := list[0].ID
		if list[0].Current {
			otherID = list[1].ID
		}

		clock.Advance(reauthWindow + time.Minute)
		toMFA, toSessions := "/en/account/confirm?next=%2Fen%2Faccount%2Fmfa", "/en/account/confirm?next=%2Fen%2Faccount%2Fsessions"
		code, _ := totp.GenerateCode(secret, time.Now().Add(authn.TOTPPeriod))
		for _, c := range []struct {
			method, path string
			form         url.Values
			to           string
		}{
			{"GET", "/en/account/mfa", nil, toMFA},
			{"GET", "/en/account/sessions", nil, toSessions},
			{"POST", "/en/account/mfa/totp/remove", url.Values{"code": {code}}, toMFA},
			{"POST", "/en/account/mfa/totp/remove", url.Values{"password": {testPassword}}, toMFA},
			{"POST", "/en/account/mfa/totp", url.Values{}, toMFA},
			{"POST", "/en/account/mfa/totp/confirm", url.Values{"code": {code}}, toMFA},
			{"POST", "/en/account/mfa/recovery", url.Values{}, toMFA},
			{"POST", "/en/account/mfa/passkeys/" + strconv.FormatInt(pk.ID, 10) + "/remove", url.Values{}, toMFA},
			{"POST", "/en/account/sessions/" + otherID + "/end", url.Values{}, toSessions},
			{"POST", "/en/account/sessions/end-others", url.Values{}, toSessions},
			{"POST", "/ja/account/sessions/end-others", url.Values{}, "/ja/account/confirm?next=%2Fja%2Faccount%2Fsessions"},
		} {
			wantRedirect(t, ts.send(t, c.method, c.path, c.form, session), c.to)
		}
		for _, lang := range []struct{ accept, want string }{{"en", "confirm your password"}, {"ja", "パスワードを確認してください"}} {
			for _, step := range []string{"begin", "finish"} {
				r := ts.ceremonyPost(t, "/"+lang.accept+"/account/mfa/passkeys/"+step, `{"name":"Key"}`, session, lang.accept)
				if r.status != http.StatusForbidden || !strings.Contains(r.body, lang.want) {
					t.Fatalf("passkey %s, %s: %d %s", step, lang.accept, r.status, r.body)
				}
			}
		}
		// Nothing changed: the app, its secret, the passkey, the old
		// recovery codes and the other session are all still there.
		f, err := ts.db.Factors(ctx, u.ID)
		if err != nil || !f.TOTP || f.TOTPPending || len(f.Passkeys) != 1 || f.RecoveryLeft != authn.RecoveryCodeCount {
			t.Fatalf("factors after refusals: %+v %v", f, err)
		}
		if ok, err := ts.db.UseRecoveryCode(ctx, u.ID, authn.RecoveryHash(codes[0]), time.Now()); !ok || err != nil {
			t.Fatalf("the old recovery codes were replaced: %v %v", ok, err)
		}
		if _, err := ts.db.SessionUser(ctx, other.Value, time.Now()); err != nil {
			t.Fatalf("the other session was ended: %v", err)
		}

		// The confirm page: a wrong password is refused at the field, in
		// either language, and counts as a failure.
		wantPage(t, ts.send(t, "GET", toSessions, nil, session), http.StatusOK, "Confirm your password", `name="next" value="/en/account/sessions"`)
		wantPage(t, ts.send(t, "POST", "/en/account/confirm", url.Values{"password": {"a wrong guess"}, "next": {"/en/account/sessions"}}, session),
			http.StatusBadRequest, `id="err-password"`, "This is not your current password", `value="/en/account/sessions"`)
		wantPage(t, ts.send(t, "POST", "/ja/account/confirm", url.Values{"password": {"a wrong guess"}}, session),
			http.StatusBadRequest, `id="err-password"`, "現在のパスワードが正しくありません")
		wantPage(t, ts.send(t, "POST", "/en/account/confirm", url.Values{}, session), http.StatusBadRequest, "This field is required")
		st, err := ts.db.FailureStats(ctx, authn.FailureQuery{Email: u.Email, PairSince: clock.Now().Add(-time.Hour)})
		if err != nil || st.Pair != 2 {
			t.Fatalf("failures counted: %+v %v; want 2", st, err)
		}
		wantRedirect(t, ts.send(t, "GET", "/en/account/sessions", nil, session), toSessions)

		// The right password returns to the page, and every action works.
		wantRedirect(t, ts.send(t, "POST", "/en/account/confirm", url.Values{"password": {testPassword}, "next": {"/en/account/sessions"}}, session),
			"/en/account/sessions")
		wantPage(t, ts.send(t, "GET", "/en/account/sessions", nil, session), http.StatusOK)
		wantRedirect(t, ts.send(t, "POST", "/en/account/sessions/end-others", url.Values{}, session), "/en/account/sessions?ended=1")
		if _, err := ts.db.SessionUser(ctx, other.Value, time.Now()); partnerhub.ErrorCode(err) != partnerhub.EUnauthorized {
			t.Fatalf("the other session lives on: %v", err)
		}
		wantPage(t, ts.send(t, "POST", "/en/account/mfa/recovery", url.Values{}, session), http.StatusOK, "will not be shown again")
		wantRedirect(t, ts.send(t, "POST", "/en/account/mfa/passkeys/"+strconv.FormatInt(pk.ID, 10)+"/remove", url.Values{}, session),
			"/en/account/mfa#passkeys")
		wantRedirect(t, ts.send(t, "POST", "/en/account/mfa/totp/remove", url.Values{"password": {testPassword}}, session), "/en/account/mfa#totp")
		if r := ts.ceremonyPost(t, "/en/account/mfa/passkeys/begin", `{"name":"Key"}`, session, "en"); r.status != http.StatusOK {
			t.Fatalf("passkey begin after confirming: %d %s", r.status, r.body)
		}
		if f, _ := ts.db.Factors(ctx, u.ID); f.TOTP || len(f.Passkeys) != 0 {
			t.Fatalf("factors after confirming: %+v", f)
		}
		for _, event := range []string{"event=reauth_required", "event=reauth_failed", "event=reauthenticated"} {
			if !strings.Contains(logs.String(), event) {
				t.Errorf("no %s in the log", event)
			}
		}
		if strings.Contains(logs.String(), testPassword) || strings.Contains(logs.String(), "a wrong guess") {
			t.Error("a password is in the log")
		}

		// Ten minutes on, the proof is old again.
		clock.Advance(reauthWindow)
		wantRedirect(t, ts.send(t, "POST", "/en/account/mfa/totp", url.Values{}, session), toMFA)
	})
}
