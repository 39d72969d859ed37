package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/sso"
	"partnerhub/store/storetest"
)

// The protocols' own tests sign in through real identity providers; these
// test what every protocol ends in, federatedSignIn, through a route that
// only this test binary has: GET /{lang}/_test/sso with the identity in
// its query, served like a protocol's callback.

const (
	homeIdP  = "https://idp.u-tokyo.example.ac.jp/idp/shibboleth"
	otherIdP = "https://idp.princeton.example.edu/idp/shibboleth"
)

// newSSOServer is a server with single sign-on, second factors (held for
// administrators and guests, the zero setting) and invitations, and the
// test's callback route; set, when given, changes the server before it
// serves.
func newSSOServer(t *testing.T, e storetest.Engine, set ...func(*Server)) (*authServer, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	db := e.OpenBuiltin(t)
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(context.Background(), Deps{Source: db, Home: "utokyo", Messages: msgs, Accounts: db,
		Authenticator: authn.NewPasswords(db), Editor: db, Mobility: db, MFA: db, Invitations: db, Federation: db,
		SSO: &sso.Config{}, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range partnerhub.Langs {
		srv.mux.Handle("GET /"+string(l)+"/_test/sso", srv.accountForm(l, "/signin", func(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
			q := r.URL.Query()
			id := sso.Identity{Protocol: q.Get("protocol"), Provider: q.Get("provider"), Subject: q.Get("subject"),
				Email: q.Get("email"), DisplayName: q.Get("name"), DisplayNameJa: q.Get("name_ja"),
				Affiliations: q["aff"], ScopedAffiliations: q["scoped"], Organisation: q.Get("org"), MFA: q.Get("mfa") == "1"}
			if id.Protocol == "" {
				id.Protocol = sso.SAML
			}
			return nil, srv.federatedSignIn(w, r, l, id, q.Get("next"))
		}))
	}
	for _, f := range set {
		f(srv)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &authServer{Server: ts, db: db, srv: srv}, logs
}

// fedSignIn comes back from a provider with the identity of kv (query
// pairs), sending the cookies given.
func (ts *authServer) fedSignIn(t *testing.T, lang string, cookies []*http.Cookie, kv ...string) reply {
	t.Helper()
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	var h []any
	for _, c := range cookies {
		h = append(h, c)
	}
	return ts.send(t, "GET", "/"+lang+"/_test/sso?"+q.Encode(), nil, h...)
}

func (ts *authServer) userOf(t *testing.T, email string) *partnerhub.User {
	t.Helper()
	u, err := ts.db.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatalf("no account %s: %v", email, err)
	}
	return u
}

func (ts *authServer) identities(t *testing.T, u *partnerhub.User) []partnerhub.FederatedIdentity {
	t.Helper()
	ids, err := ts.db.FederatedIdentities(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// signedInAs checks that a reply started a session of email and returns it.
func (ts *authServer) signedInAs(t *testing.T, r reply, email string) *http.Cookie {
	t.Helper()
	ck := r.cookie()
	if r.status != http.StatusSeeOther || ck == nil {
		t.Fatalf("no session: %d %s", r.status, r.body)
	}
	u, err := ts.db.SessionUser(context.Background(), ck.Value, ts.srv.deps.Now())
	if err != nil || u.Email != email {
		t.Fatalf("session of %v (%v), want %s", u, err, email)
	}
	return ck
}

func (ts *authServer) auditCount(t *testing.T, entity partnerhub.Entity) int {
	t.Helper()
	ev, err := ts.db.Audit(context.Background(), "utokyo", partnerhub.AuditFilter{Entity: entity, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return len(ev)
}

// Who gets in: an unknown identity gets the bilingual 403 and no session;
// a pre-authorised one gets its account with its role, then signs in by
// its link; a role rule admits only its provider's people with its
// affiliation; an address that is another account's makes nothing; next
// is followed only to a path of this site; every change is audited and
// every decision logged.
func TestFederatedSignIn(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		ts, logs := newSSOServer(t, e)
		admin := ts.addUser(t, "office@example.ac.jp", partnerhub.RoleAdmin)
		session := ts.signIn(t, admin.Email)
		ts.enrolTOTP(t, session, admin)

		// Unknown: no access, in both languages, and no session.
		r := ts.fedSignIn(t, "en", nil, "provider", homeIdP, "subject", "nobody@u-tokyo.example.ac.jp",
			"email", "nobody@u-tokyo.example.ac.jp", "name", "No Body", "org", "The University of Tokyo", "aff", "faculty")
		wantPage(t, r, http.StatusForbidden, "No access here", "You are signed in at The University of Tokyo as No Body",
			"このサイトを利用する権限がありません", `lang="ja"`)
		if r.cookie() != nil {
			t.Fatal("a session for an unknown identity")
		}
		if _, err := ts.db.UserByEmail(ctx, "nobody@u-tokyo.example.ac.jp"); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Fatalf("an account for an unknown identity: %v", err)
		}
		if !strings.Contains(logs.String(), "event=sso_no_access") {
			t.Error("the refusal is not logged")
		}
		wantPage(t, ts.fedSignIn(t, "ja", nil, "provider", homeIdP, "subject", "nobody2"), http.StatusForbidden,
			"<h1>このサイトを利用する権限がありません</h1>", "<h2>No access here</h2>")

		// Pre-authorised by the administrator's page: the first sign-in
		// makes the account with its role and links it.
		wantRedirect(t, ts.send(t, "POST", "/en/admin/sso/preauthorisations",
			url.Values{"provider": {homeIdP}, "subject": {"taro@u-tokyo.example.ac.jp"}, "role": {"viewer"}}, session),
			"/en/admin/sso?done=preauth_added#preauth")
		faculty := []string{"provider", homeIdP, "subject", "taro@u-tokyo.example.ac.jp", "email", "Taro.Yamada@u-tokyo.example.ac.jp",
			"name", "Taro Yamada", "name_ja", "山田 太郎", "aff", "faculty", "next", "/ja/funds"}
		r = ts.fedSignIn(t, "ja", nil, faculty...)
		wantRedirect(t, r, "/ja/funds")
		ts.signedInAs(t, r, "taro.yamada@u-tokyo.example.ac.jp")
		taro := ts.userOf(t, "taro.yamada@u-tokyo.example.ac.jp")
		if taro.Role != partnerhub.RoleViewer || taro.Name != "山田 太郎" {
			t.Errorf("made %+v, want a viewer named in Japanese", taro)
		}
		if ids := ts.identities(t, taro); len(ids) != 1 || ids[0].Provider != homeIdP || ids[0].Subject != "taro@u-tokyo.example.ac.jp" ||
			!strings.Contains(ids[0].Attributes, `"faculty"`) {
			t.Errorf("identities %+v", ids)
		}
		// No password: the password sign-in refuses any.
		if has, err := ts.db.HasPassword(ctx, taro.ID); err != nil || has {
			t.Errorf("a federated account has a password: %v %v", has, err)
		}
		// Signs in again by its link; the pre-authorisation is used up.
		r = ts.fedSignIn(t, "en", nil, faculty[:len(faculty)-2]...)
		wantRedirect(t, r, "/en/account")
		ts.signedInAs(t, r, taro.Email)
		wantPage(t, ts.send(t, "GET", "/en/admin/sso", nil, session), http.StatusOK, "taro@u-tokyo.example.ac.jp", "Account made")

		// A role rule: the home IdP's faculty may have viewer accounts.
		wantRedirect(t, ts.send(t, "POST", "/en/admin/sso/rules",
			url.Values{"provider": {homeIdP}, "affiliation": {"Faculty"}, "role": {"viewer"}}, session),
			"/en/admin/sso?done=rule_added#rules")
		wantPage(t, ts.send(t, "GET", "/en/admin/sso", nil, session), http.StatusOK, "“faculty” at "+homeIdP, "May read drafts")
		// A student of the home IdP, and faculty of another IdP: no.
		wantPage(t, ts.fedSignIn(t, "en", nil, "provider", homeIdP, "subject", "s1", "email", "s1@u-tokyo.example.ac.jp", "aff", "student", "aff", "member"),
			http.StatusForbidden, "No access here")
		wantPage(t, ts.fedSignIn(t, "en", nil, "provider", otherIdP, "subject", "p1", "email", "p1@princeton.example.edu", "aff", "faculty"),
			http.StatusForbidden, "No access here")
		// Faculty of the home IdP: in, as a viewer; an unsafe next is
		// ignored.
		r = ts.fedSignIn(t, "en", nil, "provider", homeIdP, "subject", "f1", "email", "f1@u-tokyo.example.ac.jp", "name", "Hanako",
			"aff", "member", "aff", "faculty", "next", "//evil.example/x")
		wantRedirect(t, r, "/en/account")
		if u := ts.userOf(t, "f1@u-tokyo.example.ac.jp"); u.Role != partnerhub.RoleViewer {
			t.Errorf("role rule made %s", u.Role)
		}
		for _, next := range []string{"https://evil.example/", "/\\evil.example", "javascript:alert(1)"} {
			r := ts.fedSignIn(t, "en", nil, "provider", homeIdP, "subject", "f1", "next", next)
			wantRedirect(t, r, "/en/account")
		}
		// A scoped rule matches the scoped attribute only.
		if _, err := ts.db.AddRoleRule(ctx, admin, "utokyo", partnerhub.RoleRule{Provider: otherIdP, Affiliation: "staff@princeton.example.edu", Role: partnerhub.RoleGuest}, ts.srv.deps.Now()); err != nil {
			t.Fatal(err)
		}
		wantPage(t, ts.fedSignIn(t, "en", nil, "provider", otherIdP, "subject", "p2", "email", "p2@princeton.example.edu", "aff", "staff"),
			http.StatusForbidden, "No access here")
		r = ts.fedSignIn(t, "en", nil, "provider", otherIdP, "subject", "p3", "email", "p3@princeton.example.edu", "scoped", "staff@princeton.example.edu")
		// A guest must set up a second factor first.
		wantRedirect(t, r, "/en/account/mfa")
		if u := ts.userOf(t, "p3@princeton.example.edu"); u.Role != partnerhub.RoleGuest {
			t.Errorf("scoped rule made %s", u.Role)
		}

		// An address that is another account's: no account, no link;
		// the page says how to link it.
		local := ts.addUser(t, "hiro@u-tokyo.example.ac.jp", partnerhub.RoleViewer)
		r = ts.fedSignIn(t, "en", nil, "provider", homeIdP, "subject", "hiro", "email", local.Email, "aff", "faculty")
		wantPage(t, r, http.StatusForbidden, "No access here", "link your university account from your account page")
		if ids := ts.identities(t, local); len(ids) != 0 {
			t.Errorf("linked by address alone: %+v", ids)
		}

		// Audited: the pre-authorisation's making and use, the rules, each
		// link.
		if n := ts.auditCount(t, partnerhub.EntityPreAuthorisation); n != 2 {
			t.Errorf("%d pre-authorisation events, want 2", n)
		}
		if n := ts.auditCount(t, partnerhub.EntityRoleRule); n != 2 {
			t.Errorf("%d role rule events, want 2", n)
		}
		if n := ts.auditCount(t, partnerhub.EntityFederatedIdentity); n != 3 {
			t.Errorf("%d identity events, want 3", n)
		}
		for _, ev := range []string{"event=sso_account_made", "via=preauthorisation", "via=role_rule", "event=signed_in"} {
			if !strings.Contains(logs.String(), ev) {
				t.Errorf("log lacks %s", ev)
			}
		}
	})
}

// An administrator's federated sign-in counts as multi-factor only when
// the provider asserted it: then straight in, even without a local factor;
// otherwise the local second factor, or its enrolment.
func TestFederatedSignInSecondFactor(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		// A protocol's single logout, as sso-saml hooks it.
		var loggedOut, calls atomic.Int64
		ts, _ := newSSOServer(t, e, func(s *Server) {
			s.sso.logout = func(w http.ResponseWriter, r *http.Request, l partnerhub.Lang, u *partnerhub.User) (bool, error) {
				calls.Add(1)
				if u != nil {
					loggedOut.Store(u.ID)
				}
				http.Redirect(w, r, "/"+string(l)+"/?slo=1", http.StatusSeeOther)
				return true, nil
			}
		})
		now := ts.srv.deps.Now()
		withFactor := ts.addUser(t, "admin1@example.ac.jp", partnerhub.RoleAdmin)
		ts.enrolTOTP(t, ts.signIn(t, withFactor.Email), withFactor)
		without := ts.addUser(t, "admin2@example.ac.jp", partnerhub.RoleAdmin)
		for _, u := range []*partnerhub.User{withFactor, without} {
			if err := ts.db.LinkIdentity(ctx, u, partnerhub.FederatedClaim{Protocol: sso.OIDC, Provider: homeIdP, Subject: u.Email}, now); err != nil {
				t.Fatal(err)
			}
		}
		id := func(u *partnerhub.User, mfa string) []string {
			return []string{"protocol", sso.OIDC, "provider", homeIdP, "subject", u.Email, "mfa", mfa, "next", "/en/admin/audit"}
		}
		// Asserted MFA: in, to next.
		r := ts.fedSignIn(t, "en", nil, id(withFactor, "1")...)
		wantRedirect(t, r, "/en/admin/audit")
		ts.signedInAs(t, r, withFactor.Email)
		r = ts.fedSignIn(t, "en", nil, id(without, "1")...)
		wantRedirect(t, r, "/en/admin/audit")
		s := ts.signedInAs(t, r, without.Email)
		wantPage(t, ts.send(t, "GET", "/en/admin/audit", nil, s), http.StatusOK)
		// Sign-out ends the session here, then calls the protocol's.
		wantRedirect(t, ts.send(t, "POST", "/en/signout", url.Values{}, s), "/en/?slo=1")
		if calls.Load() != 1 || loggedOut.Load() != without.ID {
			t.Errorf("single logout: %d calls, for user %d", calls.Load(), loggedOut.Load())
		}
		wantRedirect(t, ts.send(t, "GET", "/en/admin/audit", nil, s), "/en/signin?next=%2Fen%2Fadmin%2Faudit")
		// One factor only: the second step, and no session yet.
		r = ts.fedSignIn(t, "en", nil, id(withFactor, "0")...)
		wantRedirect(t, r, "/en/signin/factor?next=%2Fen%2Fadmin%2Faudit")
		if r.cookie() != nil || replyCookie(r, signinCookie) == nil {
			t.Fatal("a session before the second factor")
		}
		// No factor to prove: enrol one before anything else.
		r = ts.fedSignIn(t, "en", nil, id(without, "0")...)
		wantRedirect(t, r, "/en/account/mfa")
		s = ts.signedInAs(t, r, without.Email)
		wantRedirect(t, ts.send(t, "GET", "/en/admin/audit", nil, s), "/en/account/mfa")
	})
}

// An invitation accepted through single sign-on makes the account with
// the invitation's address and role and links the identity; the link then
// works no more. Linking from the account page needs the session that
// asked, recently proved; unlinking leaves a passwordless account its
// last way in.
func TestFederatedInvitationAndLinking(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		ts, logs := newSSOServer(t, e)
		now := ts.srv.deps.Now()
		admin := ts.addUser(t, "office@example.ac.jp", partnerhub.RoleAdmin)
		inv, err := ts.db.Invite(ctx, admin, "utokyo", partnerhub.InvitationSpec{Email: "ann@princeton.example.edu", Name: "Ann Smith",
			Lang: partnerhub.English, Role: partnerhub.RoleViewer}, now)
		if err != nil {
			t.Fatal(err)
		}
		// No choice is configured here: the invitation's SSO route has
		// nothing to start, and sets nothing.
		r := ts.send(t, "POST", "/en/invitations/"+inv.Token+"/sso/nowhere", url.Values{})
		if r.status != http.StatusNotFound || replyCookie(r, ssoInvitationCookie) != nil {
			t.Fatalf("unknown choice: %d", r.status)
		}
		// What that route sets, the cookie, comes back from the provider.
		invite := &http.Cookie{Name: ssoInvitationCookie, Value: inv.Token}
		annID := []string{"protocol", sso.OIDC, "provider", otherIdP, "subject", "0b7e-ann", "email", "ann.other@gmail.example", "name", "Ann S."}
		r = ts.fedSignIn(t, "en", []*http.Cookie{invite}, annID...)
		wantRedirect(t, r, "/en/account")
		ts.signedInAs(t, r, "ann@princeton.example.edu")
		if ck := replyCookie(r, ssoInvitationCookie); ck != nil || !strings.Contains(strings.Join(r.header.Values("Set-Cookie"), "\n"), ssoInvitationCookie+"=;") {
			t.Error("the invitation's cookie is not cleared")
		}
		ann := ts.userOf(t, "ann@princeton.example.edu")
		if ann.Role != partnerhub.RoleViewer || ann.Name != "Ann S." {
			t.Errorf("made %+v", ann)
		}
		if ids := ts.identities(t, ann); len(ids) != 1 || ids[0].Protocol != sso.OIDC || ids[0].Subject != "0b7e-ann" {
			t.Errorf("identities %+v", ids)
		}
		if list, _ := ts.db.Invitations(ctx, admin, "utokyo"); len(list) != 1 || list[0].State(now) != partnerhub.InvitationAccepted || list[0].UserID != ann.ID {
			t.Errorf("invitation %+v", list)
		}
		if !strings.Contains(logs.String(), "via=sso") {
			t.Error("the acceptance is not logged")
		}
		// The cookie again, by another identity: the invitation is used.
		r = ts.fedSignIn(t, "en", []*http.Cookie{invite}, "protocol", sso.OIDC, "provider", otherIdP, "subject", "mallory")
		wantPage(t, r, http.StatusGone, "already been used")
		// Ann's own identity signs in by its link, cookie or not.
		ts.signedInAs(t, ts.fedSignIn(t, "en", []*http.Cookie{invite}, annID...), ann.Email)

		// Her only way in cannot be unlinked; the account page shows it.
		annSession := ts.signedInAs(t, ts.fedSignIn(t, "en", nil, annID...), ann.Email)
		wantPage(t, ts.send(t, "GET", "/en/account", nil, annSession), http.StatusOK, "University accounts", "0b7e-ann", "Your only way in", "has no password")
		// Her confirm page asks no password she does not have.
		if r := ts.send(t, "GET", "/en/account/confirm?next=/en/account", nil, annSession); r.status != http.StatusOK || strings.Contains(r.body, `name="password"`) {
			t.Errorf("confirm page of a passwordless account: %d", r.status)
		}
		id := ts.identities(t, ann)[0].ID
		wantPage(t, ts.send(t, "POST", "/en/account/sso/identities/"+strconv.FormatInt(id, 10)+"/unlink", url.Values{}, annSession),
			http.StatusConflict, "cannot be unlinked")

		// A local user links an identity: the cookie names their session.
		hiro := ts.addUser(t, "hiro@example.ac.jp", partnerhub.RoleViewer)
		hs := ts.signIn(t, hiro.Email)
		link := &http.Cookie{Name: ssoLinkCookie, Value: authn.SecretHash(hs.Value)}
		hiroID := []string{"provider", homeIdP, "subject", "hiro@u-tokyo.example.ac.jp", "email", "h@u-tokyo.example.ac.jp"}
		// Another session's cookie: no link, an ordinary (refused) sign-in.
		wantPage(t, ts.fedSignIn(t, "en", []*http.Cookie{hs, {Name: ssoLinkCookie, Value: authn.SecretHash("other")}}, hiroID...),
			http.StatusForbidden, "No access here")
		// Ann's identity is hers: not linked to Hiro.
		r = ts.fedSignIn(t, "en", []*http.Cookie{hs, link}, annID...)
		wantPage(t, r, http.StatusConflict, "already linked to another account")
		r = ts.fedSignIn(t, "en", []*http.Cookie{hs, link}, hiroID...)
		wantRedirect(t, r, "/en/account?sso=linked#sso")
		if ids := ts.identities(t, hiro); len(ids) != 1 || ids[0].Subject != "hiro@u-tokyo.example.ac.jp" {
			t.Fatalf("identities %+v", ids)
		}
		wantPage(t, ts.send(t, "GET", "/ja/account?sso=linked", nil, hs), http.StatusOK, "大学アカウントを連携しました。", "連携を解除")
		// Now it signs him in.
		ts.signedInAs(t, ts.fedSignIn(t, "en", nil, hiroID...), hiro.Email)
		// He has a password: he may unlink it.
		hid := ts.identities(t, hiro)[0].ID
		wantRedirect(t, ts.send(t, "POST", "/en/account/sso/identities/"+strconv.FormatInt(hid, 10)+"/unlink", url.Values{}, hs),
			"/en/account?sso=unlinked#sso")
		if ids := ts.identities(t, hiro); len(ids) != 0 {
			t.Fatalf("still linked: %+v", ids)
		}
		// Another's identity by id: not there.
		if r := ts.send(t, "POST", "/en/account/sso/identities/"+strconv.FormatInt(id, 10)+"/unlink", url.Values{}, hs); r.status != http.StatusNotFound {
			t.Errorf("unlinked another's identity: %d", r.status)
		}
		if n := ts.auditCount(t, partnerhub.EntityFederatedIdentity); n != 3 {
			t.Errorf("%d identity events, want 3 (two links, one unlink)", n)
		}
	})
}

// The administrators' page: bad input is told at its field in either
// language and changes nothing; only administrators open it; removing
// works once.
func TestSSOAdminPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		ts, _ := newSSOServer(t, e)
		admin := ts.addUser(t, "office@example.ac.jp", partnerhub.RoleAdmin)
		session := ts.signIn(t, admin.Email)
		ts.enrolTOTP(t, session, admin)
		viewer := ts.addUser(t, "v@example.ac.jp", partnerhub.RoleViewer)
		vs := ts.signIn(t, viewer.Email)

		wantPage(t, ts.send(t, "GET", "/en/admin/sso", nil, session), http.StatusOK, "<h1>Single sign-on</h1>", "Nobody is pre-authorised.", "No role rule")
		wantPage(t, ts.send(t, "GET", "/ja/admin/sso", nil, session), http.StatusOK, "<h1>シングルサインオン</h1>", "事前承認した人はいません。")
		if r := ts.send(t, "GET", "/en/admin/sso", nil, vs); r.status != http.StatusForbidden {
			t.Errorf("a viewer opened the page: %d", r.status)
		}
		if r := ts.send(t, "POST", "/en/admin/sso/rules", url.Values{"provider": {homeIdP}, "affiliation": {"faculty"}, "role": {"viewer"}}, vs); r.status != http.StatusForbidden {
			t.Errorf("a viewer added a rule: %d", r.status)
		}
		wantPage(t, ts.send(t, "POST", "/en/admin/sso/preauthorisations", url.Values{"provider": {"has space"}, "subject": {""}, "role": {"admin"}}, session),
			http.StatusBadRequest, `id="err-pre-provider"`, "without spaces", `id="err-pre-subject"`, `id="err-pre-role"`)
		wantPage(t, ts.send(t, "POST", "/ja/admin/sso/rules", url.Values{"provider": {homeIdP}, "affiliation": {"professor"}, "role": {"coordinator"}}, session),
			http.StatusBadRequest, `id="err-rule-affiliation"`, "eduPersonAffiliation の値", `id="err-rule-role"`)
		wantPage(t, ts.send(t, "POST", "/en/admin/sso/rules", url.Values{"provider": {homeIdP}, "affiliation": {"faculty@not a domain"}, "role": {"viewer"}}, session),
			http.StatusBadRequest, `id="err-rule-affiliation"`)
		if l, _ := ts.db.RoleRules(ctx, admin, "utokyo"); len(l) != 0 {
			t.Fatalf("bad input made %d rules", len(l))
		}
		if n := ts.auditCount(t, partnerhub.EntityRoleRule) + ts.auditCount(t, partnerhub.EntityPreAuthorisation); n != 0 {
			t.Fatalf("bad input audited %d changes", n)
		}
		add := url.Values{"provider": {homeIdP}, "subject": {"taro@u-tokyo.example.ac.jp"}, "role": {"guest"}}
		wantRedirect(t, ts.send(t, "POST", "/en/admin/sso/preauthorisations", add, session), "/en/admin/sso?done=preauth_added#preauth")
		wantPage(t, ts.send(t, "POST", "/en/admin/sso/preauthorisations", add, session), http.StatusBadRequest, "already pre-authorised")
		rule := url.Values{"provider": {homeIdP}, "affiliation": {"faculty@u-tokyo.example.ac.jp"}, "role": {"viewer"}}
		wantRedirect(t, ts.send(t, "POST", "/en/admin/sso/rules", rule, session), "/en/admin/sso?done=rule_added#rules")
		wantPage(t, ts.send(t, "POST", "/en/admin/sso/rules", rule, session), http.StatusBadRequest, "exists already")
		pre, _ := ts.db.PreAuthorisations(ctx, admin, "utokyo")
		rules, _ := ts.db.RoleRules(ctx, admin, "utokyo")
		if len(pre) != 1 || len(rules) != 1 || pre[0].Creator != admin.Name {
			t.Fatalf("pre %+v rules %+v", pre, rules)
		}
		wantPage(t, ts.send(t, "GET", "/ja/admin/sso?done=rule_added", nil, session), http.StatusOK, "ロール規則を追加しました。", "taro@u-tokyo.example.ac.jp",
			"初回サインイン待ち", "「faculty@u-tokyo.example.ac.jp」")
		for _, path := range []string{"/en/admin/sso/preauthorisations/" + strconv.FormatInt(pre[0].ID, 10) + "/remove",
			"/en/admin/sso/rules/" + strconv.FormatInt(rules[0].ID, 10) + "/remove"} {
			if r := ts.send(t, "POST", path, url.Values{}, session); r.status != http.StatusSeeOther {
				t.Fatalf("remove %s: %d", path, r.status)
			}
			if r := ts.send(t, "POST", path, url.Values{}, session); r.status != http.StatusNotFound {
				t.Errorf("removed twice %s: %d", path, r.status)
			}
		}
		if n := ts.auditCount(t, partnerhub.EntityRoleRule) + ts.auditCount(t, partnerhub.EntityPreAuthorisation); n != 4 {
			t.Errorf("%d changes audited, want 4", n)
		}
		wantPage(t, ts.send(t, "GET", "/en/admin/audit?entity=sso_role_rule", nil, session), http.StatusOK, "Single sign-on role rule")
	})
}
