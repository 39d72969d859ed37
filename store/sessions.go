package store

// Sessions: a browser's sign-in, held as a random token in a cookie; the
// database keeps its hash. A session ends at its absolute expiry, after
// its idle time without a request, when its user signs out or ends it from
// the sessions page, when a newer sign-in pushes it past the per-user
// limit, and when the password changes.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"partnerhub"
	"partnerhub/authn"
)

// lastSeenResolution is how often a session's last use is written: reading
// pages costs one write a minute per session, not one per request. The idle
// timeout is as precise.
const lastSeenResolution = time.Minute

// maxUserAgentLen bounds what is kept of a User-Agent header, in characters.
const maxUserAgentLen = 200

func errSessionNotFound(id string) error {
	return partnerhub.Errorf(partnerhub.ENotFound, "error.session_not_found", id)
}

// sessionRow is a session as stored.
type sessionRow struct {
	hash string
	partnerhub.Session
	idle time.Duration
}

// lastSeen is a session's last use: sessions imported from before it was
// kept count from their start.
func lastSeen(seen sql.NullTime, created time.Time) time.Time {
	if seen.Valid {
		return seen.Time.UTC()
	}
	return created.UTC()
}

// idledOut reports a session unused for longer than its idle time.
func (s *sessionRow) idledOut(now time.Time) bool {
	return s.idle > 0 && !now.Before(s.LastSeenAt.Add(s.idle))
}

// userSessions reads the unexpired sessions of a user, oldest first.
func (db *DB) userSessions(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, userID int64, now time.Time) ([]sessionRow, error) {
	rows, err := q.QueryContext(ctx, db.q(`SELECT token_hash, id, created_at, last_seen_at, expires_at, idle_seconds, ip, user_agent
		FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY created_at, token_hash`), userID, dbTime(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []sessionRow
	for rows.Next() {
		var s sessionRow
		var idle int64
		var seen sql.NullTime
		if err := rows.Scan(&s.hash, &s.ID, &s.CreatedAt, &seen, &s.ExpiresAt, &idle, &s.IP, &s.UserAgent); err != nil {
			return nil, err
		}
		s.CreatedAt, s.ExpiresAt = s.CreatedAt.UTC(), s.ExpiresAt.UTC()
		s.LastSeenAt = lastSeen(seen, s.CreatedAt)
		s.idle = time.Duration(idle) * time.Second
		out = append(out, s)
	}
	return out, rows.Err()
}

// CreateSession starts a session of a user as spec says and returns its
// token, for a cookie. The database keeps only the token's hash. Expired
// sessions of anyone, and idle ones of the user, are cleaned up on the way;
// when the user already holds spec.Max sessions, the oldest end.
func (db *DB) CreateSession(ctx context.Context, userID int64, now time.Time, spec partnerhub.SessionSpec) (string, error) {
	now = dbTime(now)
	raw, hash := authn.NewSecret("")
	id := strings.ToLower(rand.Text()[:20])
	ua := strings.ToValidUTF8(spec.UserAgent, "")
	if utf8.RuneCountInString(ua) > maxUserAgentLen {
		ua = string([]rune(ua)[:maxUserAgentLen])
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var disabled bool
		err := tx.QueryRowContext(ctx, db.q(`SELECT disabled FROM users WHERE id = ?`), userID).Scan(&disabled)
		if err == sql.ErrNoRows || disabled {
			return errUnauthorized()
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM sessions WHERE expires_at <= ?`), now); err != nil {
			return err
		}
		live, err := db.userSessions(ctx, tx, userID, now)
		if err != nil {
			return err
		}
		var end []string
		live = slices.DeleteFunc(live, func(s sessionRow) bool {
			if s.idledOut(now) {
				end = append(end, s.hash)
				return true
			}
			return false
		})
		if spec.Max > 0 && len(live) >= spec.Max {
			for _, s := range live[:len(live)-spec.Max+1] {
				end = append(end, s.hash)
			}
		}
		for _, h := range end {
			if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM sessions WHERE token_hash = ?`), h); err != nil {
				return err
			}
		}
		// A session opens on a sign-in: its holder has just proved who
		// they are (auth_at, reauth.go).
		_, err = tx.ExecContext(ctx, db.q(`INSERT INTO sessions (token_hash, user_id, created_at, expires_at, id, last_seen_at, idle_seconds, ip, user_agent, auth_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			hash, userID, now, now.Add(spec.TTL), id, now, int64(spec.Idle/time.Second), spec.IP, ua, now)
		if err != nil || !spec.MFA {
			// Only a session vouched multi-factor writes mfa_asserted
			// (schema 26): any other leaves its default, and so works
			// on an older schema too, as a migration's test opens one.
			return err
		}
		_, err = tx.ExecContext(ctx, db.q(`UPDATE sessions SET mfa_asserted = ? WHERE token_hash = ?`), true, hash)
		return err
	})
	if err != nil {
		return "", err
	}
	return raw, nil
}

// SessionUser returns the user of a session token and notes the session's
// use (once a minute at most). An unknown, expired or idle token, or a
// disabled user, is EUnauthorized.
func (db *DB) SessionUser(ctx context.Context, token string, now time.Time) (*partnerhub.User, error) {
	if !authn.PlausibleSecret(token, "") {
		return nil, errUnauthorized()
	}
	now = dbTime(now)
	hash := authn.SecretHash(token)
	var seen sql.NullTime
	var created time.Time
	var idle int64
	var mfa bool
	u, err := scanUser(db.read.QueryRowContext(ctx, db.q(userCols+`, s.last_seen_at, s.created_at, s.idle_seconds, s.mfa_asserted`+userFrom+`
		JOIN sessions s ON s.user_id = u.id
		WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = ?`), hash, now, false), &seen, &created, &idle, &mfa)
	if err == sql.ErrNoRows {
		return nil, errUnauthorized()
	}
	if err != nil {
		return nil, err
	}
	row := sessionRow{idle: time.Duration(idle) * time.Second}
	row.LastSeenAt = lastSeen(seen, created)
	if row.idledOut(now) {
		if _, err := db.write.ExecContext(ctx, db.q(`DELETE FROM sessions WHERE token_hash = ?`), hash); err != nil {
			return nil, err
		}
		return nil, errUnauthorized()
	}
	if now.Sub(row.LastSeenAt) >= lastSeenResolution {
		if _, err := db.write.ExecContext(ctx, db.q(`UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`), now, hash); err != nil {
			return nil, err
		}
	}
	u.SessionMFA = mfa
	return u, db.withUnits(ctx, u)
}

// DeleteSession ends a session. Ending one that does not exist is no error.
func (db *DB) DeleteSession(ctx context.Context, token string) error {
	if !authn.PlausibleSecret(token, "") {
		return nil
	}
	_, err := db.write.ExecContext(ctx, db.q(`DELETE FROM sessions WHERE token_hash = ?`), authn.SecretHash(token))
	return err
}

// Sessions lists a user's live sessions, oldest first, marking the one
// whose token is token.
func (db *DB) Sessions(ctx context.Context, userID int64, token string, now time.Time) ([]partnerhub.Session, error) {
	rows, err := db.userSessions(ctx, db.read, userID, dbTime(now))
	if err != nil {
		return nil, err
	}
	current := ""
	if authn.PlausibleSecret(token, "") {
		current = authn.SecretHash(token)
	}
	out := []partnerhub.Session{}
	for _, s := range rows {
		if s.idledOut(now) {
			continue
		}
		s.Current = s.hash == current
		out = append(out, s.Session)
	}
	return out, nil
}

// EndSession ends one of a user's sessions by its ID; another user's, or
// none, is ENotFound.
func (db *DB) EndSession(ctx context.Context, userID int64, id string) error {
	if id == "" {
		return errSessionNotFound(id)
	}
	res, err := db.write.ExecContext(ctx, db.q(`DELETE FROM sessions WHERE user_id = ? AND id = ?`), userID, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errSessionNotFound(id)
	}
	return nil
}

// EndOtherSessions ends a user's sessions but the one of keep ("" for
// all of them) and returns how many ended.
func (db *DB) EndOtherSessions(ctx context.Context, userID int64, keep string) (int, error) {
	keepHash := ""
	if authn.PlausibleSecret(keep, "") {
		keepHash = authn.SecretHash(keep)
	}
	res, err := db.write.ExecContext(ctx, db.q(`DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`), userID, keepHash)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// SignOutUser ends every session of a user of a home (an administrator's
// "user signout"); their API tokens stay.
func (db *DB) SignOutUser(ctx context.Context, home, email string) (int, error) {
	email = partnerhub.NormalizeEmail(email)
	n := 0
	err := db.tx(ctx, func(tx *sql.Tx) error {
		id, err := db.userOfHome(ctx, tx, home, email)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.q(`DELETE FROM sessions WHERE user_id = ?`), id)
		if err != nil {
			return err
		}
		m, err := res.RowsAffected()
		if err != nil {
			return err
		}
		n = int(m)
		return db.auditAccountAction(ctx, tx, home, id, func(u *userState) { u.SessionsEnded = true })
	})
	return n, err
}
