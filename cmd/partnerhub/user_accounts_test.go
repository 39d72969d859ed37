package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store/storetest"
)

// A generated password must be changed at the first sign-in; one read from
// stdin is checked against the password policy; user signout ends every
// session of a user (issue 10, items 5 and 7).
func TestUserPasswordsAndSignout(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		dbURL := migrated(t, e)
		en := env()
		ctx := context.Background()
		out, _, err := userCmd(t, en, "", "add", "-db", dbURL, "-email", "gen@example.ac.jp", "-name", "Generated", "-role", "viewer")
		if err != nil {
			t.Fatal(err)
		}
		m := generatedRE.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no generated password in %q", out)
		}
		db := openDB(t, dbURL)
		if u, err := db.UserByEmail(ctx, "gen@example.ac.jp"); err != nil || !u.MustChangePassword {
			t.Fatalf("a user with a generated password: %+v, %v; want must change", u, err)
		}
		_, _, err = userCmd(t, en, "password1234\n", "add", "-db", dbURL, "-email", "weak@example.ac.jp", "-name", "Weak", "-role", "viewer", "-password-stdin")
		wantOneLine(t, err, "lists of common passwords", false)
		if strings.Contains(err.Error(), "password1234") {
			t.Fatalf("the error repeats the password: %v", err)
		}
		_, _, err = userCmd(t, en, "utokyoutokyo\n", "add", "-db", dbURL, "-email", "weak@example.ac.jp", "-name", "Weak", "-role", "viewer", "-password-stdin")
		wantOneLine(t, err, "the name of this service or university", false)
		if _, _, err := userCmd(t, en, "seven blue herons at dusk\n", "add", "-db", dbURL, "-email", "chosen@example.ac.jp", "-name", "Chosen", "-role", "viewer", "-password-stdin"); err != nil {
			t.Fatal(err)
		}
		if u, _ := db.UserByEmail(ctx, "chosen@example.ac.jp"); u.MustChangePassword {
			t.Fatal("a password the user chose must be changed")
		}

		// reset-password: generated must be changed; sessions and tokens end.
		u, _ := db.UserByEmail(ctx, "chosen@example.ac.jp")
		sess, _ := db.CreateSession(ctx, u.ID, time.Now(), partnerhub.SessionSpec{TTL: time.Hour})
		tok, _, _ := db.CreateToken(ctx, u.ID, partnerhub.TokenSpec{Name: "ci", Scope: partnerhub.ScopeWrite}, time.Now())
		if _, _, err := userCmd(t, en, "", "reset-password", "-db", dbURL, "-email", u.Email); err != nil {
			t.Fatal(err)
		}
		if u, _ := db.UserByEmail(ctx, u.Email); !u.MustChangePassword {
			t.Fatal("a generated reset password need not be changed")
		}
		if _, err := db.SessionUser(ctx, sess, time.Now()); partnerhub.ErrorCode(err) != partnerhub.EUnauthorized {
			t.Fatalf("session after reset: %v", err)
		}
		if _, _, err := db.TokenUser(ctx, tok, time.Now()); partnerhub.ErrorCode(err) != partnerhub.EUnauthorized {
			t.Fatalf("token after reset: %v", err)
		}

		// signout, by argument or flag.
		for _, args := range [][]string{{"signout", "GEN@example.ac.jp", "-db", dbURL}, {"signout", "-db", dbURL, "-email", "gen@example.ac.jp"}} {
			g, _ := db.UserByEmail(ctx, "gen@example.ac.jp")
			s1, _ := db.CreateSession(ctx, g.ID, time.Now(), partnerhub.SessionSpec{TTL: time.Hour})
			s2, _ := db.CreateSession(ctx, g.ID, time.Now(), partnerhub.SessionSpec{TTL: time.Hour})
			out, _, err := userCmd(t, en, "", args...)
			if err != nil || !strings.Contains(out, "signed gen@example.ac.jp out: 2 sessions ended") {
				t.Fatalf("%v: %q, %v", args, out, err)
			}
			for _, s := range []string{s1, s2} {
				if _, err := db.SessionUser(ctx, s, time.Now()); partnerhub.ErrorCode(err) != partnerhub.EUnauthorized {
					t.Fatalf("session after signout: %v", err)
				}
			}
		}
		_, _, err = userCmd(t, en, "", "signout", "-db", dbURL, "-email", "nobody@example.ac.jp")
		wantOneLine(t, err, "There is no user", false)
	})
}
