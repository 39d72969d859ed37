package store

// Passwords set from the command line (SetPassword) and changed by their
// holder (ChangePassword). Either way the user's other sessions end and
// their API tokens are revoked: whoever held the old password may have
// made them.

import (
	"context"
	"database/sql"
	"time"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/mail"
)

// passwordContext is what a password of a user of home must not be made
// of: their name and address, and the home's slug and names. An unknown
// home has no names; the caller reports it.
func (db *DB) passwordContext(ctx context.Context, home, name, email string) (authn.PasswordContext, error) {
	c := authn.PasswordContext{Name: name, Email: email, Service: []string{home}}
	var progJa, progEn, instJa, instEn, instSlug string
	err := db.read.QueryRowContext(ctx, db.q(`SELECT h.programme_ja, h.programme_en, i.name_ja, i.name_en, i.slug
		FROM home_institutions h JOIN institutions i ON i.id = h.institution_id WHERE h.slug = ?`), home).
		Scan(&progJa, &progEn, &instJa, &instEn, &instSlug)
	if err == sql.ErrNoRows {
		return c, nil
	}
	if err != nil {
		return c, wrap("read home names", err)
	}
	c.Service = append(c.Service, progJa, progEn, instJa, instEn, instSlug)
	return c, nil
}

// endCredentials ends a user's sessions but keepHash's ("" for all) and
// revokes their API tokens and calendar feed, in a transaction.
func (db *DB) endCredentials(ctx context.Context, tx *sql.Tx, userID int64, keepHash string, now time.Time) error {
	for _, st := range []struct {
		q    string
		args []any
	}{
		{`DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`, []any{userID, keepHash}},
		{`UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, []any{dbTime(now), userID}},
		// A calendar feed's URL is a credential too.
		{`DELETE FROM calendar_feeds WHERE user_id = ?`, []any{userID}},
	} {
		if _, err := tx.ExecContext(ctx, db.q(st.q), st.args...); err != nil {
			return err
		}
	}
	return nil
}

// SetPassword gives a user of a home a new password, checked like any
// other (authn.CheckPassword). All their sessions end, their API tokens are
// revoked and their failed sign-ins are forgotten. With mustChange (a
// password the programme office generated and passes on), they must choose
// their own at their next sign-in before doing anything else.
func (db *DB) SetPassword(ctx context.Context, home, email, password string, mustChange bool) error {
	email = partnerhub.NormalizeEmail(email)
	u, err := db.UserByEmail(ctx, email)
	if err != nil {
		return err
	}
	if u.Home != home {
		return errUserNotFound(email)
	}
	pwCtx, err := db.passwordContext(ctx, home, u.Name, u.Email)
	if err != nil {
		return err
	}
	if err := authn.CheckPassword(password, pwCtx); err != nil {
		return err
	}
	hash := authn.HashPassword(password)
	now := time.Now()
	return db.tx(ctx, func(tx *sql.Tx) error {
		id, err := db.userOfHome(ctx, tx, home, email)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE users SET password_hash = ?, must_change_password = ?, version = version + 1 WHERE id = ?`), hash, mustChange, id); err != nil {
			return err
		}
		if err := db.endCredentials(ctx, tx, id, "", now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM login_failures WHERE email = ?`), email); err != nil {
			return err
		}
		homeID, err := db.homeID(ctx, tx, home)
		if err != nil {
			return err
		}
		if err := db.securityNotice(ctx, tx, id, mail.PasswordReset, now); err != nil {
			return err
		}
		return db.auditUser(ctx, tx, homeID, partnerhub.ActionUpdate, id, userState{Email: email}, userState{Email: email, PasswordChanged: true})
	})
}

// A signed-in user who gets the current password wrong this often within
// the window must wait for the window to pass: the session is already
// theirs, so this is a guess at the password, not a mistyped sign-in.
const (
	maxChangeFailures   = 5
	changeFailureWindow = 15 * time.Minute
)

// ChangePassword lets a signed-in user replace their password: current
// must be right, next must pass authn.CheckPassword and differ from it.
// Problems are field errors ("current_password", "password") and change
// nothing. Their sessions but keep's (the browser they use) end and their
// API tokens are revoked; a password they had to change no longer has to be.
func (db *DB) ChangePassword(ctx context.Context, userID int64, current, next, keep string, now time.Time) error {
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
	// Wrong current passwords count as failed sign-ins of the address: a
	// stolen session cannot be used to guess the password at leisure.
	st, err := db.FailureStats(ctx, authn.FailureQuery{Email: u.Email, PairSince: now.Add(-changeFailureWindow)})
	if err != nil {
		return err
	}
	if st.Pair >= maxChangeFailures {
		return partnerhub.Errorf(partnerhub.ETooMany, "error.signin_throttled", int(changeFailureWindow/time.Minute))
	}
	errs := partnerhub.FieldErrors{}
	if current == "" {
		errs.Add("current_password", "required")
	} else if ok, _ := authn.VerifyPassword(hash, current[:min(len(current), authn.MaxPasswordBytes)]); !ok || len(current) > authn.MaxPasswordBytes {
		errs.Add("current_password", "password_wrong")
		if err := db.RecordFailure(ctx, u.Email, "", now, now.Add(-24*time.Hour)); err != nil {
			return err
		}
	}
	pwCtx, err := db.passwordContext(ctx, u.Home, u.Name, u.Email)
	if err != nil {
		return err
	}
	if err := addFields(errs, authn.CheckPassword(next, pwCtx)); err != nil {
		return err
	}
	if next == current && len(errs) == 0 {
		errs.Add("password", "password_same")
	}
	if err := errs.Err(); err != nil {
		return err
	}
	newHash := authn.HashPassword(next)
	keepHash := ""
	if authn.PlausibleSecret(keep, "") {
		keepHash = authn.SecretHash(keep)
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE users SET password_hash = ?, must_change_password = ?, version = version + 1
			WHERE id = ? AND password_hash = ?`), newHash, false, userID, hash)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			// Changed meanwhile by another request: the current password checked is no longer current.
			return partnerhub.Errorf(partnerhub.EConflict, "error.password_changed_meanwhile")
		}
		if err := db.endCredentials(ctx, tx, userID, keepHash, now); err != nil {
			return err
		}
		homeID, err := db.homeID(ctx, tx, u.Home)
		if err != nil {
			return err
		}
		if err := db.securityNotice(ctx, tx, userID, mail.PasswordChanged, now); err != nil {
			return err
		}
		return db.auditUser(ctx, tx, homeID, partnerhub.ActionUpdate, userID, userState{Email: u.Email}, userState{Email: u.Email, PasswordChanged: true})
	})
}
