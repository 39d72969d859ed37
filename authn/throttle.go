package authn

import (
	"context"
	"fmt"
	"time"

	"partnerhub"
)

// Sign-in throttling slows an attacker without locking the real user out
// (README, "Sign-in throttling", states the same numbers). Failures are
// counted by account and address together, so that guesses at one account
// from one address wait longer and longer while the same account signs in
// from anywhere else, and another account signs in from the same address
// (a campus NAT), as usual.
const (
	// PairWindow is how long a failure of an account from an address
	// counts against that pair.
	PairWindow = time.Hour
	// FreeFailures of a pair cost nothing: people mistype.
	FreeFailures = 3
	// After the free failures, each failure doubles the wait before the
	// pair's next attempt is looked at: BaseDelay, 2×, 4×, … up to MaxDelay.
	BaseDelay = time.Second
	MaxDelay  = 5 * time.Minute

	// AccountCeiling failures of one account from all addresses together
	// within AccountWindow are a distributed attack on it: from then on a
	// pair has no free failures, so every attacking address waits after its
	// first failure. An address with no failure for the account (its owner,
	// usually) is still let in with the right password: slowed, never locked.
	AccountCeiling = 100
	AccountWindow  = 15 * time.Minute

	// An address that failed for AddressAccounts different accounts within
	// AddressWindow is attacking many accounts (password spraying): every
	// attempt from it, for any account and with any password, waits
	// BaseDelay, doubled for each further account, up to MaxDelay.
	AddressAccounts = 10
	AddressWindow   = 15 * time.Minute
)

// failureRetention is how long failures are kept at all; at least PairWindow.
const failureRetention = 24 * time.Hour

// FailureQuery asks for the failures that throttle one attempt.
type FailureQuery struct {
	Email, IP    string
	PairSince    time.Time // failures of Email from IP after this
	AccountSince time.Time // failures of Email from anywhere after this
	AddressSince time.Time // failures from IP for any account after this
}

// FailureStats are the counts a FailureQuery asks for.
type FailureStats struct {
	Pair            int       // failures of the account from the address
	PairLast        time.Time // the latest of them; zero when none
	Account         int       // failures of the account from any address
	AddressAccounts int       // different accounts the address failed for
	AddressLast     time.Time // the address's latest failure; zero when none
}

// Wait is the cause of a throttled attempt: how long until the next
// attempt will be looked at, for Retry-After.
type Wait struct{ D time.Duration }

func (w *Wait) Error() string { return fmt.Sprintf("retry after %s", w.D) }

// backoff is the wait after n failures beyond the free ones.
func backoff(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	if n > 20 {
		return MaxDelay
	}
	return min(BaseDelay<<(n-1), MaxDelay)
}

// throttle decides an attempt at a time from the failures before it: nil
// to look at the password, or ETooMany saying how long to wait.
func throttle(st FailureStats, at time.Time) error {
	free := FreeFailures
	if st.Account >= AccountCeiling {
		free = 0
	}
	pairWait := st.PairLast.Add(backoff(st.Pair - free)).Sub(at)
	var addrWait time.Duration
	if st.AddressAccounts >= AddressAccounts {
		addrWait = st.AddressLast.Add(backoff(st.AddressAccounts - AddressAccounts + 1)).Sub(at)
	}
	key, wait := "error.signin_wait", pairWait
	if addrWait > pairWait {
		key, wait = "error.signin_address_wait", addrWait
	}
	if wait <= 0 {
		return nil
	}
	secs := int((wait + time.Second - 1) / time.Second)
	e := partnerhub.Errorf(partnerhub.ETooMany, key, secs)
	e.Err = &Wait{D: time.Duration(secs) * time.Second}
	return e
}

// Throttle decides an attempt at something else guessed than a password
// (an invitation's token) by the same rules: st counts the failures of
// the guessing address. nil lets it through; ETooMany (with a *Wait) says
// how long to wait.
func Throttle(st FailureStats, at time.Time) error { return throttle(st, at) }

// throttled looks up the failures before an attempt and decides it.
func (p *Passwords) throttled(ctx context.Context, email, ip string, at time.Time) error {
	st, err := p.accounts.FailureStats(ctx, FailureQuery{Email: email, IP: ip,
		PairSince: at.Add(-PairWindow), AccountSince: at.Add(-AccountWindow), AddressSince: at.Add(-AddressWindow)})
	if err != nil {
		return err
	}
	return throttle(st, at)
}
