package store_test

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"partnerhub"
	"partnerhub/store/storetest"
)

// A committee's decision, written by the store's own path, makes a
// fund.decision delivery for a subscription of its home, in the same
// transaction (the audit log's trigger); a decision changed makes another,
// with the outcome before. An import of mobility figures makes
// import.finished.
func TestDecisionMakesAWebhookEvent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newFundFixture(t, e)
		sub, err := f.db.CreateWebhook(ctx, f.admin, "utokyo", partnerhub.WebhookSpec{URL: "https://receiver.example.org/hooks",
			Kinds: []partnerhub.WebhookKind{partnerhub.WebhookFundDecision, partnerhub.WebhookImportFinished}}, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", f.now)
		if err != nil {
			t.Fatal(err)
		}
		p := f.reviewedProposal(t)
		d, err := f.db.Decide(ctx, f.chairHome, "utokyo", p.ID, award(0))
		if err != nil {
			t.Fatal(err)
		}
		wait := partnerhub.Decision{Outcome: partnerhub.OutcomeWaitlist, Meeting: d.Meeting, Version: d.Version}
		if _, err := f.db.Decide(ctx, f.chairHome, "utokyo", p.ID, wait); err != nil {
			t.Fatal(err)
		}
		mobImport(t, f.db, f.admin, "utokyo", mobWorldOf(t, f.db).figures(rand.New(rand.NewPCG(1, 2)), 5, 2020, 2))
		var enqueued []int64
		if _, err := f.db.DispatchWebhooks(ctx, f.now, func(_ *sql.Tx, id int64, home string) error {
			if home != "utokyo" {
				t.Errorf("enqueued for %q", home)
			}
			enqueued = append(enqueued, id)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var bodies []string
		for _, id := range enqueued {
			j, err := f.db.WebhookDelivery(ctx, id)
			if err != nil || j == nil || j.Sub != sub.ID {
				t.Fatalf("delivery %d: %+v %v", id, j, err)
			}
			if j.Kind == partnerhub.WebhookImportFinished {
				if !strings.Contains(string(j.Payload), `"what":"mobility","rows":5`) {
					t.Errorf("import: %s", j.Payload)
				}
				continue
			}
			bodies = append(bodies, string(j.Payload))
		}
		key := strconv.FormatInt(p.ID, 10)
		if len(enqueued) != 3 || len(bodies) != 2 || !strings.Contains(bodies[0], `"proposal":"`+key+`","outcome":"award"`) ||
			!strings.Contains(bodies[1], `"outcome":"waitlist","previous":"award"`) {
			t.Errorf("deliveries: %v", bodies)
		}
		// Nothing is left in the outbox; a second dispatch makes nothing.
		if n, err := f.db.DispatchWebhooks(ctx, f.now, func(*sql.Tx, int64, string) error { t.Error("enqueued twice"); return nil }); n != 0 || err != nil {
			t.Errorf("second dispatch: %d %v", n, err)
		}
	})
}
