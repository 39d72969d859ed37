package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store/storetest"
)

// TestCalendarFeeds: a feed's secret finds its owner and nobody else's;
// replacing it stops the old secret; revoking it, a new password and
// disabling the user each stop it; the database keeps no secret.
func TestCalendarFeeds(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, raw := acctDB(t, e)
		alice := transferUser(t, db, "alice@example.ac.jp", partnerhub.RoleCoordinator, "eng")
		bob := transferUser(t, db, "bob@example.ac.jp", partnerhub.RoleAdmin)
		now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)

		if f, err := db.CalendarFeed(ctx, alice.ID); err != nil || f != nil {
			t.Fatalf("no feed yet: %+v, %v", f, err)
		}
		first, err := db.CreateCalendarFeed(ctx, alice.ID, now)
		if err != nil || !strings.HasPrefix(first, partnerhub.CalendarPrefix) {
			t.Fatalf("create: %q, %v", first, err)
		}
		bobs, err := db.CreateCalendarFeed(ctx, bob.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		var stored int
		if err := raw.QueryRowContext(ctx, rebind(db, `SELECT count(*) FROM calendar_feeds WHERE secret_hash = ? OR secret_hash = ?`), first, bobs).Scan(&stored); err != nil || stored != 0 {
			t.Fatalf("a secret is stored as it is: %d, %v", stored, err)
		}
		u, err := db.CalendarUser(ctx, first, now.Add(time.Hour))
		if err != nil || u.ID != alice.ID || len(u.Units) != 1 || u.Units[0] != "eng" {
			t.Fatalf("alice's secret: %+v, %v", u, err)
		}
		if u, err := db.CalendarUser(ctx, bobs, now); err != nil || u.ID != bob.ID {
			t.Fatalf("bob's secret: %+v, %v", u, err)
		}
		f, err := db.CalendarFeed(ctx, alice.ID)
		if err != nil || f == nil || !f.CreatedAt.Equal(now) || f.UsedAt == nil || !f.UsedAt.Equal(now.Add(time.Hour)) {
			t.Fatalf("alice's feed: %+v, %v", f, err)
		}

		second, err := db.CreateCalendarFeed(ctx, alice.ID, now)
		if err != nil || second == first {
			t.Fatalf("replace: %q, %v", second, err)
		}
		for name, secret := range map[string]string{"replaced": first, "unknown": first[:len(first)-1] + "A", "not a secret": "x", "an API token's form": "ph_" + first[len(partnerhub.CalendarPrefix):]} {
			if _, err := db.CalendarUser(ctx, secret, now); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
				t.Errorf("%s secret: %v, want not found", name, err)
			}
		}
		if _, err := db.CalendarUser(ctx, second, now); err != nil {
			t.Fatalf("the new secret: %v", err)
		}
		if err := db.RevokeCalendarFeed(ctx, alice.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CalendarUser(ctx, second, now); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Fatalf("revoked: %v", err)
		}
		if f, err := db.CalendarFeed(ctx, alice.ID); err != nil || f != nil {
			t.Fatalf("revoked feed still listed: %+v, %v", f, err)
		}
		if _, err := db.CalendarUser(ctx, bobs, now); err != nil {
			t.Fatalf("revoking alice's feed stopped bob's: %v", err)
		}
		// A new password ends the feed with the other credentials.
		third, err := db.CreateCalendarFeed(ctx, alice.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetPassword(ctx, "utokyo", alice.Email, "seven blue herons at dusk", false); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CalendarUser(ctx, third, now); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Fatalf("after a new password: %v", err)
		}
		if err := db.DisableUser(ctx, "utokyo", bob.Email); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CalendarUser(ctx, bobs, now); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Fatalf("a disabled user's feed: %v", err)
		}
		if _, err := db.CreateCalendarFeed(ctx, bob.ID, now); partnerhub.ErrorCode(err) != partnerhub.EUnauthorized {
			t.Fatalf("a disabled user makes a feed: %v", err)
		}
	})
}
