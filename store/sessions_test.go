package store_test

import (
	"context"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// fieldKey is the message key of one field of an EInvalid error.
func fieldKey(t *testing.T, err error, field string) string {
	t.Helper()
	wantCode(t, err, partnerhub.EInvalid)
	return err.(*partnerhub.Error).Fields[field].Key
}

// Passwords are refused when common, breached or made of the account's or
// the service's names, wherever they are set (issue 10, item 5).
func TestPasswordPolicy(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, _ := acctDB(t, e)
		newUser := func(pw string) error {
			_, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "hanako.yamada@example.ac.jp", Name: "Hanako Yamada", Role: partnerhub.RoleViewer}, pw)
			return err
		}
		for _, tc := range []struct{ pw, key string }{
			{"password1234", "password_common"},
			{"qwertyuiop12", "password_common"},
			{"passwordpassword", "password_common"},
			{"utokyoutokyo", "password_personal"},
			{"Hanako.Yamada.1990", "password_personal"},
			{"yamadahanako!!", "password_personal"},
			{"partnerhub-2025", "password_personal"},
			{"東京大学パスワード2025", "password_personal"}, // the home institution's name in Japanese
		} {
			if got := fieldKey(t, newUser(tc.pw), "password"); got != tc.key {
				t.Errorf("CreateUser with %q: %q, want %q", tc.pw, got, tc.key)
			}
		}
		u := acctUser(t, db, "kenji@example.ac.jp", partnerhub.RoleViewer)
		if got := fieldKey(t, db.SetPassword(ctx, "utokyo", u.Email, "password1234", false), "password"); got != "password_common" {
			t.Errorf("SetPassword with a breached password: %q", got)
		}
		if got := fieldKey(t, db.SetPassword(ctx, "utokyo", u.Email, "kenji-kenji-kenji", false), "password"); got != "password_personal" {
			t.Errorf("SetPassword with the e-mail's name: %q", got)
		}
		if err := newUser("tidal mango violin lanterns"); err != nil {
			t.Fatalf("a good passphrase: %v", err)
		}
	})
}

// credentials makes two sessions and two tokens for u; the first session
// is the one a change of password keeps.
func credentials(t *testing.T, db *store.DB, u *partnerhub.User, now time.Time) (keep, other, tok1, tok2 string) {
	t.Helper()
	ctx := context.Background()
	var err error
	for _, p := range []*string{&keep, &other} {
		if *p, err = db.CreateSession(ctx, u.ID, now, partnerhub.SessionSpec{TTL: time.Hour}); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []*string{&tok1, &tok2} {
		if *p, _, err = db.CreateToken(ctx, u.ID, partnerhub.TokenSpec{Name: "t", Scope: partnerhub.ScopeWrite}, now); err != nil {
			t.Fatal(err)
		}
	}
	return
}

func TestChangeAndResetPasswordEndCredentials(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, _ := acctDB(t, e)
		now := time.Now()
		const next = "seven blue herons at dusk"

		t.Run("change needs the current password and ends other sessions and every token", func(t *testing.T) {
			u := acctUser(t, db, "change@example.ac.jp", partnerhub.RoleViewer)
			keep, other, tok1, tok2 := credentials(t, db, u, now)
			if got := fieldKey(t, db.ChangePassword(ctx, u.ID, "not my password", next, keep, now), "current_password"); got != "password_wrong" {
				t.Fatalf("wrong current password: %q", got)
			}
			if got := fieldKey(t, db.ChangePassword(ctx, u.ID, goodPassword, "password1234", keep, now), "password"); got != "password_common" {
				t.Fatalf("breached new password: %q", got)
			}
			if got := fieldKey(t, db.ChangePassword(ctx, u.ID, goodPassword, goodPassword, keep, now), "password"); got != "password_same" {
				t.Fatalf("same password: %q", got)
			}
			// Refusals changed nothing.
			if _, err := db.SessionUser(ctx, other, now); err != nil {
				t.Fatalf("a refused change ended a session: %v", err)
			}
			if err := db.ChangePassword(ctx, u.ID, goodPassword, next, keep, now); err != nil {
				t.Fatal(err)
			}
			if _, err := db.SessionUser(ctx, keep, now); err != nil {
				t.Fatalf("the session that changed the password ended: %v", err)
			}
			_, err := db.SessionUser(ctx, other, now)
			wantCode(t, err, partnerhub.EUnauthorized)
			for _, tok := range []string{tok1, tok2} {
				_, _, err := db.TokenUser(ctx, tok, now)
				wantCode(t, err, partnerhub.EUnauthorized)
			}
			if _, err := signIn(ctx, db, u.Email, next, "192.0.2.40", now); err != nil {
				t.Fatalf("new password: %v", err)
			}
			// Guessing the current password is throttled: the first wrong
			// guess above and four more make five, and a right password
			// signing in elsewhere does not forget them.
			for range 4 {
				fieldKey(t, db.ChangePassword(ctx, u.ID, "a wrong guess", "another fine passphrase", keep, now), "current_password")
			}
			wantCode(t, db.ChangePassword(ctx, u.ID, next, "another fine passphrase", keep, now), partnerhub.ETooMany)
		})

		t.Run("reset ends every session and token, and may require a change", func(t *testing.T) {
			u := acctUser(t, db, "reset@example.ac.jp", partnerhub.RoleViewer)
			keep, other, tok1, tok2 := credentials(t, db, u, now)
			if err := db.SetPassword(ctx, "utokyo", u.Email, "GENERATEDBASE32PASSWORDXYZ", true); err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{keep, other} {
				_, err := db.SessionUser(ctx, s, now)
				wantCode(t, err, partnerhub.EUnauthorized)
			}
			for _, tok := range []string{tok1, tok2} {
				_, _, err := db.TokenUser(ctx, tok, now)
				wantCode(t, err, partnerhub.EUnauthorized)
			}
			got, err := signIn(ctx, db, u.Email, "GENERATEDBASE32PASSWORDXYZ", "192.0.2.41", now)
			if err != nil || !got.MustChangePassword {
				t.Fatalf("after a generated reset: %+v, %v; want must change", got, err)
			}
			if err := db.ChangePassword(ctx, u.ID, "GENERATEDBASE32PASSWORDXYZ", next, "", now); err != nil {
				t.Fatal(err)
			}
			if got, _ := db.UserByID(ctx, u.ID); got.MustChangePassword {
				t.Fatal("changing the password left it to be changed")
			}
		})
	})
}

func TestSessionIdleTimeoutAndLimit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, _ := acctDB(t, e)
		u := acctUser(t, db, "idle@example.ac.jp", partnerhub.RoleViewer)
		t0 := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
		spec := partnerhub.SessionSpec{TTL: 12 * time.Hour, Idle: 30 * time.Minute, IP: "192.0.2.7",
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"}

		tok, err := db.CreateSession(ctx, u.ID, t0, spec)
		if err != nil {
			t.Fatal(err)
		}
		// Used at 29 minutes: the idle time starts again from there.
		if _, err := db.SessionUser(ctx, tok, t0.Add(29*time.Minute)); err != nil {
			t.Fatalf("at 29 min: %v", err)
		}
		if _, err := db.SessionUser(ctx, tok, t0.Add(58*time.Minute)); err != nil {
			t.Fatalf("29 min after the last use: %v", err)
		}
		_, err = db.SessionUser(ctx, tok, t0.Add(58*time.Minute+30*time.Minute))
		wantCode(t, err, partnerhub.EUnauthorized)
		// Ended for good, not just refused at that time.
		_, err = db.SessionUser(ctx, tok, t0.Add(58*time.Minute))
		wantCode(t, err, partnerhub.EUnauthorized)

		// The per-user limit ends the oldest session.
		spec.Max = 3
		var toks []string
		for i := range 4 {
			tk, err := db.CreateSession(ctx, u.ID, t0.Add(time.Duration(i)*time.Minute), spec)
			if err != nil {
				t.Fatal(err)
			}
			toks = append(toks, tk)
		}
		at := t0.Add(5 * time.Minute)
		_, err = db.SessionUser(ctx, toks[0], at)
		wantCode(t, err, partnerhub.EUnauthorized)
		list, err := db.Sessions(ctx, u.ID, toks[3], at)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 3 || !list[2].Current || list[0].Current || list[0].IP != "192.0.2.7" || list[0].UserAgent != spec.UserAgent || list[0].ID == "" {
			t.Fatalf("sessions: %+v", list)
		}

		// Another user cannot end them; their owner can, one or all others.
		other := acctUser(t, db, "other@example.ac.jp", partnerhub.RoleViewer)
		wantCode(t, db.EndSession(ctx, other.ID, list[0].ID), partnerhub.ENotFound)
		if err := db.EndSession(ctx, u.ID, list[0].ID); err != nil {
			t.Fatal(err)
		}
		_, err = db.SessionUser(ctx, toks[1], at)
		wantCode(t, err, partnerhub.EUnauthorized)
		n, err := db.EndOtherSessions(ctx, u.ID, toks[3])
		if err != nil || n != 1 {
			t.Fatalf("EndOtherSessions: %d, %v; want 1", n, err)
		}
		if _, err := db.SessionUser(ctx, toks[3], at); err != nil {
			t.Fatalf("the kept session: %v", err)
		}
		// An administrator signs the user out everywhere.
		if n, err := db.SignOutUser(ctx, "utokyo", "IDLE@example.ac.jp"); err != nil || n != 1 {
			t.Fatalf("SignOutUser: %d, %v", n, err)
		}
		_, err = db.SessionUser(ctx, toks[3], at)
		wantCode(t, err, partnerhub.EUnauthorized)
	})
}

func TestTokenExpiryAndScope(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, _ := acctDB(t, e)
		u := acctUser(t, db, "tokens@example.ac.jp", partnerhub.RoleAdmin)
		t0 := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)

		if got := fieldKey(t, func() error {
			_, _, err := db.CreateToken(ctx, u.ID, partnerhub.TokenSpec{Name: "x", Days: 1000}, t0)
			return err
		}(), "days"); got != "token_days" {
			t.Fatalf("1000 days: %q", got)
		}
		if got := fieldKey(t, func() error {
			_, _, err := db.CreateToken(ctx, u.ID, partnerhub.TokenSpec{Name: "x", Scope: "admin"}, t0)
			return err
		}(), "scope"); got != "one_of" {
			t.Fatalf("scope admin: %q", got)
		}
		raw, tok, err := db.CreateToken(ctx, u.ID, partnerhub.TokenSpec{Name: "weekly", Days: 7}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Scope != partnerhub.ScopeRead || tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(t0.AddDate(0, 0, 7)) {
			t.Fatalf("token %+v: want read-only, expiring in 7 days", tok)
		}
		_, got, err := db.TokenUser(ctx, raw, t0.AddDate(0, 0, 7).Add(-time.Second))
		if err != nil || got.Scope != partnerhub.ScopeRead || got.ID != tok.ID {
			t.Fatalf("the day before expiry: %+v, %v", got, err)
		}
		_, _, err = db.TokenUser(ctx, raw, t0.AddDate(0, 0, 7))
		wantCode(t, err, partnerhub.EUnauthorized)
		toks, err := db.Tokens(ctx, u.ID)
		if err != nil || len(toks) != 1 || toks[0].Active(t0.AddDate(0, 0, 7)) || !toks[0].Active(t0) || toks[0].Scope != partnerhub.ScopeRead {
			t.Fatalf("tokens: %+v, %v", toks, err)
		}
		_, def, err := db.CreateToken(ctx, u.ID, partnerhub.TokenSpec{Name: "default", Scope: partnerhub.ScopeWrite}, t0)
		if err != nil || !def.ExpiresAt.Equal(t0.AddDate(0, 0, partnerhub.DefaultTokenLifetime)) || def.Scope != partnerhub.ScopeWrite {
			t.Fatalf("default lifetime: %+v, %v", def, err)
		}
	})
}
