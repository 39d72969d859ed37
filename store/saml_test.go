package store_test

import (
	"context"
	"testing"
	"time"

	"partnerhub/store/storetest"
)

// An assertion is accepted once: a second use is refused until it expires,
// and an expired one's ID is forgotten.
func TestConsumeSAMLAssertion(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		db := e.Open(t)
		ctx := context.Background()
		now := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
		consume := func(id string, at time.Time, want bool) {
			t.Helper()
			fresh, err := db.ConsumeSAMLAssertion(ctx, id, now.Add(5*time.Minute), at)
			if err != nil {
				t.Fatal(err)
			}
			if fresh != want {
				t.Fatalf("%s at %s: fresh %v, want %v", id, at.Format(time.TimeOnly), fresh, want)
			}
		}
		consume("_a1", now, true)
		consume("_a1", now.Add(time.Minute), false)
		consume("_a2", now, true)
		// Once expired, the ID is removed; the assertion itself is refused
		// by its NotOnOrAfter long before.
		consume("_a1", now.Add(6*time.Minute), true)
	})
}
