package store

// API tokens: a program's credential for the API, made on the account page.
// Each one expires (TokenSpec.Days) and is read-only or read-write; the
// database keeps its hash.

import (
	"context"
	"database/sql"
	"strings"
	"time"
	"unicode/utf8"

	"partnerhub"
	"partnerhub/authn"
)

// lastUsedResolution is how often a token's last use is written: a token
// used constantly costs one write a minute, not one per request.
const lastUsedResolution = time.Minute

// CreateToken makes an API token for a user, named by them, with the scope
// and lifetime chosen (read-only and DefaultTokenLifetime when not). It
// returns the raw token, which is never shown again, and its record.
func (db *DB) CreateToken(ctx context.Context, userID int64, spec partnerhub.TokenSpec, now time.Time) (string, APIToken, error) {
	name := strings.TrimSpace(spec.Name)
	if spec.Scope == "" {
		spec.Scope = partnerhub.ScopeRead
	}
	if spec.Days == 0 {
		spec.Days = partnerhub.DefaultTokenLifetime
	}
	errs := partnerhub.FieldErrors{}
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		errs.Add("name", "required")
	case !utf8.ValidString(name):
		errs.Add("name", "bad_utf8")
	case n > maxTokenNameLen:
		errs.Add("name", "too_long_chars", maxTokenNameLen)
	}
	spec.Validate(errs)
	if err := errs.Err(); err != nil {
		return "", APIToken{}, err
	}
	expires := dbTime(now).AddDate(0, 0, spec.Days)
	tok := APIToken{UserID: userID, Name: name, CreatedAt: dbTime(now), ExpiresAt: &expires, Scope: spec.Scope}
	raw, hash := authn.NewSecret(TokenPrefix)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var disabled bool
		err := tx.QueryRowContext(ctx, db.q(`SELECT disabled FROM users WHERE id = ?`), userID).Scan(&disabled)
		if err == sql.ErrNoRows || disabled {
			return errUnauthorized()
		}
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, db.q(`INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at, scope) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
			userID, name, hash, tok.CreatedAt, expires, string(spec.Scope)).Scan(&tok.ID)
	})
	if err != nil {
		return "", APIToken{}, err
	}
	return raw, tok, nil
}

// Tokens lists a user's API tokens, revoked and expired ones included, oldest first.
func (db *DB) Tokens(ctx context.Context, userID int64) ([]APIToken, error) {
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT id, user_id, name, created_at, last_used_at, revoked_at, expires_at, scope
		FROM api_tokens WHERE user_id = ? ORDER BY id`), userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	toks := []APIToken{}
	for rows.Next() {
		var t APIToken
		var used, revoked, expires sql.NullTime
		var scope string
		if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &t.CreatedAt, &used, &revoked, &expires, &scope); err != nil {
			return nil, err
		}
		t.CreatedAt = t.CreatedAt.UTC()
		t.LastUsedAt, t.RevokedAt, t.ExpiresAt = nullTime(used), nullTime(revoked), nullTime(expires)
		t.Scope = partnerhub.TokenScope(scope)
		toks = append(toks, t)
	}
	return toks, rows.Err()
}

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// RevokeToken revokes one of a user's API tokens. Someone else's token, or
// none, is ENotFound; revoking a revoked token changes nothing.
func (db *DB) RevokeToken(ctx context.Context, userID, tokenID int64, now time.Time) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var revoked sql.NullTime
		err := tx.QueryRowContext(ctx, db.q(`SELECT revoked_at FROM api_tokens WHERE id = ? AND user_id = ?`), tokenID, userID).Scan(&revoked)
		if err == sql.ErrNoRows {
			return partnerhub.Errorf(partnerhub.ENotFound, "error.token_not_found", tokenID)
		}
		if err != nil || revoked.Valid {
			return err
		}
		_, err = tx.ExecContext(ctx, db.q(`UPDATE api_tokens SET revoked_at = ? WHERE id = ?`), dbTime(now), tokenID)
		return err
	})
}

// TokenUser returns the user of a raw API token and the token, and notes
// its use. An unknown, revoked or expired token, or a disabled user, is
// EUnauthorized.
func (db *DB) TokenUser(ctx context.Context, raw string, now time.Time) (*partnerhub.User, APIToken, error) {
	if !authn.PlausibleSecret(raw, TokenPrefix) {
		return nil, APIToken{}, errUnauthorized()
	}
	now = dbTime(now)
	var t APIToken
	var used, expires sql.NullTime
	var scope string
	u, err := scanUser(db.read.QueryRowContext(ctx, db.q(userCols+`, t.id, t.name, t.created_at, t.last_used_at, t.expires_at, t.scope`+userFrom+`
		JOIN api_tokens t ON t.user_id = u.id
		WHERE t.token_hash = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?) AND u.disabled = ?`),
		authn.SecretHash(raw), now, false), &t.ID, &t.Name, &t.CreatedAt, &used, &expires, &scope)
	if err == sql.ErrNoRows {
		return nil, APIToken{}, errUnauthorized()
	}
	if err != nil {
		return nil, APIToken{}, err
	}
	t.UserID, t.Scope = u.ID, partnerhub.TokenScope(scope)
	t.CreatedAt = t.CreatedAt.UTC()
	t.LastUsedAt, t.ExpiresAt = nullTime(used), nullTime(expires)
	if !used.Valid || now.Sub(used.Time) >= lastUsedResolution {
		if _, err := db.write.ExecContext(ctx, db.q(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`), now, t.ID); err != nil {
			return nil, APIToken{}, err
		}
	}
	return u, t, db.withUnits(ctx, u)
}
