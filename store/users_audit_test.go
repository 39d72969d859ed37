package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store/storetest"
)

// An administrator's "user signout" and "user reset-mfa" are in the audit
// log, as other changes of an account are.
func TestSignOutAndResetMFAAreAudited(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, _ := acctDB(t, e)
		u := acctUser(t, db, "audited@example.ac.jp", partnerhub.RoleViewer)
		if _, err := db.CreateSession(ctx, u.ID, time.Now(), partnerhub.SessionSpec{TTL: time.Hour}); err != nil {
			t.Fatal(err)
		}
		if n, err := db.SignOutUser(ctx, "utokyo", u.Email); err != nil || n != 1 {
			t.Fatalf("SignOutUser: %d %v", n, err)
		}
		if err := db.ResetMFA(ctx, "utokyo", u.Email); err != nil {
			t.Fatal(err)
		}
		events, err := db.Audit(ctx, "utokyo", partnerhub.AuditFilter{Entity: partnerhub.EntityUser})
		if err != nil || len(events) != 3 {
			t.Fatalf("%d account events (%v)", len(events), err)
		}
		for i, want := range map[int]string{0: `"factors_reset":true`, 1: `"sessions_ended":true`} {
			ev := events[i]
			if ev.Action != partnerhub.ActionUpdate || ev.Key != u.Email || !strings.Contains(string(ev.After), want) ||
				strings.Contains(string(ev.Before), want) {
				t.Errorf("event %d: %s %s %s → %s; want %s", i, ev.Action, ev.Key, ev.Before, ev.After, want)
			}
		}
	})
}
