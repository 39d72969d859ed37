package store_test

import (
	"context"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

const (
	ssoHomeIdP  = "https://idp.u-tokyo.example.ac.jp/idp/shibboleth"
	ssoOtherIdP = "https://op.example.edu"
)

// transferSSO gives every table of single sign-on rows for the export's
// round trip: an identity admitted by pre-authorisation (its snapshot with
// Japanese and quotes), one unused, a role rule, and a session vouched
// multi-factor.
func transferSSO(t *testing.T, db *store.DB, admin *partnerhub.User, now time.Time) {
	t.Helper()
	ctx := context.Background()
	for _, s := range []string{"taro@u-tokyo.example.ac.jp", "unused@u-tokyo.example.ac.jp"} {
		if _, err := db.AddPreAuthorisation(ctx, admin, "utokyo", partnerhub.PreAuthorisation{Provider: ssoHomeIdP, Subject: s, Role: partnerhub.RoleViewer}, now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.AddRoleRule(ctx, admin, "utokyo", partnerhub.RoleRule{Provider: ssoHomeIdP, Affiliation: "faculty", Role: partnerhub.RoleViewer}, now); err != nil {
		t.Fatal(err)
	}
	u, how, err := db.AdmitFederated(ctx, "utokyo", partnerhub.FederatedClaim{Protocol: "saml", Provider: ssoHomeIdP, Subject: "taro@u-tokyo.example.ac.jp",
		Email: "taro@u-tokyo.example.ac.jp", Name: "山田 太郎", Snapshot: []byte(`{"DisplayNameJa":"山田 \"太郎\""}`), Lang: partnerhub.Japanese}, now)
	if err != nil || how != partnerhub.AdmittedPreAuth {
		t.Fatalf("admit: %v %v", how, err)
	}
	if _, err := db.CreateSession(ctx, u.ID, now, partnerhub.SessionSpec{TTL: time.Hour, MFA: true}); err != nil {
		t.Fatal(err)
	}
}

// Who single sign-on admits, in the store: a pre-authorisation once, else
// the strongest matching rule, never by address alone; a disabled account
// signs in no more; only administrators change the rules.
func TestFederationRules(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.OpenBuiltin(t)
		now := time.Now()
		admin, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "office@example.ac.jp", Name: "Office", Role: partnerhub.RoleAdmin}, "a long and secret passphrase")
		if err != nil {
			t.Fatal(err)
		}
		viewer, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "v@example.ac.jp", Name: "V", Role: partnerhub.RoleViewer}, "a long and secret passphrase")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddRoleRule(ctx, viewer, "utokyo", partnerhub.RoleRule{Provider: ssoHomeIdP, Affiliation: "faculty", Role: partnerhub.RoleViewer}, now); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
			t.Fatalf("a viewer added a rule: %v", err)
		}
		if _, err := db.PreAuthorisations(ctx, viewer, "utokyo"); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
			t.Fatalf("a viewer listed pre-authorisations: %v", err)
		}
		for _, r := range []partnerhub.RoleRule{{Provider: ssoHomeIdP, Affiliation: "member", Role: partnerhub.RoleGuest},
			{Provider: ssoHomeIdP, Affiliation: "faculty", Role: partnerhub.RoleViewer}} {
			if _, err := db.AddRoleRule(ctx, admin, "utokyo", r, now); err != nil {
				t.Fatal(err)
			}
		}
		claim := func(subject string, aff ...string) partnerhub.FederatedClaim {
			return partnerhub.FederatedClaim{Protocol: "saml", Provider: ssoHomeIdP, Subject: subject, Email: subject + "@u-tokyo.example.ac.jp",
				Name: subject, Affiliations: aff}
		}
		// Both rules match: the stronger role.
		u, how, err := db.AdmitFederated(ctx, "utokyo", claim("both", "member", "FACULTY"), now)
		if err != nil || how != partnerhub.AdmittedRoleRule || u.Role != partnerhub.RoleViewer {
			t.Fatalf("admitted %+v %s %v", u, how, err)
		}
		if _, _, err := db.AdmitFederated(ctx, "utokyo", claim("student", "student"), now); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Fatalf("a student admitted: %v", err)
		}
		other := claim("x", "faculty")
		other.Provider = ssoOtherIdP
		if _, _, err := db.AdmitFederated(ctx, "utokyo", other, now); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Fatalf("another provider's faculty admitted: %v", err)
		}
		// No address, or another account's: nothing made.
		noMail := claim("nomail", "faculty")
		noMail.Email = ""
		if _, _, err := db.AdmitFederated(ctx, "utokyo", noMail, now); partnerhub.ErrorCode(err) != partnerhub.EConflict {
			t.Fatalf("no address: %v", err)
		}
		taken := claim("v", "faculty")
		taken.Email = viewer.Email
		if _, _, err := db.AdmitFederated(ctx, "utokyo", taken, now); partnerhub.ErrorCode(err) != partnerhub.EConflict {
			t.Fatalf("another's address: %v", err)
		}
		// A pre-authorisation admits once, with its role, over the rules.
		if _, err := db.AddPreAuthorisation(ctx, admin, "utokyo", partnerhub.PreAuthorisation{Provider: ssoOtherIdP, Subject: " sub-1 ", Role: partnerhub.RoleGuest}, now); err != nil {
			t.Fatal(err)
		}
		pc := partnerhub.FederatedClaim{Protocol: "oidc", Provider: ssoOtherIdP, Subject: "sub-1", Email: "ann@example.edu", Name: "Ann"}
		u, how, err = db.AdmitFederated(ctx, "utokyo", pc, now)
		if err != nil || how != partnerhub.AdmittedPreAuth || u.Role != partnerhub.RoleGuest {
			t.Fatalf("pre-authorised %+v %s %v", u, how, err)
		}
		if got, err := db.FederatedUser(ctx, "utokyo", pc, now); err != nil || got.ID != u.ID {
			t.Fatalf("linked %+v %v", got, err)
		}
		if _, _, err := db.AdmitFederated(ctx, "utokyo", pc, now); err == nil {
			t.Fatal("admitted twice")
		}
		list, err := db.PreAuthorisations(ctx, admin, "utokyo")
		if err != nil || len(list) != 1 || list[0].UsedAt == nil || list[0].UserID != u.ID || list[0].Subject != "sub-1" {
			t.Fatalf("pre-authorisations %+v %v", list, err)
		}
		// Disabled: signs in no more.
		if err := db.DisableUser(ctx, "utokyo", u.Email); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FederatedUser(ctx, "utokyo", pc, now); partnerhub.ErrorCode(err) != partnerhub.EUnauthorized {
			t.Fatalf("a disabled account signed in: %v", err)
		}
		// A session vouched multi-factor says so; another does not.
		for _, mfa := range []bool{true, false} {
			tok, err := db.CreateSession(ctx, viewer.ID, now, partnerhub.SessionSpec{TTL: time.Hour, MFA: mfa})
			if err != nil {
				t.Fatal(err)
			}
			if got, err := db.SessionUser(ctx, tok, now); err != nil || got.SessionMFA != mfa {
				t.Fatalf("session MFA %v, want %v (%v)", got.SessionMFA, mfa, err)
			}
		}
	})
}
