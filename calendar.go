package partnerhub

import (
	"context"
	"time"
)

// Personal calendar feeds (issue 11): a signed-in user subscribes their
// calendar program to a secret URL that lists their deadlines. Calendar
// programs cannot sign in, so the URL itself is the credential: it is shown
// once, kept only as a hash (like an API token), and revoked or replaced by
// its owner. A user has at most one feed.

// CalendarPrefix starts every calendar feed secret, so that a leaked URL is
// recognised for what it is, and never mistaken for an API token.
const CalendarPrefix = "phcal_"

// CalendarFeed is what its owner sees of their feed: never the secret.
type CalendarFeed struct {
	CreatedAt time.Time  `json:"created_at"`
	UsedAt    *time.Time `json:"used_at"` // the last time a calendar program read it, to the minute
}

// CalendarService keeps the personal calendar feeds.
type CalendarService interface {
	// CreateCalendarFeed makes a new secret for a user's feed, replacing
	// (and so revoking) the one they had, and returns it: it is never
	// shown again.
	CreateCalendarFeed(ctx context.Context, userID int64, now time.Time) (string, error)
	// CalendarFeed returns a user's feed, or nil when they have none.
	CalendarFeed(ctx context.Context, userID int64) (*CalendarFeed, error)
	// RevokeCalendarFeed ends a user's feed; having none is no error.
	RevokeCalendarFeed(ctx context.Context, userID int64) error
	// CalendarUser returns the holder of a feed's secret, and notes its use.
	// An unknown or revoked secret, or a disabled user, is ENotFound.
	CalendarUser(ctx context.Context, secret string, now time.Time) (*User, error)
}
