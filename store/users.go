package store

// Accounts as data: users with their password hashes, sessions, API tokens
// and failed sign-ins. How passwords are hashed and checked, how secrets are
// made and when sign-in is throttled is package authn's: the database sees
// only hashes (argon2id for passwords, SHA-256 of the random values clients
// hold for sessions and tokens).

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"partnerhub"
	"partnerhub/authn"
)

// APIToken is the domain's.
type APIToken = partnerhub.APIToken

// TokenPrefix starts every raw API token.
const TokenPrefix = authn.TokenPrefix

// maxTokenNameLen bounds a token's name, in characters.
const maxTokenNameLen = 100

// dbTime is a time as both engines store it: UTC, microsecond precision
// (PostgreSQL's). SQLite keeps times as text that then sorts correctly.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// ---- users -----------------------------------------------------------------

func errUserNotFound(key any) error {
	return partnerhub.Errorf(partnerhub.ENotFound, "error.user_not_found", key)
}

func errUnauthorized() error {
	return partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
}

// userSelect reads users with their home's slug; queries append conditions.
const (
	userCols   = `SELECT u.id, h.slug, u.email, u.name, u.role, u.disabled, u.created_at, u.version, u.must_change_password, u.network_admin, u.network_editor`
	userFrom   = ` FROM users u JOIN home_institutions h ON h.id = u.home_id`
	userSelect = userCols + userFrom
)

type rowScanner interface{ Scan(dest ...any) error }

// scanUser reads the columns of userSelect, then any extra ones.
func scanUser(row rowScanner, extra ...any) (*partnerhub.User, error) {
	u := &partnerhub.User{Units: []string{}}
	var role string
	if err := row.Scan(append([]any{&u.ID, &u.Home, &u.Email, &u.Name, &role, &u.Disabled, &u.CreatedAt, &u.Version, &u.MustChangePassword, &u.NetworkAdmin, &u.NetworkEditor}, extra...)...); err != nil {
		return nil, err
	}
	u.Role = partnerhub.Role(role)
	u.CreatedAt = u.CreatedAt.UTC()
	return u, nil
}

// withUnits fills in the unit codes of users, in the home's unit order.
func (db *DB) withUnits(ctx context.Context, users ...*partnerhub.User) error {
	if len(users) == 0 {
		return nil
	}
	byID := make(map[int64]*partnerhub.User, len(users))
	args := make([]any, len(users))
	for i, u := range users {
		byID[u.ID] = u
		args[i] = u.ID
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT uu.user_id, un.code FROM user_units uu JOIN units un ON un.id = uu.unit_id
		WHERE uu.user_id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(users)), ", ")+`) ORDER BY un.position, un.code`), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			return err
		}
		byID[id].Units = append(byID[id].Units, code)
	}
	return rows.Err()
}

// oneUser runs a query of userSelect that names at most one user.
func (db *DB) oneUser(ctx context.Context, notFound error, where string, args ...any) (*partnerhub.User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, db.q(userSelect+" "+where), args...))
	if err == sql.ErrNoRows {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	return u, db.withUnits(ctx, u)
}

// UserByEmail returns the user with an e-mail address (any case).
func (db *DB) UserByEmail(ctx context.Context, email string) (*partnerhub.User, error) {
	email = partnerhub.NormalizeEmail(email)
	return db.oneUser(ctx, errUserNotFound(email), `WHERE u.email = ?`, email)
}

// UserByID returns a user by id.
func (db *DB) UserByID(ctx context.Context, id int64) (*partnerhub.User, error) {
	return db.oneUser(ctx, errUserNotFound(id), `WHERE u.id = ?`, id)
}

// Users lists the users of a home institution by e-mail address.
func (db *DB) Users(ctx context.Context, home string) ([]*partnerhub.User, error) {
	if _, err := db.homeID(ctx, db.read, home); err != nil {
		return nil, err
	}
	return db.queryUsers(ctx, db.read, ` WHERE h.slug = ? ORDER BY u.email`, home)
}

// queryUsers runs a query of userSelect and returns its users with their
// units; never nil.
func (db *DB) queryUsers(ctx context.Context, q querier, where string, args ...any) ([]*partnerhub.User, error) {
	rows, err := q.QueryContext(ctx, db.q(userSelect+where), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	users := []*partnerhub.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return users, db.withUnits(ctx, users...)
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (db *DB) homeID(ctx context.Context, q queryRower, home string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, db.q(`SELECT id FROM home_institutions WHERE slug = ?`), home).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, notFound("error.home_not_found", home)
	}
	return id, err
}

// addFields copies the field errors of a validation error into errs.
func addFields(errs partnerhub.FieldErrors, err error) error {
	if err == nil {
		return nil
	}
	var e *partnerhub.Error
	if !errors.As(err, &e) || e.Code != partnerhub.EInvalid {
		return err
	}
	for f, fe := range e.Fields {
		errs.Add(f, fe.Key, fe.Args...)
	}
	return nil
}

// CreateUser adds a user to a home institution with a password. The e-mail
// address is normalized and must be unused (in any home); a coordinator's
// units are unit codes of the home. Bad input is an EInvalid error with a
// message per field, and nothing is written.
func (db *DB) CreateUser(ctx context.Context, home string, u *partnerhub.User, password string) (*partnerhub.User, error) {
	nu := *u
	nu.ID, nu.Home, nu.Version = 0, home, 1
	nu.Email = partnerhub.NormalizeEmail(u.Email)
	nu.Name = strings.TrimSpace(u.Name)
	nu.CreatedAt = dbTime(time.Now())
	nu.Units = []string{}
	for _, c := range u.Units {
		if c = strings.TrimSpace(c); c != "" {
			nu.Units = append(nu.Units, c)
		}
	}
	errs := partnerhub.FieldErrors{}
	if err := addFields(errs, nu.Validate()); err != nil {
		return nil, err
	}
	pwCtx, err := db.passwordContext(ctx, home, nu.Name, nu.Email)
	if err != nil {
		return nil, err
	}
	pwErr := authn.CheckPassword(password, pwCtx)
	if err := addFields(errs, pwErr); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i, c := range nu.Units {
		if seen[c] {
			errs.Add("units["+strconv.Itoa(i)+"]", "duplicate", c)
		}
		seen[c] = true
	}
	// Hash before the transaction: it is the slow part, and SQLite has one writer.
	var hash string
	if pwErr == nil && len(errs) == 0 {
		hash = authn.HashPassword(password)
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		homeID, err := db.homeID(ctx, tx, home)
		if err != nil {
			return err
		}
		var taken int
		if err := tx.QueryRowContext(ctx, db.q(`SELECT count(*) FROM users WHERE email = ?`), nu.Email).Scan(&taken); err != nil {
			return err
		}
		var unitIDs []int64
		for i, c := range nu.Units {
			var id int64
			err := tx.QueryRowContext(ctx, db.q(`SELECT id FROM units WHERE home_id = ? AND code = ? AND deleted_at IS NULL`), homeID, c).Scan(&id)
			if err == sql.ErrNoRows {
				errs.Add("units["+strconv.Itoa(i)+"]", "unknown_unit", c)
				continue
			}
			if err != nil {
				return err
			}
			unitIDs = append(unitIDs, id)
		}
		if err := errs.Err(); err != nil {
			return err
		}
		if taken > 0 {
			return errEmailTaken(nu.Email)
		}
		err = tx.QueryRowContext(ctx, db.q(`INSERT INTO users (home_id, email, name, password_hash, role, disabled, created_at, version, must_change_password, network_admin)
			VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?) RETURNING id`), homeID, nu.Email, nu.Name, hash, string(nu.Role), nu.Disabled, nu.CreatedAt, nu.MustChangePassword, nu.NetworkAdmin).Scan(&nu.ID)
		if db.dialect.isUnique(err) {
			return errEmailTaken(nu.Email)
		}
		if err != nil {
			return err
		}
		for _, id := range unitIDs {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO user_units (user_id, unit_id) VALUES (?, ?)`), nu.ID, id); err != nil {
				return err
			}
		}
		return db.auditUser(ctx, tx, homeID, partnerhub.ActionCreate, nu.ID, nil, &nu)
	})
	if err != nil {
		return nil, err
	}
	return &nu, nil
}

// auditUser records a change of an account in the audit log. Accounts are
// managed from the command line, so the actor is the system; a password
// never appears, only that it was set.
func (db *DB) auditUser(ctx context.Context, tx *sql.Tx, homeID int64, action partnerhub.Action, userID int64, before, after any) error {
	enc := func(v any) any {
		if v == nil {
			return nil
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	var email string
	var version int
	if err := tx.QueryRowContext(ctx, db.q(`SELECT email, version FROM users WHERE id = ?`), userID).Scan(&email, &version); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO audit_events (home_id, at, user_id, actor, action, entity, entity_key, version, before_json, after_json)
		VALUES (?, ?, NULL, 'system', ?, ?, ?, ?, ?, ?)`), homeID, dbTime(time.Now()), action, partnerhub.EntityUser, email, version, enc(before), enc(after))
	return err
}

// userState is an account as the audit log shows it.
type userState struct {
	Email           string `json:"email"`
	Disabled        bool   `json:"disabled"`
	PasswordChanged bool   `json:"password_changed,omitempty"`
	NetworkAdmin    bool   `json:"network_admin,omitempty"`
	NetworkEditor   bool   `json:"network_editor,omitempty"`
	FactorsReset    bool   `json:"factors_reset,omitempty"`  // user reset-mfa
	SessionsEnded   bool   `json:"sessions_ended,omitempty"` // user signout
}

func errEmailTaken(email string) error {
	return &partnerhub.Error{Code: partnerhub.EConflict, Message: "error.email_taken", Args: []any{email},
		Fields: partnerhub.FieldErrors{"email": {Key: "email_taken"}}}
}

// userOfHome returns the id of a user of a home, in a transaction.
func (db *DB) userOfHome(ctx context.Context, tx *sql.Tx, home, email string) (int64, error) {
	homeID, err := db.homeID(ctx, tx, home)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRowContext(ctx, db.q(`SELECT id FROM users WHERE home_id = ? AND email = ?`), homeID, email).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, errUserNotFound(email)
	}
	return id, err
}

// DisableUser stops a user of a home from signing in: their sessions end and
// their API tokens are revoked. The user stays, for the audit log.
func (db *DB) DisableUser(ctx context.Context, home, email string) error {
	email = partnerhub.NormalizeEmail(email)
	now := dbTime(time.Now())
	return db.tx(ctx, func(tx *sql.Tx) error {
		id, err := db.userOfHome(ctx, tx, home, email)
		if err != nil {
			return err
		}
		for _, st := range []struct {
			q    string
			args []any
		}{
			{`UPDATE users SET disabled = ?, version = version + 1 WHERE id = ?`, []any{true, id}},
			{`DELETE FROM sessions WHERE user_id = ?`, []any{id}},
			{`UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, []any{now, id}},
			{`DELETE FROM calendar_feeds WHERE user_id = ?`, []any{id}},
		} {
			if _, err := tx.ExecContext(ctx, db.q(st.q), st.args...); err != nil {
				return err
			}
		}
		homeID, err := db.homeID(ctx, tx, home)
		if err != nil {
			return err
		}
		return db.auditUser(ctx, tx, homeID, partnerhub.ActionUpdate, id, userState{Email: email}, userState{Email: email, Disabled: true})
	})
}

// EnableUser lets a disabled user of a home sign in again. Their old
// sessions and tokens stay ended: they sign in afresh.
func (db *DB) EnableUser(ctx context.Context, home, email string) error {
	email = partnerhub.NormalizeEmail(email)
	return db.tx(ctx, func(tx *sql.Tx) error {
		id, err := db.userOfHome(ctx, tx, home, email)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE users SET disabled = ?, version = version + 1 WHERE id = ?`), false, id); err != nil {
			return err
		}
		homeID, err := db.homeID(ctx, tx, home)
		if err != nil {
			return err
		}
		return db.auditUser(ctx, tx, homeID, partnerhub.ActionUpdate, id, userState{Email: email, Disabled: true}, userState{Email: email})
	})
}

// ---- sign-in ---------------------------------------------------------------

// PasswordUser returns the user with an e-mail address (normalized) and
// their password hash, for authn.Passwords.
func (db *DB) PasswordUser(ctx context.Context, email string) (*partnerhub.User, string, error) {
	var hash string
	u, err := scanUser(db.read.QueryRowContext(ctx, db.q(userCols+`, u.password_hash`+userFrom+` WHERE u.email = ?`), email), &hash)
	if err == sql.ErrNoRows {
		return nil, "", errUserNotFound(email)
	}
	if err != nil {
		return nil, "", wrap("read user", err)
	}
	return u, hash, wrap("read user units", db.withUnits(ctx, u))
}

// ReplacePasswordHash sets a user's password hash to next, if it is still old.
func (db *DB) ReplacePasswordHash(ctx context.Context, userID int64, old, next string) error {
	_, err := db.write.ExecContext(ctx, db.q(`UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?`), next, userID, old)
	return wrap("replace password hash", err)
}

// The failed sign-ins that throttle the next ones are in throttle.go.
