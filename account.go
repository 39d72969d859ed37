package partnerhub

import "time"

// Sessions and API tokens as the domain sees them (issue 10: ASVS V7 and V8).

// SessionSpec is how a new session behaves, and where it was opened.
type SessionSpec struct {
	TTL time.Duration // absolute lifetime, whatever the use
	// Idle ends the session after this long without a request; 0 for never.
	Idle time.Duration
	// Max is how many sessions a user may hold at once; opening one more
	// ends the oldest. 0 for no limit.
	Max           int
	IP, UserAgent string
	// MFA: an identity provider vouched that the sign-in used more than
	// one factor (single sign-on with REFEDS MFA); the session counts as
	// holding the second factor an administrator must have.
	MFA bool
}

// MaxSessionsPerUser is the default of SessionSpec.Max.
const MaxSessionsPerUser = 10

// Session is one of a user's sign-ins, as their sessions page lists it. ID
// names it in forms; the token the browser holds never leaves the cookie.
type Session struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
	Current    bool      `json:"current"` // the session of the request that asks
}

// TokenScope is what an API token may do.
type TokenScope string

const (
	ScopeRead  TokenScope = "read"  // GET only: every write is refused
	ScopeWrite TokenScope = "write" // whatever its user's role allows
)

var TokenScopes = []TokenScope{ScopeRead, ScopeWrite}

// TokenLifetimes are the expiries offered when a token is made; the last
// is the longest allowed, DefaultTokenLifetime the one preselected.
var TokenLifetimes = []int{7, 30, 90, 365} // days

const DefaultTokenLifetime = 90 // days

// TokenSpec is what its owner chooses for a new API token.
type TokenSpec struct {
	Name  string
	Scope TokenScope // "" is ScopeRead
	Days  int        // one of TokenLifetimes; 0 is DefaultTokenLifetime
}

// Validate checks the scope and lifetime; the store checks the name.
func (s *TokenSpec) Validate(errs FieldErrors) {
	validateEnum(errs, "scope", s.Scope, TokenScopes, false)
	valid := false
	for _, d := range TokenLifetimes {
		valid = valid || d == s.Days
	}
	if !valid {
		errs.Add("days", "token_days", TokenLifetimes[len(TokenLifetimes)-1])
	}
}

// CanWrite reports whether a token lets its user change anything.
func (t APIToken) CanWrite() bool { return t.Scope == ScopeWrite }
