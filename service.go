package partnerhub

import (
	"context"
	"iter"
	"time"
)

// The services the web layer uses, declared beside the domain they serve.
// The store implements every one of them; the package mock has fakes for
// tests that need no database.

// CatalogService reads a home institution's whole programme.
type CatalogService interface {
	Catalog(ctx context.Context, home string) (*Catalog, error)
	// Ping reports whether the storage answers.
	Ping(ctx context.Context) error
}

// AccountService keeps the sessions and API tokens of people signed in
// (an Authenticator tells who they are).
type AccountService interface {
	CreateSession(ctx context.Context, userID int64, now time.Time, spec SessionSpec) (string, error)
	// SessionUser returns the holder of a session that has neither expired
	// nor idled out, and notes its use.
	SessionUser(ctx context.Context, token string, now time.Time) (*User, error)
	DeleteSession(ctx context.Context, token string) error
	// Sessions lists a user's live sessions, marking the one of token.
	Sessions(ctx context.Context, userID int64, token string, now time.Time) ([]Session, error)
	// EndSession ends one of a user's sessions by its ID; EndOtherSessions
	// ends all of them but the one of keep ("" for all) and counts them.
	EndSession(ctx context.Context, userID int64, id string) error
	EndOtherSessions(ctx context.Context, userID int64, keep string) (int, error)
	// ChangePassword sets a user's password after checking their current
	// one; it ends their other sessions and revokes their API tokens.
	ChangePassword(ctx context.Context, userID int64, current, next, keep string, now time.Time) error
	// SessionAuthAt is when the holder of a session last proved their
	// password (zero: not since it was kept); Reauthenticate checks it
	// again and notes the time, or fails with the field error "password"
	// and counts the failure.
	SessionAuthAt(ctx context.Context, token string, now time.Time) (time.Time, error)
	Reauthenticate(ctx context.Context, userID int64, token, password string, now time.Time) error
	CreateToken(ctx context.Context, userID int64, spec TokenSpec, now time.Time) (string, APIToken, error)
	Tokens(ctx context.Context, userID int64) ([]APIToken, error)
	RevokeToken(ctx context.Context, userID, tokenID int64, now time.Time) error
	// TokenUser returns the user of a live API token, and the token.
	TokenUser(ctx context.Context, raw string, now time.Time) (*User, APIToken, error)
}

// MobilityService records mobility figures and sums them.
type MobilityService interface {
	Stats(ctx context.Context, q StatsQuery) ([]StatsRow, error)
	ListMobility(ctx context.Context, home string, f MobilityFilter, limit, offset int) ([]Mobility, int64, error)
	PutMobility(ctx context.Context, actor *User, home string, m Mobility) error
	// ImportMobility stores every figure of rows or none: it stops at the
	// first problem once rowsFailed reports that the caller found one.
	ImportMobility(ctx context.Context, actor *User, home string, rows iter.Seq2[int, Mobility],
		rowsFailed func() bool, progress func(rows int64)) (ImportResult, error)
}

// APIToken is a user's token for the API; its secret is shown once, at
// creation, and only its hash is kept.
type APIToken struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	// ExpiresAt is nil only for tokens made before tokens expired.
	ExpiresAt *time.Time `json:"expires_at"`
	Scope     TokenScope `json:"scope"`
}

// Active reports whether the token still works at now.
func (t APIToken) Active(now time.Time) bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt))
}

// MobilityFilter selects figures; zero fields select all.
type MobilityFilter struct {
	Partner   string // partner slug
	Unit      string // unit code
	Direction Direction
	Category  Category
	Programme MobilityProgramme
	FromYear  int
	ToYear    int
	InBin     bool // the deleted figures instead of the live ones
}

// ImportResult is what an import read, and what it refused.
type ImportResult struct {
	// Rows is the number of figures read; all of them were stored when
	// ImportMobility returns no error.
	Rows int64
	// Problems are the store's reasons for refusing figures, the first 200
	// by row (a row can have several), ordered by row; ProblemCount counts
	// all of them.
	Problems     []MobilityProblem
	ProblemCount int
}

// MobilityProblem is a figure the store refused: Row is the row number the
// caller's iterator gave, Field the figure's field at fault ("" for the
// figure as a whole), Key an i18n key under "field." and Args its arguments.
type MobilityProblem struct {
	Row   int
	Field string
	Key   string
	Args  []any
}
