package store_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store/storetest"
)

// An export of schema 5, before sessions idled out and tokens had a scope,
// still imports: its sessions are named and count from their start, its
// tokens keep read-write access without an expiry, nobody must change their
// password.
func TestImportBeforeAccountColumns(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		src := transferLoaded(t, e)
		u := transferUser(t, src, "admin@example.ac.jp", partnerhub.RoleAdmin)
		now := time.Now()
		session, err := src.CreateSession(ctx, u.ID, now, partnerhub.SessionSpec{TTL: time.Hour, Idle: 30 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		token, _, err := src.CreateToken(ctx, u.ID, partnerhub.TokenSpec{Name: "old", Scope: partnerhub.ScopeRead}, now)
		if err != nil {
			t.Fatal(err)
		}
		d := xferParse(t, xferExport(t, src))
		d["schema_version"] = 5
		for _, name := range []string{"mfa_totp", "mfa_recovery_codes", "mfa_passkeys", "mfa_challenges", "mail_outbox", "calendar_feeds", "agreement_documents"} {
			delete(d.tables(), name) // schema 8's, 10's and 11's
		}
		for table, cols := range map[string][]string{
			"users":      {"must_change_password"},
			"sessions":   {"id", "last_seen_at", "idle_seconds", "ip", "user_agent"},
			"api_tokens": {"expires_at", "scope"},
		} {
			for _, r := range d.rows(table) {
				for _, c := range cols {
					delete(r.(map[string]any), c)
				}
			}
		}
		dst := e.Open(t)
		if err := dst.Import(ctx, bytes.NewReader(d.bytes(t))); err != nil {
			t.Fatal(err)
		}
		if got, err := dst.SessionUser(ctx, session, now.Add(45*time.Minute)); err != nil || got.MustChangePassword {
			t.Fatalf("an old session (no idle timeout then): %+v, %v", got, err)
		}
		_, tok, err := dst.TokenUser(ctx, token, now.AddDate(2, 0, 0))
		if err != nil || tok.Scope != partnerhub.ScopeWrite || tok.ExpiresAt != nil {
			t.Fatalf("an old token: %+v, %v; want read-write, no expiry", tok, err)
		}
	})
}
