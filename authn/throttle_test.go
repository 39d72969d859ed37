package authn

import (
	"errors"
	"testing"
	"time"

	"partnerhub"
)

// The waits double from BaseDelay and stop at MaxDelay, however many
// failures there were.
func TestThrottleWaits(t *testing.T) {
	at := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		st   FailureStats
		key  string
		want time.Duration
	}{
		{FailureStats{Pair: FreeFailures, PairLast: at}, "", 0},
		{FailureStats{Pair: FreeFailures + 1, PairLast: at}, "error.signin_wait", time.Second},
		{FailureStats{Pair: FreeFailures + 3, PairLast: at}, "error.signin_wait", 4 * time.Second},
		{FailureStats{Pair: FreeFailures + 12, PairLast: at}, "error.signin_wait", MaxDelay},
		{FailureStats{Pair: 1000, PairLast: at}, "error.signin_wait", MaxDelay},
		{FailureStats{Pair: 1, PairLast: at, Account: AccountCeiling}, "error.signin_wait", time.Second},
		{FailureStats{Pair: 1, PairLast: at, Account: AccountCeiling - 1}, "", 0},
		{FailureStats{AddressAccounts: AddressAccounts - 1, AddressLast: at}, "", 0},
		{FailureStats{AddressAccounts: AddressAccounts + 2, AddressLast: at}, "error.signin_address_wait", 4 * time.Second},
		{FailureStats{AddressAccounts: 500, AddressLast: at}, "error.signin_address_wait", MaxDelay},
		// The longer of the two waits is the one said.
		{FailureStats{Pair: FreeFailures + 4, PairLast: at, AddressAccounts: AddressAccounts, AddressLast: at}, "error.signin_wait", 8 * time.Second},
	} {
		err := throttle(tc.st, at)
		if tc.want == 0 {
			if err != nil {
				t.Errorf("%+v: %v, want let through", tc.st, err)
			}
			continue
		}
		var e *partnerhub.Error
		var w *Wait
		if !errors.As(err, &e) || e.Code != partnerhub.ETooMany || e.Message != tc.key || !errors.As(err, &w) || w.D != tc.want {
			t.Errorf("%+v: %v, want %s waiting %s", tc.st, err, tc.key, tc.want)
		}
		// Part of the wait already passed: the rest, rounded up.
		if err := throttle(tc.st, at.Add(tc.want-1500*time.Millisecond)); tc.want > 2*time.Second && (!errors.As(err, &w) || w.D != 2*time.Second) {
			t.Errorf("%+v later: %v, want 2s left", tc.st, err)
		}
	}
}
