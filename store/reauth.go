package store

// Re-authentication: a session remembers when its holder last proved their
// password (auth_at), at the sign-in that opened it or by confirming it
// again, so that changing second factors and ending sessions can ask for a
// recent proof (ASVS V7.5.1, V7.5.2) without asking at every step.

import (
	"context"
	"database/sql"
	"time"

	"partnerhub"
	"partnerhub/authn"
)

// SessionAuthAt returns when the holder of a session last proved their
// password: the zero time for a session opened before this was kept. An
// unknown or expired token is EUnauthorized.
func (db *DB) SessionAuthAt(ctx context.Context, token string, now time.Time) (time.Time, error) {
	if !authn.PlausibleSecret(token, "") {
		return time.Time{}, errUnauthorized()
	}
	var at sql.NullTime
	err := db.read.QueryRowContext(ctx, db.q(`SELECT auth_at FROM sessions WHERE token_hash = ? AND expires_at > ?`),
		authn.SecretHash(token), dbTime(now)).Scan(&at)
	if err == sql.ErrNoRows {
		return time.Time{}, errUnauthorized()
	}
	if err != nil {
		return time.Time{}, err
	}
	if !at.Valid {
		return time.Time{}, nil
	}
	return at.Time.UTC(), nil
}

// Reauthenticate checks the password of a session's holder again and, when
// it is right, notes the time on the session. A wrong password is the
// field error "password" and counts as a failed sign-in of the address,
// throttled as a wrong current password is when changing it
// (ChangePassword): a stolen session cannot guess at leisure.
func (db *DB) Reauthenticate(ctx context.Context, userID int64, token, password string, now time.Time) error {
	if !authn.PlausibleSecret(token, "") {
		return errUnauthorized()
	}
	u, err := db.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	if u.Disabled {
		return errUnauthorized()
	}
	_, hash, err := db.PasswordUser(ctx, u.Email)
	if err != nil {
		return err
	}
	st, err := db.FailureStats(ctx, authn.FailureQuery{Email: u.Email, PairSince: now.Add(-changeFailureWindow)})
	if err != nil {
		return err
	}
	if st.Pair >= maxChangeFailures {
		return partnerhub.Errorf(partnerhub.ETooMany, "error.signin_throttled", int(changeFailureWindow/time.Minute))
	}
	errs := partnerhub.FieldErrors{}
	if password == "" {
		errs.Add("password", "required")
		return errs.Err()
	}
	if ok, _ := authn.VerifyPassword(hash, password[:min(len(password), authn.MaxPasswordBytes)]); !ok || len(password) > authn.MaxPasswordBytes {
		if err := db.RecordFailure(ctx, u.Email, "", now, now.Add(-24*time.Hour)); err != nil {
			return err
		}
		errs.Add("password", "password_wrong")
		return errs.Err()
	}
	res, err := db.write.ExecContext(ctx, db.q(`UPDATE sessions SET auth_at = ? WHERE token_hash = ? AND user_id = ? AND expires_at > ?`),
		dbTime(now), authn.SecretHash(token), userID, dbTime(now))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errUnauthorized()
	}
	return nil
}
