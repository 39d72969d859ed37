package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store/storetest"
)

func TestUserResetMFA(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		dbURL := migrated(t, e)
		en := env()
		if _, _, err := userCmd(t, en, "", "add", "-db", dbURL, "-email", "office@example.ac.jp", "-name", "Office", "-role", "admin"); err != nil {
			t.Fatal(err)
		}
		db := openDB(t, dbURL)
		u, err := db.UserByEmail(ctx, "office@example.ac.jp")
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		if err := db.StartTOTP(ctx, u.ID, "SECRET", now); err != nil {
			t.Fatal(err)
		}
		if ok, err := db.CheckTOTP(ctx, u.ID, true, now, func(string) (int64, bool) { return 1, true }); !ok || err != nil {
			t.Fatalf("confirm: %v %v", ok, err)
		}
		if err := db.SetRecoveryCodes(ctx, u.ID, []string{"h"}, now); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddPasskey(ctx, partnerhub.Passkey{UserID: u.ID, Name: "key", CredentialID: []byte{1}, Credential: []byte(`{}`), CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		out, _, err := userCmd(t, en, "", "reset-mfa", "-db", dbURL, "-email", "Office@example.ac.jp")
		if err != nil || !strings.Contains(out, "removed the second factors of office@example.ac.jp") {
			t.Fatalf("reset-mfa: %q %v", out, err)
		}
		if f, err := db.Factors(ctx, u.ID); err != nil || f.Any() || f.TOTPPending || f.RecoveryLeft != 0 {
			t.Fatalf("after reset: %+v %v", f, err)
		}
		_, _, err = userCmd(t, en, "", "reset-mfa", "-db", dbURL, "-email", "nobody@example.ac.jp")
		wantOneLine(t, err, "nobody@example.ac.jp", false)
		_, _, err = userCmd(t, en, "", "reset-mfa", "-db", dbURL)
		wantOneLine(t, err, "-email is required", true)
	})
}
