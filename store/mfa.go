package store

// Second factors as data: TOTP secrets, hashed recovery codes, passkeys and
// the short ceremonies that use them (partnerhub.MFAService). Checking a
// code is package authn's and the web's; here a code's time step is kept so
// that no code is accepted twice, and a user's last factor can be kept.

import (
	"context"
	"database/sql"
	"encoding/base64"
	"strings"
	"time"
	"unicode/utf8"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/mail"
)

var _ partnerhub.MFAService = (*DB)(nil)

// maxPasskeyNameLen bounds a passkey's name, in characters.
const maxPasskeyNameLen = 100

func errLastFactor() error {
	return partnerhub.Errorf(partnerhub.EConflict, "mfa.last_factor")
}

// Factors returns the second factors of a user.
func (db *DB) Factors(ctx context.Context, userID int64) (partnerhub.Factors, error) {
	var f partnerhub.Factors
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		var confirmed sql.NullTime
		err := tx.QueryRowContext(ctx, db.q(`SELECT confirmed_at FROM mfa_totp WHERE user_id = ?`), userID).Scan(&confirmed)
		switch {
		case err == sql.ErrNoRows:
		case err != nil:
			return err
		default:
			f.TOTP, f.TOTPPending = confirmed.Valid, !confirmed.Valid
		}
		if err := tx.QueryRowContext(ctx, db.q(`SELECT count(*) FROM mfa_recovery_codes WHERE user_id = ? AND used_at IS NULL`), userID).Scan(&f.RecoveryLeft); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, db.q(`SELECT id, name, credential_id, credential, created_at, last_used_at
			FROM mfa_passkeys WHERE user_id = ? ORDER BY id`), userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			p := partnerhub.Passkey{UserID: userID}
			var credID, cred string
			var used sql.NullTime
			if err := rows.Scan(&p.ID, &p.Name, &credID, &cred, &p.CreatedAt, &used); err != nil {
				return err
			}
			if p.CredentialID, err = base64.RawURLEncoding.DecodeString(credID); err != nil {
				return err
			}
			p.Credential, p.CreatedAt, p.LastUsedAt = []byte(cred), p.CreatedAt.UTC(), nullTime(used)
			f.Passkeys = append(f.Passkeys, p)
		}
		return rows.Err()
	})
	return f, wrap("factors", err)
}

// ---- TOTP ------------------------------------------------------------------

// StartTOTP keeps a pending enrolment. A user with a confirmed app removes
// it first (EConflict), so that a stolen session cannot swap it silently.
func (db *DB) StartTOTP(ctx context.Context, userID int64, secret string, now time.Time) error {
	return wrap("start totp", db.tx(ctx, func(tx *sql.Tx) error {
		var confirmed sql.NullTime
		err := tx.QueryRowContext(ctx, db.q(`SELECT confirmed_at FROM mfa_totp WHERE user_id = ?`), userID).Scan(&confirmed)
		switch {
		case err == sql.ErrNoRows:
		case err != nil:
			return err
		case confirmed.Valid:
			return partnerhub.Errorf(partnerhub.EConflict, "mfa.totp_exists")
		default:
			if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM mfa_totp WHERE user_id = ?`), userID); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, db.q(`INSERT INTO mfa_totp (user_id, secret, created_at) VALUES (?, ?, ?)`), userID, secret, dbTime(now))
		return err
	}))
}

// PendingTOTP returns the secret of an enrolment not yet confirmed.
func (db *DB) PendingTOTP(ctx context.Context, userID int64) (string, error) {
	var secret string
	err := db.read.QueryRowContext(ctx, db.q(`SELECT secret FROM mfa_totp WHERE user_id = ? AND confirmed_at IS NULL`), userID).Scan(&secret)
	if err == sql.ErrNoRows {
		return "", partnerhub.Errorf(partnerhub.ENotFound, "mfa.no_pending")
	}
	return secret, wrap("pending totp", err)
}

// CheckTOTP verifies a code inside one transaction with the update of the
// last step, so that two requests with the same code cannot both pass.
func (db *DB) CheckTOTP(ctx context.Context, userID int64, pending bool, now time.Time, verify func(secret string) (int64, bool)) (bool, error) {
	ok := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var secret string
		var last int64
		var confirmed sql.NullTime
		err := tx.QueryRowContext(ctx, db.q(`SELECT secret, last_step, confirmed_at FROM mfa_totp WHERE user_id = ?`), userID).Scan(&secret, &last, &confirmed)
		if err == sql.ErrNoRows || err == nil && confirmed.Valid == pending {
			return nil
		}
		if err != nil {
			return err
		}
		step, good := verify(secret)
		if !good || step <= last {
			return nil
		}
		// The condition on last_step makes the update itself refuse a
		// concurrent use of the same step on either engine.
		q := `UPDATE mfa_totp SET last_step = ? WHERE user_id = ? AND last_step < ?`
		args := []any{step, userID, step}
		if pending {
			q = `UPDATE mfa_totp SET last_step = ?, confirmed_at = ? WHERE user_id = ? AND last_step < ?`
			args = []any{step, dbTime(now), userID, step}
		}
		res, err := tx.ExecContext(ctx, db.q(q), args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		ok = n == 1
		if err != nil || !ok || !pending {
			return err
		}
		return db.securityNotice(ctx, tx, userID, mail.FactorAdded, now)
	})
	return ok, wrap("check totp", err)
}

// factorsLeft counts a user's factors in a transaction, pending TOTP aside.
func (db *DB) factorsLeft(ctx context.Context, tx *sql.Tx, userID int64) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, db.q(`SELECT
		(SELECT count(*) FROM mfa_totp WHERE user_id = ? AND confirmed_at IS NOT NULL) +
		(SELECT count(*) FROM mfa_passkeys WHERE user_id = ?)`), userID, userID).Scan(&n)
	return n, err
}

// afterRemoval refuses to leave a user who must keep a factor without one,
// and forgets the recovery codes of a user left with none: they stand in
// for a factor, not for the lack of one.
func (db *DB) afterRemoval(ctx context.Context, tx *sql.Tx, userID int64, keepOne bool) error {
	n, err := db.factorsLeft(ctx, tx, userID)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if keepOne {
		return errLastFactor()
	}
	_, err = tx.ExecContext(ctx, db.q(`DELETE FROM mfa_recovery_codes WHERE user_id = ?`), userID)
	return err
}

// RemoveTOTP removes a user's authenticator app, confirmed or pending.
func (db *DB) RemoveTOTP(ctx context.Context, userID int64, keepOne bool) error {
	return wrap("remove totp", db.tx(ctx, func(tx *sql.Tx) error {
		// An enrolment that never got its first code protected nothing:
		// its removal is not worth a notice.
		var confirmed bool
		if err := tx.QueryRowContext(ctx, db.q(`SELECT confirmed_at IS NOT NULL FROM mfa_totp WHERE user_id = ?`), userID).Scan(&confirmed); err != nil && err != sql.ErrNoRows {
			return err
		}
		res, err := tx.ExecContext(ctx, db.q(`DELETE FROM mfa_totp WHERE user_id = ?`), userID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = partnerhub.Errorf(partnerhub.ENotFound, "mfa.no_totp")
			}
			return err
		}
		if confirmed {
			if err := db.securityNotice(ctx, tx, userID, mail.FactorRemoved, time.Now()); err != nil {
				return err
			}
		}
		return db.afterRemoval(ctx, tx, userID, keepOne)
	}))
}

// ---- recovery codes --------------------------------------------------------

// SetRecoveryCodes replaces a user's recovery codes, used ones included.
func (db *DB) SetRecoveryCodes(ctx context.Context, userID int64, hashes []string, now time.Time) error {
	return wrap("set recovery codes", db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM mfa_recovery_codes WHERE user_id = ?`), userID); err != nil {
			return err
		}
		for _, h := range hashes {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO mfa_recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)`),
				userID, h, dbTime(now)); err != nil {
				return err
			}
		}
		return nil
	}))
}

// UseRecoveryCode spends one of a user's unused codes; the condition on
// used_at makes a concurrent second use find nothing.
func (db *DB) UseRecoveryCode(ctx context.Context, userID int64, hash string, now time.Time) (bool, error) {
	res, err := db.write.ExecContext(ctx, db.q(`UPDATE mfa_recovery_codes SET used_at = ?
		WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`), dbTime(now), userID, hash)
	if err != nil {
		return false, wrap("use recovery code", err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap("use recovery code", err)
}

// ---- passkeys --------------------------------------------------------------

// AddPasskey keeps a registered passkey under a name the user chose.
func (db *DB) AddPasskey(ctx context.Context, p partnerhub.Passkey) (partnerhub.Passkey, error) {
	p.Name = strings.TrimSpace(p.Name)
	errs := partnerhub.FieldErrors{}
	switch n := utf8.RuneCountInString(p.Name); {
	case n == 0:
		errs.Add("name", "required")
	case !utf8.ValidString(p.Name):
		errs.Add("name", "bad_utf8")
	case n > maxPasskeyNameLen:
		errs.Add("name", "too_long_chars", maxPasskeyNameLen)
	}
	if err := errs.Err(); err != nil {
		return p, err
	}
	p.CreatedAt = dbTime(p.CreatedAt)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, db.q(`INSERT INTO mfa_passkeys (user_id, name, credential_id, credential, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`), p.UserID, p.Name, base64.RawURLEncoding.EncodeToString(p.CredentialID),
			string(p.Credential), p.CreatedAt).Scan(&p.ID)
		if err != nil {
			return err
		}
		return db.securityNotice(ctx, tx, p.UserID, mail.FactorAdded, p.CreatedAt)
	})
	return p, wrap("add passkey", err)
}

// UpdatePasskey keeps a passkey's credential record after a use.
func (db *DB) UpdatePasskey(ctx context.Context, userID int64, credentialID, credential []byte, now time.Time) error {
	_, err := db.write.ExecContext(ctx, db.q(`UPDATE mfa_passkeys SET credential = ?, last_used_at = ? WHERE user_id = ? AND credential_id = ?`),
		string(credential), dbTime(now), userID, base64.RawURLEncoding.EncodeToString(credentialID))
	return wrap("update passkey", err)
}

// RemovePasskey removes one of a user's passkeys; someone else's is
// ENotFound.
func (db *DB) RemovePasskey(ctx context.Context, userID, id int64, keepOne bool) error {
	return wrap("remove passkey", db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`DELETE FROM mfa_passkeys WHERE id = ? AND user_id = ?`), id, userID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = partnerhub.Errorf(partnerhub.ENotFound, "mfa.no_passkey")
			}
			return err
		}
		if err := db.securityNotice(ctx, tx, userID, mail.FactorRemoved, time.Now()); err != nil {
			return err
		}
		return db.afterRemoval(ctx, tx, userID, keepOne)
	}))
}

// ---- ceremonies ------------------------------------------------------------

// CreateChallenge starts a ceremony; like sessions, only the token's hash
// is kept, and expired ceremonies of anyone are cleaned up on the way.
func (db *DB) CreateChallenge(ctx context.Context, userID int64, purpose, data string, now time.Time, ttl time.Duration) (string, error) {
	now = dbTime(now)
	raw, hash := authn.NewSecret("")
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM mfa_challenges WHERE expires_at <= ? OR (user_id = ? AND purpose = ?)`),
			now, userID, purpose); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO mfa_challenges (token_hash, user_id, purpose, data, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`), hash, userID, purpose, data, now, now.Add(ttl))
		return err
	})
	if err != nil {
		return "", wrap("create challenge", err)
	}
	return raw, nil
}

// Challenge returns the ceremony of a token.
func (db *DB) Challenge(ctx context.Context, token, purpose string, now time.Time) (*partnerhub.MFAChallenge, error) {
	if !authn.PlausibleSecret(token, "") {
		return nil, errUnauthorized()
	}
	c := &partnerhub.MFAChallenge{Purpose: purpose}
	err := db.read.QueryRowContext(ctx, db.q(`SELECT user_id, data, failures, expires_at FROM mfa_challenges
		WHERE token_hash = ? AND purpose = ? AND expires_at > ?`), authn.SecretHash(token), purpose, dbTime(now)).
		Scan(&c.UserID, &c.Data, &c.Failures, &c.ExpiresAt)
	if err == sql.ErrNoRows {
		return nil, errUnauthorized()
	}
	if err != nil {
		return nil, wrap("challenge", err)
	}
	c.ExpiresAt = c.ExpiresAt.UTC()
	return c, nil
}

// SetChallengeData keeps the WebAuthn session of a ceremony.
func (db *DB) SetChallengeData(ctx context.Context, token, data string) error {
	if !authn.PlausibleSecret(token, "") {
		return errUnauthorized()
	}
	_, err := db.write.ExecContext(ctx, db.q(`UPDATE mfa_challenges SET data = ? WHERE token_hash = ?`), data, authn.SecretHash(token))
	return wrap("set challenge data", err)
}

// FailChallenge counts a wrong code against a ceremony.
func (db *DB) FailChallenge(ctx context.Context, token string) (int, error) {
	if !authn.PlausibleSecret(token, "") {
		return 0, errUnauthorized()
	}
	var n int
	err := db.write.QueryRowContext(ctx, db.q(`UPDATE mfa_challenges SET failures = failures + 1 WHERE token_hash = ? RETURNING failures`),
		authn.SecretHash(token)).Scan(&n)
	if err == sql.ErrNoRows {
		return 0, errUnauthorized()
	}
	return n, wrap("fail challenge", err)
}

// DeleteChallenge ends a ceremony; ending one that does not exist is no
// error.
func (db *DB) DeleteChallenge(ctx context.Context, token string) error {
	if !authn.PlausibleSecret(token, "") {
		return nil
	}
	_, err := db.write.ExecContext(ctx, db.q(`DELETE FROM mfa_challenges WHERE token_hash = ?`), authn.SecretHash(token))
	return wrap("delete challenge", err)
}

// ResetMFA removes every second factor of a user of a home, for someone who
// lost them all; an administrator is then held at enrolment again.
func (db *DB) ResetMFA(ctx context.Context, home, email string) error {
	email = partnerhub.NormalizeEmail(email)
	return wrap("reset mfa", db.tx(ctx, func(tx *sql.Tx) error {
		id, err := db.userOfHome(ctx, tx, home, email)
		if err != nil {
			return err
		}
		for _, table := range []string{"mfa_totp", "mfa_recovery_codes", "mfa_passkeys", "mfa_challenges"} {
			if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM `+table+` WHERE user_id = ?`), id); err != nil {
				return err
			}
		}
		if err := db.auditAccountAction(ctx, tx, home, id, func(u *userState) { u.FactorsReset = true }); err != nil {
			return err
		}
		return db.securityNotice(ctx, tx, id, mail.FactorsReset, time.Now())
	}))
}
