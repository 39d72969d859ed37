package partnerhub

import (
	"context"
	"time"
)

// Second factors of sign-in: a TOTP authenticator app (RFC 6238) with
// recovery codes, and passkeys (WebAuthn). Administrators must have one,
// and everyone else too unless the operator says otherwise (MFARequired).

// Passkey is a WebAuthn credential of a user. Credential is the record the
// WebAuthn library keeps (public key, sign count, flags), as JSON.
type Passkey struct {
	ID           int64
	UserID       int64
	Name         string
	CredentialID []byte
	Credential   []byte
	CreatedAt    time.Time
	LastUsedAt   *time.Time
}

// Factors are the second factors a user has.
type Factors struct {
	TOTP         bool // a confirmed authenticator app
	TOTPPending  bool // an enrolment waiting for its first code
	RecoveryLeft int  // unused recovery codes
	Passkeys     []Passkey
}

// Any reports whether the user has a second factor (recovery codes alone
// are none: they only stand in for one).
func (f Factors) Any() bool { return f.TOTP || len(f.Passkeys) > 0 }

// MustHaveFactor reports whether u may do nothing until they enrol a second
// factor: administrators, of a home or of the network.
func MustHaveFactor(u *User) bool { return u != nil && (u.Role == RoleAdmin || u.NetworkAdmin) }

// MFARequired says whose accounts need a second factor before anything
// else. Its zero value is MFAAdmins, which tests that build a server by
// hand rely on; the server's setting defaults to MFAEveryone.
type MFARequired int

const (
	// MFAAdmins holds only administrators and network administrators: for
	// a deployment whose other people sign in through single sign-on with
	// the identity provider's own multi-factor authentication.
	MFAAdmins MFARequired = iota
	// MFAEveryone holds every account, as ASVS level 2 (V6.3.3) asks.
	MFAEveryone
)

// ParseMFARequired reads a setting: "everyone" or "admins".
func ParseMFARequired(s string) (MFARequired, bool) {
	switch s {
	case "everyone":
		return MFAEveryone, true
	case "admins":
		return MFAAdmins, true
	}
	return 0, false
}

// Needs reports whether u may do nothing until they enrol a second factor
// under this setting. A guest always must: they sign in with a password
// from outside, never through the university's single sign-on.
func (m MFARequired) Needs(u *User) bool {
	return u != nil && (m == MFAEveryone || MustHaveFactor(u) || u.Role == RoleGuest)
}

// Purposes of an MFAChallenge.
const (
	ChallengeSignin   = "signin"   // the second step of a sign-in
	ChallengeRegister = "register" // the registration of a passkey
)

// MFAChallenge is a ceremony under way: a sign-in between its password and
// its second factor, or a passkey's registration.
type MFAChallenge struct {
	UserID    int64
	Purpose   string
	Data      string // the WebAuthn session, if any
	Failures  int    // wrong codes given for it
	ExpiresAt time.Time
}

// MFAService keeps the second factors and the ceremonies that use them.
// Secrets never leave it once enrolled: CheckTOTP hands the secret to a
// verifier and keeps the result.
type MFAService interface {
	Factors(ctx context.Context, userID int64) (Factors, error)
	UserByID(ctx context.Context, id int64) (*User, error)

	// StartTOTP keeps secret as the user's pending TOTP enrolment, in place
	// of any pending one; a confirmed one stays until the new one is
	// confirmed.
	StartTOTP(ctx context.Context, userID int64, secret string, now time.Time) error
	// PendingTOTP is the secret of the pending enrolment, to show it again;
	// ENotFound without one.
	PendingTOTP(ctx context.Context, userID int64) (string, error)
	// CheckTOTP checks a code with verify, against the pending secret
	// (which it then confirms, replacing the old one) or the confirmed
	// one. verify returns the time step of the code it accepts; a step not
	// after the last one accepted is refused (replay).
	CheckTOTP(ctx context.Context, userID int64, pending bool, now time.Time, verify func(secret string) (step int64, ok bool)) (bool, error)
	// RemoveTOTP removes the authenticator app; with keepOne, not when it
	// is the user's last factor (EConflict "mfa.last_factor").
	RemoveTOTP(ctx context.Context, userID int64, keepOne bool) error

	// SetRecoveryCodes replaces the user's recovery codes by these hashes.
	SetRecoveryCodes(ctx context.Context, userID int64, hashes []string, now time.Time) error
	// UseRecoveryCode spends a code by its hash; false if it is not one of
	// the user's unused codes.
	UseRecoveryCode(ctx context.Context, userID int64, hash string, now time.Time) (bool, error)

	AddPasskey(ctx context.Context, p Passkey) (Passkey, error)
	// UpdatePasskey keeps a credential after a use (its sign count).
	UpdatePasskey(ctx context.Context, userID int64, credentialID, credential []byte, now time.Time) error
	RemovePasskey(ctx context.Context, userID, id int64, keepOne bool) error

	// CreateChallenge starts a ceremony for ttl and returns its token; a
	// user's earlier ceremonies of the same purpose end.
	CreateChallenge(ctx context.Context, userID int64, purpose, data string, now time.Time, ttl time.Duration) (string, error)
	// Challenge is the ceremony of a token, if it is of purpose and has
	// not expired; else EUnauthorized.
	Challenge(ctx context.Context, token, purpose string, now time.Time) (*MFAChallenge, error)
	SetChallengeData(ctx context.Context, token, data string) error
	// FailChallenge counts a wrong code against the ceremony and returns
	// how many it has had.
	FailChallenge(ctx context.Context, token string) (int, error)
	DeleteChallenge(ctx context.Context, token string) error

	// The failures of sign-in throttling (store.DB's), which wrong codes
	// count against as well.
	CountFailures(ctx context.Context, email, ip string, since time.Time) (byEmail, byIP int, err error)
	RecordFailure(ctx context.Context, email, ip string, at, forgetBefore time.Time) error
}
