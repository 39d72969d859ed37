package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/store/storetest"
)

// wantWait checks a refusal: ETooMany with its message and Retry-After.
func wantWait(t *testing.T, err error, key string, d time.Duration) {
	t.Helper()
	var e *partnerhub.Error
	var w *authn.Wait
	if !errors.As(err, &e) || e.Code != partnerhub.ETooMany || e.Message != key || !errors.As(err, &w) || w.D != d {
		t.Fatalf("got %v, want %s waiting %s", err, key, d)
	}
}

// Sign-in throttling slows an attacker and lets the real user in: counted
// by account and address, with waits that double, a ceiling per account
// that slows a distributed attack, and a limit per address that slows
// password spraying. The clock is the attempt's time: no test sleeps.
func TestSignInThrottling(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, raw := acctDB(t, e)
		t0 := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
		for _, a := range []string{"admin", "sato", "tanaka"} {
			acctUser(t, db, a+"@example.ac.jp", partnerhub.RoleViewer)
		}
		fail := func(t *testing.T, email, ip string, at time.Time) {
			t.Helper()
			if _, err := signIn(ctx, db, email, "wrong guess", ip, at); partnerhub.ErrorCode(err) != partnerhub.EUnauthorized {
				t.Fatalf("a wrong password at %s: %v, want refused as wrong", at.Sub(t0), err)
			}
		}
		insert := func(t *testing.T, email, ip string, at time.Time) {
			t.Helper()
			if _, err := raw.Exec(rebind(db, `INSERT INTO login_failures (email, ip, at) VALUES (?, ?, ?)`), email, ip, at.UTC()); err != nil {
				t.Fatal(err)
			}
		}

		t.Run("guesses from one address wait longer and longer; the owner elsewhere is not locked out", func(t *testing.T) {
			const attacker, owner = "198.51.100.1", "192.0.2.10"
			at := t0
			for range authn.FreeFailures {
				fail(t, "admin@example.ac.jp", attacker, at)
				at = at.Add(time.Second / 10)
			}
			// Every failure after the free ones doubles the wait.
			for _, want := range []time.Duration{1, 2, 4, 8, 16} {
				fail(t, "admin@example.ac.jp", attacker, at)
				_, err := signIn(ctx, db, "admin@example.ac.jp", "another guess", attacker, at.Add(time.Second/2))
				wantWait(t, err, "error.signin_wait", want*time.Second)
				at = at.Add(want * time.Second)
			}
			fail(t, "admin@example.ac.jp", attacker, at)
			// The right password from the attacking address waits too...
			_, err := signIn(ctx, db, "admin@example.ac.jp", goodPassword, attacker, at)
			wantWait(t, err, "error.signin_wait", 32*time.Second)
			// ...but the owner, from an address with no failures, gets in
			// at once, and another account from the attacking address too.
			if _, err := signIn(ctx, db, "admin@example.ac.jp", goodPassword, owner, at); err != nil {
				t.Fatalf("the owner from elsewhere: %v", err)
			}
			if _, err := signIn(ctx, db, "sato@example.ac.jp", goodPassword, attacker, at); err != nil {
				t.Fatalf("another account from the same address: %v", err)
			}
			// After the wait the right password works from there too.
			if _, err := signIn(ctx, db, "admin@example.ac.jp", goodPassword, attacker, at.Add(32*time.Second)); err != nil {
				t.Fatalf("after the wait: %v", err)
			}
		})

		t.Run("thirty failures behind a campus NAT do not refuse a colleague's right password", func(t *testing.T) {
			const nat = "203.0.113.7"
			at := t0.Add(2 * time.Hour)
			for i := range 30 {
				insert(t, fmt.Sprintf("student%d@example.ac.jp", i%5), nat, at.Add(-time.Minute))
			}
			if _, err := signIn(ctx, db, "sato@example.ac.jp", goodPassword, nat, at); err != nil {
				t.Fatalf("a colleague behind the NAT: %v", err)
			}
		})

		t.Run("an address failing for many accounts is slowed for all of them", func(t *testing.T) {
			const sprayer = "203.0.113.66"
			at := t0.Add(4 * time.Hour)
			for i := range authn.AddressAccounts - 1 {
				fail(t, fmt.Sprintf("user%d@example.ac.jp", i), sprayer, at)
			}
			if _, err := signIn(ctx, db, "sato@example.ac.jp", goodPassword, sprayer, at); err != nil {
				t.Fatalf("below the limit: %v", err)
			}
			fail(t, "tanaka@example.ac.jp", sprayer, at) // the limit's account
			_, err := signIn(ctx, db, "sato@example.ac.jp", goodPassword, sprayer, at.Add(time.Second/2))
			wantWait(t, err, "error.signin_address_wait", time.Second)
			fail(t, "user99@example.ac.jp", sprayer, at.Add(time.Second))
			_, err = signIn(ctx, db, "user100@example.ac.jp", "x", sprayer, at.Add(time.Second))
			wantWait(t, err, "error.signin_address_wait", 2*time.Second)
			if _, err := signIn(ctx, db, "sato@example.ac.jp", goodPassword, sprayer, at.Add(3*time.Second)); err != nil {
				t.Fatalf("after the wait: %v", err)
			}
			// Once the window has passed, the address is an address again.
			if _, err := signIn(ctx, db, "sato@example.ac.jp", goodPassword, sprayer, at.Add(time.Second+authn.AddressWindow)); err != nil {
				t.Fatalf("after the window: %v", err)
			}
		})

		t.Run("a distributed attack on one account slows every attacking address, not the owner", func(t *testing.T) {
			at := t0.Add(6 * time.Hour)
			for i := range authn.AccountCeiling - 1 {
				insert(t, "tanaka@example.ac.jp", fmt.Sprintf("10.9.%d.%d", i/250, i%250+1), at.Add(-time.Minute))
			}
			// At the ceiling a pair has no free failures: a bot that
			// failed once waits, and each further failure doubles it.
			fail(t, "tanaka@example.ac.jp", "10.8.0.1", at)
			_, err := signIn(ctx, db, "tanaka@example.ac.jp", "x", "10.8.0.1", at.Add(time.Second/2))
			wantWait(t, err, "error.signin_wait", time.Second)
			fail(t, "tanaka@example.ac.jp", "10.9.0.1", at)
			_, err = signIn(ctx, db, "tanaka@example.ac.jp", "x", "10.9.0.1", at.Add(time.Second))
			wantWait(t, err, "error.signin_wait", time.Second)
			// The owner, from an address of their own, still gets in.
			if _, err := signIn(ctx, db, "tanaka@example.ac.jp", goodPassword, "192.0.2.44", at.Add(time.Second)); err != nil {
				t.Fatalf("the owner during the attack: %v", err)
			}
		})
	})
}
