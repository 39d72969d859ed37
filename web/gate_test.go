package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"partnerhub"
	"partnerhub/store/storetest"
)

// TestAccountGateOrder: an administrator whose password the office
// generated changes it first (even the enrolment page sends them there),
// then is held at enrolment until they have a second factor.
func TestAccountGateOrder(t *testing.T) {
	ts := newMFAServer(t, storetest.Engines()[0], "", nil)
	u, err := ts.db.CreateUser(context.Background(), "utokyo", &partnerhub.User{Email: "first@example.ac.jp", Name: "First Admin",
		Role: partnerhub.RoleAdmin, MustChangePassword: true}, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	r := ts.send(t, "POST", "/en/signin", signinForm(u.Email, testPassword))
	wantRedirect(t, r, "/en/account/password")
	ck := r.cookie()
	for _, path := range []string{"/en/account", "/en/account/mfa", "/ja/account/mfa", "/en/admin/audit", "/en/partners"} {
		wantRedirect(t, ts.send(t, "GET", path, nil, ck), "/"+path[1:3]+"/account/password")
	}
	const next = "seven blue herons at dusk"
	wantRedirect(t, ts.send(t, "POST", "/en/account/password",
		url.Values{"current_password": {testPassword}, "password": {next}, "password_confirm": {next}}, ck), "/en/account/password?changed=1")
	// Now the second factor is what is missing.
	for _, path := range []string{"/en/account", "/en/admin/audit", "/en/partners"} {
		wantRedirect(t, ts.send(t, "GET", path, nil, ck), "/en/account/mfa")
	}
	wantPage(t, ts.send(t, "GET", "/en/account/mfa", nil, ck), http.StatusOK, "Administrators must sign in in two steps")
	if r := ts.send(t, "GET", "/api/v1/audit", nil, ck); r.status != http.StatusForbidden {
		t.Fatalf("API before enrolment: %d %s", r.status, r.body)
	}
}
