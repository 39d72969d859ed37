package store

// Accounts: users and their passwords, sessions, API tokens and the
// throttling of sign-in attempts. Secrets never reach the database in clear:
// passwords are stored as argon2id hashes, session and API tokens as SHA-256
// hashes of the random values the clients hold.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"partnerhub"
)

// Sign-in throttling: after this many failures within FailureWindow for one
// e-mail address, or for one IP address, sign-in is refused without checking
// the password until the window has passed.
const (
	MaxFailuresPerEmail = 5
	MaxFailuresPerIP    = 30
	FailureWindow       = 15 * time.Minute
)

// APIToken is a bearer token for the write API. Only its owner creates and
// revokes it; it acts with its owner's role. The raw value is shown once,
// when it is created; the database keeps a hash.
type APIToken struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// Active reports whether the token still works.
func (t APIToken) Active() bool { return t.RevokedAt == nil }

// TokenPrefix starts every raw API token, so that a leaked one is easy to
// recognise (secret scanners, logs).
const TokenPrefix = "ph_"

// maxTokenNameLen bounds a token's name, in characters.
const maxTokenNameLen = 100

// dbTime is a time as both engines store it: UTC, microsecond precision
// (PostgreSQL's). SQLite keeps times as text that then sorts correctly.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// ---- passwords -------------------------------------------------------------

// argonParams are argon2id's cost parameters: memory in KiB, passes, lanes.
type argonParams struct {
	m, t uint32
	p    uint8
}

// passwordParams are the parameters of new hashes (OWASP's recommendation
// for argon2id). Stored hashes carry their own parameters, so these can be
// raised later: a hash with other parameters is replaced at the next
// successful sign-in.
var passwordParams = argonParams{m: 19456, t: 2, p: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// hashPassword returns the PHC string of a new argon2id hash of pw:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>, base64 without padding.
func hashPassword(pw string) string {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	return encodeHash(passwordParams, salt, argon2.IDKey([]byte(pw), salt, passwordParams.t, passwordParams.m, passwordParams.p, keyLen))
}

func encodeHash(a argonParams, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, a.m, a.t, a.p, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// parseHash reads a PHC argon2id string. Parameters outside sane bounds are
// refused, so that a damaged row cannot make a sign-in allocate gigabytes.
func parseHash(s string) (a argonParams, salt, key []byte, ok bool) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return a, nil, nil, false
	}
	var m, t, p uint64
	for kv := range strings.SplitSeq(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return a, nil, nil, false
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			p = n
		default:
			return a, nil, nil, false
		}
	}
	if p < 1 || p > 16 || t < 1 || t > 64 || m < 8*p || m > 1<<20 {
		return a, nil, nil, false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(salt) > 64 || len(key) < 16 || len(key) > 64 {
		return a, nil, nil, false
	}
	return argonParams{m: uint32(m), t: uint32(t), p: uint8(p)}, salt, key, true
}

// dummyHash is verified against when there is no real hash to check (an
// unknown e-mail address, a damaged row), so that the answer takes as long
// as for a real user and does not tell which addresses exist.
var dummyHash = sync.OnceValue(func() string { return hashPassword(rand.Text()) })

// verifyPassword checks pw against a stored hash in constant time. stale
// reports a hash made with other parameters than today's.
func verifyPassword(encoded, pw string) (ok, stale bool) {
	a, salt, key, valid := parseHash(encoded)
	if !valid {
		a, salt, key, _ = parseHash(dummyHash())
	}
	got := argon2.IDKey([]byte(pw), salt, a.t, a.m, a.p, uint32(len(key)))
	ok = subtle.ConstantTimeCompare(got, key) == 1 && valid
	return ok, a != passwordParams || len(salt) != saltLen || len(key) != keyLen
}

// ---- secrets ---------------------------------------------------------------

// newSecret returns a random token (32 bytes, base64url) with a prefix, and
// the hash the database keeps.
func newSecret(prefix string) (raw, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	raw = prefix + base64.RawURLEncoding.EncodeToString(b)
	return raw, secretHash(raw)
}

func secretHash(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

// plausibleSecret filters out values that cannot be tokens before they reach
// a query.
func plausibleSecret(raw, prefix string) bool {
	return strings.HasPrefix(raw, prefix) && len(raw) == len(prefix)+43
}

// ---- users -----------------------------------------------------------------

func errUserNotFound(key any) error {
	return partnerhub.Errorf(partnerhub.ENotFound, "error.user_not_found", key)
}

func errSignin() error { return partnerhub.Errorf(partnerhub.EUnauthorized, "error.signin_failed") }

func errUnauthorized() error {
	return partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
}

// userSelect reads users with their home's slug; queries append conditions.
const (
	userCols   = `SELECT u.id, h.slug, u.email, u.name, u.role, u.disabled, u.created_at, u.version`
	userFrom   = ` FROM users u JOIN home_institutions h ON h.id = u.home_id`
	userSelect = userCols + userFrom
)

type rowScanner interface{ Scan(dest ...any) error }

// scanUser reads the columns of userSelect, then any extra ones.
func scanUser(row rowScanner, extra ...any) (*partnerhub.User, error) {
	u := &partnerhub.User{Units: []string{}}
	var role string
	if err := row.Scan(append([]any{&u.ID, &u.Home, &u.Email, &u.Name, &role, &u.Disabled, &u.CreatedAt, &u.Version}, extra...)...); err != nil {
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
	rows, err := db.read.QueryContext(ctx, db.q(userSelect+` WHERE h.slug = ? ORDER BY u.email`), home)
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
	pwErr := partnerhub.ValidatePassword(password)
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
		hash = hashPassword(password)
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
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
		err = tx.QueryRowContext(ctx, db.q(`INSERT INTO users (home_id, email, name, password_hash, role, disabled, created_at, version)
			VALUES (?, ?, ?, ?, ?, ?, ?, 1) RETURNING id`), homeID, nu.Email, nu.Name, hash, string(nu.Role), nu.Disabled, nu.CreatedAt).Scan(&nu.ID)
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

// SetPassword gives a user of a home a new password. Their sessions end
// (API tokens stay) and their failed sign-ins are forgotten.
func (db *DB) SetPassword(ctx context.Context, home, email, password string) error {
	email = partnerhub.NormalizeEmail(email)
	if err := partnerhub.ValidatePassword(password); err != nil {
		return err
	}
	hash := hashPassword(password)
	return db.tx(ctx, func(tx *sql.Tx) error {
		id, err := db.userOfHome(ctx, tx, home, email)
		if err != nil {
			return err
		}
		for _, st := range []struct {
			q    string
			args []any
		}{
			{`UPDATE users SET password_hash = ?, version = version + 1 WHERE id = ?`, []any{hash, id}},
			{`DELETE FROM sessions WHERE user_id = ?`, []any{id}},
			{`DELETE FROM login_failures WHERE email = ?`, []any{email}},
		} {
			if _, err := tx.ExecContext(ctx, db.q(st.q), st.args...); err != nil {
				return err
			}
		}
		homeID, err := db.homeID(ctx, tx, home)
		if err != nil {
			return err
		}
		return db.auditUser(ctx, tx, homeID, partnerhub.ActionUpdate, id, userState{Email: email}, userState{Email: email, PasswordChanged: true})
	})
}

// ---- sign-in ---------------------------------------------------------------

// maxPasswordBytes bounds what sign-in hashes; ValidatePassword allows less.
const maxPasswordBytes = 4096

// Authenticate checks an e-mail address and password. An unknown address, a
// wrong password and a disabled user get the same EUnauthorized error
// ("error.signin_failed") after the same work, and count as a failure of
// that address and of ip. After MaxFailuresPerEmail failures of the address,
// or MaxFailuresPerIP of ip, within FailureWindow, it refuses with
// partnerhub.ETooMany before looking at the password. A success forgets the
// address's failures.
func (db *DB) Authenticate(ctx context.Context, email, password, ip string, now time.Time) (*partnerhub.User, error) {
	email = partnerhub.NormalizeEmail(email)
	if len(email) > 254 {
		email = email[:254] // what is stored of an absurd attempt
	}
	email = strings.ToValidUTF8(email, "")
	now = dbTime(now)
	since := now.Add(-FailureWindow)
	var byEmail, byIP int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT
		(SELECT count(*) FROM login_failures WHERE email = ? AND at > ?),
		(SELECT count(*) FROM login_failures WHERE ip = ? AND at > ?)`), email, since, ip, since).Scan(&byEmail, &byIP); err != nil {
		return nil, err
	}
	if byEmail >= MaxFailuresPerEmail || (ip != "" && byIP >= MaxFailuresPerIP) {
		return nil, partnerhub.Errorf(partnerhub.ETooMany, "error.signin_throttled", int(FailureWindow/time.Minute))
	}

	var hash string
	u, err := scanUser(db.read.QueryRowContext(ctx, db.q(userCols+`, u.password_hash`+userFrom+` WHERE u.email = ?`), email), &hash)
	if err != nil && err != sql.ErrNoRows {
		return nil, err
	}
	if len(password) > maxPasswordBytes {
		password = password[:maxPasswordBytes] // fails below: no stored password is this long
		hash = ""
	}
	ok, stale := verifyPassword(hash, password) // dummy hash when there is no user
	if u == nil || !ok || u.Disabled {
		if err := db.tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO login_failures (email, ip, at) VALUES (?, ?, ?)`), email, ip, now); err != nil {
				return err
			}
			// Failures older than the window count no more: forget them.
			_, err := tx.ExecContext(ctx, db.q(`DELETE FROM login_failures WHERE at < ?`), now.Add(-24*time.Hour))
			return err
		}); err != nil {
			return nil, err
		}
		return nil, errSignin()
	}
	if _, err := db.write.ExecContext(ctx, db.q(`DELETE FROM login_failures WHERE email = ?`), email); err != nil {
		return nil, err
	}
	if stale {
		// Bring the hash up to today's parameters while the password is at hand.
		if _, err := db.write.ExecContext(ctx, db.q(`UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?`),
			hashPassword(password), u.ID, hash); err != nil {
			return nil, err
		}
	}
	return u, db.withUnits(ctx, u)
}

// ---- sessions --------------------------------------------------------------

// CreateSession starts a session of a user that ends at now+ttl and returns
// its token, for a cookie. The database keeps only the token's hash. Expired
// sessions of anyone are cleaned up on the way.
func (db *DB) CreateSession(ctx context.Context, userID int64, now time.Time, ttl time.Duration) (string, error) {
	now = dbTime(now)
	raw, hash := newSecret("")
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
		_, err = tx.ExecContext(ctx, db.q(`INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`),
			hash, userID, now, now.Add(ttl))
		return err
	})
	if err != nil {
		return "", err
	}
	return raw, nil
}

// SessionUser returns the user of a session token; an unknown or expired
// token, or a disabled user, is EUnauthorized.
func (db *DB) SessionUser(ctx context.Context, token string, now time.Time) (*partnerhub.User, error) {
	if !plausibleSecret(token, "") {
		return nil, errUnauthorized()
	}
	return db.oneUser(ctx, errUnauthorized(), `JOIN sessions s ON s.user_id = u.id
		WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = ?`, secretHash(token), dbTime(now), false)
}

// DeleteSession ends a session. Ending one that does not exist is no error.
func (db *DB) DeleteSession(ctx context.Context, token string) error {
	if !plausibleSecret(token, "") {
		return nil
	}
	_, err := db.write.ExecContext(ctx, db.q(`DELETE FROM sessions WHERE token_hash = ?`), secretHash(token))
	return err
}

// ---- API tokens ------------------------------------------------------------

// lastUsedResolution is how often a token's last use is written: a token
// used constantly costs one write a minute, not one per request.
const lastUsedResolution = time.Minute

// CreateToken makes an API token for a user, named by them. It returns the
// raw token, which is never shown again, and its record.
func (db *DB) CreateToken(ctx context.Context, userID int64, name string, now time.Time) (string, APIToken, error) {
	name = strings.TrimSpace(name)
	errs := partnerhub.FieldErrors{}
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		errs.Add("name", "required")
	case !utf8.ValidString(name):
		errs.Add("name", "bad_utf8")
	case n > maxTokenNameLen:
		errs.Add("name", "too_long_chars", maxTokenNameLen)
	}
	if err := errs.Err(); err != nil {
		return "", APIToken{}, err
	}
	tok := APIToken{UserID: userID, Name: name, CreatedAt: dbTime(now)}
	raw, hash := newSecret(TokenPrefix)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var disabled bool
		err := tx.QueryRowContext(ctx, db.q(`SELECT disabled FROM users WHERE id = ?`), userID).Scan(&disabled)
		if err == sql.ErrNoRows || disabled {
			return errUnauthorized()
		}
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, db.q(`INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id`),
			userID, name, hash, tok.CreatedAt).Scan(&tok.ID)
	})
	if err != nil {
		return "", APIToken{}, err
	}
	return raw, tok, nil
}

// Tokens lists a user's API tokens, revoked ones included, oldest first.
func (db *DB) Tokens(ctx context.Context, userID int64) ([]APIToken, error) {
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT id, user_id, name, created_at, last_used_at, revoked_at
		FROM api_tokens WHERE user_id = ? ORDER BY id`), userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	toks := []APIToken{}
	for rows.Next() {
		var t APIToken
		var used, revoked sql.NullTime
		if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &t.CreatedAt, &used, &revoked); err != nil {
			return nil, err
		}
		t.CreatedAt = t.CreatedAt.UTC()
		t.LastUsedAt, t.RevokedAt = nullTime(used), nullTime(revoked)
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

// TokenUser returns the user of a raw API token and notes its use. An
// unknown or revoked token, or a disabled user, is EUnauthorized.
func (db *DB) TokenUser(ctx context.Context, raw string, now time.Time) (*partnerhub.User, error) {
	if !plausibleSecret(raw, TokenPrefix) {
		return nil, errUnauthorized()
	}
	now = dbTime(now)
	var tokenID int64
	var used sql.NullTime
	u, err := scanUser(db.read.QueryRowContext(ctx, db.q(userCols+`, t.id, t.last_used_at`+userFrom+`
		JOIN api_tokens t ON t.user_id = u.id
		WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.disabled = ?`), secretHash(raw), false), &tokenID, &used)
	if err == sql.ErrNoRows {
		return nil, errUnauthorized()
	}
	if err != nil {
		return nil, err
	}
	if !used.Valid || now.Sub(used.Time) >= lastUsedResolution {
		if _, err := db.write.ExecContext(ctx, db.q(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`), now, tokenID); err != nil {
			return nil, err
		}
	}
	return u, db.withUnits(ctx, u)
}
