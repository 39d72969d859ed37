package authn

import (
	"context"
	"strings"
	"time"

	"partnerhub"
)

// Accounts is what Passwords needs of storage (store.DB): users with their
// password hashes, and failed attempts kept as data.
type Accounts interface {
	// PasswordUser returns the user with a (normalized) e-mail address and
	// their password hash; ENotFound when there is none.
	PasswordUser(ctx context.Context, email string) (*partnerhub.User, string, error)
	// ReplacePasswordHash sets a user's hash to next if it is still old.
	ReplacePasswordHash(ctx context.Context, userID int64, old, next string) error
	// FailureStats counts the failures that throttle an attempt.
	FailureStats(ctx context.Context, q FailureQuery) (FailureStats, error)
	// RecordFailure keeps a failure, and forgets those before forgetBefore.
	RecordFailure(ctx context.Context, email, ip string, at, forgetBefore time.Time) error
	// ClearFailures forgets the failures of an account from one address.
	ClearFailures(ctx context.Context, email, ip string) error
}

// Passwords signs people in with an e-mail address and a password.
type Passwords struct {
	accounts Accounts
}

// NewPasswords returns the password provider over accounts.
func NewPasswords(accounts Accounts) *Passwords { return &Passwords{accounts: accounts} }

var _ partnerhub.Authenticator = (*Passwords)(nil)

// Authenticate checks an e-mail address and password. An unknown address, a
// wrong password, a disabled user and a user of another home get the same
// EUnauthorized error ("error.signin_failed") after the same work, and count
// as a failure of that account from the IP address. While throttle.go's
// policy says wait, it refuses with ETooMany (its cause a *Wait) before
// looking at the password. A success forgets the failures of the account
// from that IP address.
func (p *Passwords) Authenticate(ctx context.Context, home string, c partnerhub.Credentials) (*partnerhub.User, error) {
	email := partnerhub.NormalizeEmail(c.Email)
	if len(email) > 254 {
		email = email[:254] // what is stored of an absurd attempt
	}
	email = strings.ToValidUTF8(email, "")
	if err := p.throttled(ctx, email, c.IP, c.At); err != nil {
		return nil, err
	}
	u, hash, err := p.accounts.PasswordUser(ctx, email)
	if err != nil && partnerhub.ErrorCode(err) != partnerhub.ENotFound {
		return nil, err
	}
	password := c.Password
	if len(password) > MaxPasswordBytes {
		password = password[:MaxPasswordBytes] // fails below: no stored password is this long
		hash = ""
	}
	ok, stale := VerifyPassword(hash, password) // the dummy hash when there is no user
	if u == nil || !ok || u.Disabled || u.Home != home {
		if err := p.accounts.RecordFailure(ctx, email, c.IP, c.At, c.At.Add(-failureRetention)); err != nil {
			return nil, err
		}
		return nil, partnerhub.Errorf(partnerhub.EUnauthorized, "error.signin_failed")
	}
	if err := p.accounts.ClearFailures(ctx, email, c.IP); err != nil {
		return nil, err
	}
	if stale {
		// Bring the hash up to today's parameters while the password is at hand.
		if err := p.accounts.ReplacePasswordHash(ctx, u.ID, hash, HashPassword(password)); err != nil {
			return nil, err
		}
	}
	return u, nil
}
