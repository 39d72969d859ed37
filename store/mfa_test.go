package store_test

import (
	"context"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store/storetest"
)

func TestMFAStorage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, _ := acctDB(t, e)
		u, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "mfa@example.ac.jp", Name: "MFA", Role: partnerhub.RoleAdmin}, "a long and secret passphrase")
		if err != nil {
			t.Fatal(err)
		}
		other, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "other@example.ac.jp", Name: "Other", Role: partnerhub.RoleViewer}, "a long and secret passphrase")
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
		step := func(n int64) func(string) (int64, bool) {
			return func(secret string) (int64, bool) { return n, secret == "SECRET" }
		}
		check := func(pending bool, n int64, want bool) {
			t.Helper()
			ok, err := db.CheckTOTP(ctx, u.ID, pending, now, step(n))
			if err != nil || ok != want {
				t.Fatalf("CheckTOTP(pending=%v, step %d) = %v, %v; want %v", pending, n, ok, err, want)
			}
		}

		t.Run("a TOTP secret is pending until a code confirms it, and no step is accepted twice", func(t *testing.T) {
			if err := db.StartTOTP(ctx, u.ID, "SECRET", now); err != nil {
				t.Fatal(err)
			}
			if f, _ := db.Factors(ctx, u.ID); f.TOTP || !f.TOTPPending || f.Any() {
				t.Fatalf("pending factors %+v", f)
			}
			if s, err := db.PendingTOTP(ctx, u.ID); err != nil || s != "SECRET" {
				t.Fatalf("pending secret %q, %v", s, err)
			}
			check(false, 10, false) // not confirmed yet
			check(true, 10, true)
			if f, _ := db.Factors(ctx, u.ID); !f.TOTP || f.TOTPPending || !f.Any() {
				t.Fatalf("confirmed factors %+v", f)
			}
			if _, err := db.PendingTOTP(ctx, u.ID); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
				t.Fatalf("pending after confirmation: %v", err)
			}
			check(false, 10, false) // replay of the confirming code
			check(false, 9, false)  // an older code
			check(false, 11, true)
			check(false, 11, false)
			if err := db.StartTOTP(ctx, u.ID, "OTHER", now); partnerhub.ErrorCode(err) != partnerhub.EConflict {
				t.Fatalf("a second app over a confirmed one: %v", err)
			}
		})

		t.Run("a recovery code works once, for its owner only", func(t *testing.T) {
			if err := db.SetRecoveryCodes(ctx, u.ID, []string{"h1", "h2", "h3"}, now); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				user int64
				hash string
				want bool
			}{{other.ID, "h1", false}, {u.ID, "h1", true}, {u.ID, "h1", false}, {u.ID, "nope", false}, {u.ID, "h2", true}} {
				if ok, err := db.UseRecoveryCode(ctx, c.user, c.hash, now); err != nil || ok != c.want {
					t.Fatalf("use %s by %d: %v, %v; want %v", c.hash, c.user, ok, err, c.want)
				}
			}
			if f, _ := db.Factors(ctx, u.ID); f.RecoveryLeft != 1 {
				t.Fatalf("%d codes left, want 1", f.RecoveryLeft)
			}
		})

		t.Run("passkeys are listed and removed; the last factor stays when it must", func(t *testing.T) {
			p, err := db.AddPasskey(ctx, partnerhub.Passkey{UserID: u.ID, Name: "  Laptop ", CredentialID: []byte{9, 8, 7}, Credential: []byte(`{"a":1}`), CreatedAt: now})
			if err != nil || p.Name != "Laptop" {
				t.Fatalf("add: %+v %v", p, err)
			}
			if _, err := db.AddPasskey(ctx, partnerhub.Passkey{UserID: u.ID, Name: " ", CredentialID: []byte{1}, Credential: []byte(`{}`), CreatedAt: now}); partnerhub.ErrorCode(err) != partnerhub.EInvalid {
				t.Fatalf("a passkey without a name: %v", err)
			}
			if err := db.UpdatePasskey(ctx, u.ID, []byte{9, 8, 7}, []byte(`{"a":2}`), now.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			f, err := db.Factors(ctx, u.ID)
			if err != nil || len(f.Passkeys) != 1 || string(f.Passkeys[0].Credential) != `{"a":2}` || f.Passkeys[0].LastUsedAt == nil ||
				string(f.Passkeys[0].CredentialID) != string([]byte{9, 8, 7}) {
				t.Fatalf("passkeys %+v %v", f.Passkeys, err)
			}
			if err := db.RemovePasskey(ctx, other.ID, p.ID, false); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
				t.Fatalf("someone else's passkey: %v", err)
			}
			if err := db.RemovePasskey(ctx, u.ID, p.ID, true); err != nil { // the app remains
				t.Fatal(err)
			}
			if err := db.RemoveTOTP(ctx, u.ID, true); partnerhub.ErrorCode(err) != partnerhub.EConflict {
				t.Fatalf("removing the last factor: %v", err)
			}
			if f, _ := db.Factors(ctx, u.ID); !f.TOTP || f.RecoveryLeft != 1 {
				t.Fatalf("the refused removal changed %+v", f)
			}
			if err := db.RemoveTOTP(ctx, u.ID, false); err != nil {
				t.Fatal(err)
			}
			if f, _ := db.Factors(ctx, u.ID); f.Any() || f.RecoveryLeft != 0 {
				t.Fatalf("after removing every factor, %+v: recovery codes stand in for none", f)
			}
		})

		t.Run("ceremonies: one per purpose and user, counted, ending", func(t *testing.T) {
			tok, err := db.CreateChallenge(ctx, u.ID, partnerhub.ChallengeSignin, "", now, 5*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			c, err := db.Challenge(ctx, tok, partnerhub.ChallengeSignin, now)
			if err != nil || c.UserID != u.ID || c.Failures != 0 {
				t.Fatalf("challenge %+v %v", c, err)
			}
			for _, bad := range []struct {
				tok, purpose string
				at           time.Time
			}{{tok, partnerhub.ChallengeRegister, now}, {tok, partnerhub.ChallengeSignin, now.Add(5 * time.Minute)}, {otherFirst(tok), partnerhub.ChallengeSignin, now}} {
				if _, err := db.Challenge(ctx, bad.tok, bad.purpose, bad.at); partnerhub.ErrorCode(err) != partnerhub.EUnauthorized {
					t.Fatalf("%s at %s: %v", bad.purpose, bad.at, err)
				}
			}
			if n, err := db.FailChallenge(ctx, tok); err != nil || n != 1 {
				t.Fatalf("fail: %d %v", n, err)
			}
			if err := db.SetChallengeData(ctx, tok, "session"); err != nil {
				t.Fatal(err)
			}
			if c, _ := db.Challenge(ctx, tok, partnerhub.ChallengeSignin, now); c.Failures != 1 || c.Data != "session" {
				t.Fatalf("after a failure: %+v", c)
			}
			// A new sign-in of the same user ends the one before.
			tok2, err := db.CreateChallenge(ctx, u.ID, partnerhub.ChallengeSignin, "", now, 5*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Challenge(ctx, tok, partnerhub.ChallengeSignin, now); partnerhub.ErrorCode(err) != partnerhub.EUnauthorized {
				t.Fatalf("the earlier ceremony still works: %v", err)
			}
			if err := db.DeleteChallenge(ctx, tok2); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Challenge(ctx, tok2, partnerhub.ChallengeSignin, now); partnerhub.ErrorCode(err) != partnerhub.EUnauthorized {
				t.Fatalf("a deleted ceremony still works: %v", err)
			}
		})
	})
}

// otherFirst is tok with its first character changed: another token.
func otherFirst(tok string) string {
	if tok[0] == 'x' {
		return "y" + tok[1:]
	}
	return "x" + tok[1:]
}
