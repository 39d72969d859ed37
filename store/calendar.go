package store

// Personal calendar feeds: one secret per user, kept as its hash, as API
// tokens are (tokens.go).

import (
	"context"
	"database/sql"
	"time"

	"partnerhub"
	"partnerhub/authn"
)

func errCalendarNotFound() error {
	return partnerhub.Errorf(partnerhub.ENotFound, "error.calendar_not_found")
}

// CreateCalendarFeed makes a new secret for the user's feed, replacing the
// one they had, and returns it.
func (db *DB) CreateCalendarFeed(ctx context.Context, userID int64, now time.Time) (string, error) {
	raw, hash := authn.NewSecret(partnerhub.CalendarPrefix)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var disabled bool
		err := tx.QueryRowContext(ctx, db.q(`SELECT disabled FROM users WHERE id = ?`), userID).Scan(&disabled)
		if err == sql.ErrNoRows || disabled {
			return errUnauthorized()
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM calendar_feeds WHERE user_id = ?`), userID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, db.q(`INSERT INTO calendar_feeds (user_id, secret_hash, created_at) VALUES (?, ?, ?)`),
			userID, hash, dbTime(now))
		return err
	})
	if err != nil {
		return "", err
	}
	return raw, nil
}

// CalendarFeed returns the user's feed, or nil when they have none.
func (db *DB) CalendarFeed(ctx context.Context, userID int64) (*partnerhub.CalendarFeed, error) {
	var f partnerhub.CalendarFeed
	var used sql.NullTime
	err := db.read.QueryRowContext(ctx, db.q(`SELECT created_at, used_at FROM calendar_feeds WHERE user_id = ?`), userID).
		Scan(&f.CreatedAt, &used)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	f.CreatedAt, f.UsedAt = f.CreatedAt.UTC(), nullTime(used)
	return &f, nil
}

// RevokeCalendarFeed ends the user's feed.
func (db *DB) RevokeCalendarFeed(ctx context.Context, userID int64) error {
	_, err := db.write.ExecContext(ctx, db.q(`DELETE FROM calendar_feeds WHERE user_id = ?`), userID)
	return err
}

// CalendarUser returns the holder of a feed's secret. Calendar programs poll
// a feed every few hours, so its last use is written at most once a minute,
// as a token's is.
func (db *DB) CalendarUser(ctx context.Context, raw string, now time.Time) (*partnerhub.User, error) {
	if !authn.PlausibleSecret(raw, partnerhub.CalendarPrefix) {
		return nil, errCalendarNotFound()
	}
	now = dbTime(now)
	var used sql.NullTime
	u, err := scanUser(db.read.QueryRowContext(ctx, db.q(userCols+`, c.used_at`+userFrom+`
		JOIN calendar_feeds c ON c.user_id = u.id
		WHERE c.secret_hash = ? AND u.disabled = ?`), authn.SecretHash(raw), false), &used)
	if err == sql.ErrNoRows {
		return nil, errCalendarNotFound()
	}
	if err != nil {
		return nil, err
	}
	if !used.Valid || now.Sub(used.Time) >= lastUsedResolution {
		if _, err := db.write.ExecContext(ctx, db.q(`UPDATE calendar_feeds SET used_at = ? WHERE user_id = ?`), now, u.ID); err != nil {
			return nil, err
		}
	}
	return u, db.withUnits(ctx, u)
}
