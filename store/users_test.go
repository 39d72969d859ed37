package store_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/dataset"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// acctDB is a migrated database holding the built-in data, and a plain
// connection to it for looking at rows as they are stored.
func acctDB(t *testing.T, e storetest.Engine) (*store.DB, *sql.DB) {
	t.Helper()
	ctx := context.Background()
	dbURL := e.URL(t)
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.ImportCatalog(ctx, builtin(t)); err != nil {
		t.Fatal(err)
	}
	driver, dsn := "pgx", dbURL
	if path, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
		driver, dsn = "sqlite", "file:"+path+"?"+url.Values{"_pragma": {"busy_timeout(5000)"}}.Encode()
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return db, raw
}

func rebind(db *store.DB, q string) string {
	if db.Engine() != "postgres" {
		return q
	}
	n := 0
	var b strings.Builder
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

const goodPassword = "correct horse battery staple"

// signIn signs in to the built-in home with the password provider over db.
func signIn(ctx context.Context, db *store.DB, email, password, ip string, at time.Time) (*partnerhub.User, error) {
	return authn.NewPasswords(db).Authenticate(ctx, "utokyo", partnerhub.Credentials{Email: email, Password: password, IP: ip, At: at})
}

func acctUser(t *testing.T, db *store.DB, email string, role partnerhub.Role, units ...string) *partnerhub.User {
	t.Helper()
	u, err := db.CreateUser(context.Background(), "utokyo", &partnerhub.User{Email: email, Name: "Test " + email, Role: role, Units: units}, goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	wantCode(t, err, partnerhub.EInvalid)
	e := err.(*partnerhub.Error)
	for _, f := range fields {
		if _, ok := e.Fields[f]; !ok {
			t.Errorf("no error for field %q in %v", f, err)
		}
	}
	if len(e.Fields) != len(fields) {
		t.Errorf("fields in error: %v, want exactly %v", e.Fields, fields)
	}
}

func TestUsers(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, raw := acctDB(t, e)

		t.Run("create and read back", func(t *testing.T) {
			u, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "  Hanako.Tanaka@Example.AC.jp ", Name: " 田中 花子 ", Role: partnerhub.RoleCoordinator, Units: []string{"eng", "law"}}, goodPassword)
			if err != nil {
				t.Fatal(err)
			}
			if u.ID == 0 || u.Email != "hanako.tanaka@example.ac.jp" || u.Name != "田中 花子" || u.Home != "utokyo" || u.Version != 1 || u.CreatedAt.IsZero() {
				t.Fatalf("created %+v", u)
			}
			byEmail, err := db.UserByEmail(ctx, "HANAKO.tanaka@example.ac.jp")
			if err != nil {
				t.Fatal(err)
			}
			// Units come back in the home's order (law before eng).
			want := *u
			want.Units = []string{"law", "eng"}
			if !reflect.DeepEqual(byEmail, &want) {
				t.Fatalf("UserByEmail = %+v, want %+v", byEmail, &want)
			}
			byID, err := db.UserByID(ctx, u.ID)
			if err != nil || !reflect.DeepEqual(byID, &want) {
				t.Fatalf("UserByID = %+v, %v", byID, err)
			}
			acctUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
			all, err := db.Users(ctx, "utokyo")
			if err != nil {
				t.Fatal(err)
			}
			var emails []string
			for _, u := range all {
				emails = append(emails, u.Email)
			}
			if !reflect.DeepEqual(emails, []string{"admin@example.ac.jp", "hanako.tanaka@example.ac.jp"}) {
				t.Fatalf("Users = %v", emails)
			}
			if !reflect.DeepEqual(all[1].Units, []string{"law", "eng"}) || len(all[0].Units) != 0 {
				t.Fatalf("units in Users: %v, %v", all[0].Units, all[1].Units)
			}
		})

		t.Run("a duplicate e-mail address is a conflict on the field", func(t *testing.T) {
			_, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "ADMIN@example.ac.jp", Name: "Again", Role: partnerhub.RoleViewer}, goodPassword)
			wantCode(t, err, partnerhub.EConflict)
			if e := err.(*partnerhub.Error); e.Message != "error.email_taken" || e.Fields["email"].Key != "email_taken" {
				t.Fatalf("err = %v", err)
			}
		})

		t.Run("invalid input names each field and writes nothing", func(t *testing.T) {
			for _, tc := range []struct {
				u      partnerhub.User
				pw     string
				fields []string
			}{
				{partnerhub.User{Email: "not an address", Name: "", Role: "boss"}, "short", []string{"email", "name", "role", "password"}},
				{partnerhub.User{Email: "c@example.ac.jp", Name: "C", Role: partnerhub.RoleCoordinator}, goodPassword, []string{"units"}},
				{partnerhub.User{Email: "c@example.ac.jp", Name: "C", Role: partnerhub.RoleViewer, Units: []string{"eng"}}, goodPassword, []string{"units"}},
				{partnerhub.User{Email: "c@example.ac.jp", Name: "C", Role: partnerhub.RoleCoordinator, Units: []string{"eng", "nosuch", "eng"}}, goodPassword, []string{"units[1]", "units[2]"}},
			} {
				_, err := db.CreateUser(ctx, "utokyo", &tc.u, tc.pw)
				wantFields(t, err, tc.fields...)
			}
			if _, err := db.UserByEmail(ctx, "c@example.ac.jp"); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
				t.Fatalf("a refused user was written: %v", err)
			}
			_, err := db.CreateUser(ctx, "nowhere", &partnerhub.User{Email: "d@example.ac.jp", Name: "D", Role: partnerhub.RoleViewer}, goodPassword)
			wantCode(t, err, partnerhub.ENotFound)
			_, err = db.UserByID(ctx, 999999)
			wantCode(t, err, partnerhub.ENotFound)
		})

		t.Run("passwords are never stored in clear", func(t *testing.T) {
			u := acctUser(t, db, "clear@example.ac.jp", partnerhub.RoleViewer)
			var hash string
			if err := raw.QueryRow(rebind(db, `SELECT password_hash FROM users WHERE id = ?`), u.ID).Scan(&hash); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(hash, goodPassword) || strings.Contains(hash, "horse") {
				t.Fatalf("the password is in the row: %q", hash)
			}
			if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Count(hash, "$") != 5 {
				t.Fatalf("hash %q is not a PHC argon2id string", hash)
			}
			// Two users with the same password get different hashes (salt).
			v := acctUser(t, db, "clear2@example.ac.jp", partnerhub.RoleViewer)
			var hash2 string
			raw.QueryRow(rebind(db, `SELECT password_hash FROM users WHERE id = ?`), v.ID).Scan(&hash2)
			if hash == hash2 {
				t.Fatal("same hash for two users: no salt")
			}
		})
	})
}

func TestAuthenticate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, raw := acctDB(t, e)
		now := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
		u := acctUser(t, db, "sato@example.ac.jp", partnerhub.RoleCoordinator, "eng")
		failures := func(email string) int {
			var n int
			if err := raw.QueryRow(rebind(db, `SELECT count(*) FROM login_failures WHERE email = ?`), email).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		t.Run("the right password signs in, any case of the address", func(t *testing.T) {
			got, err := signIn(ctx, db, " Sato@Example.ac.jp", goodPassword, "192.0.2.1", now)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != u.ID || !reflect.DeepEqual(got.Units, []string{"eng"}) || got.Role != partnerhub.RoleCoordinator {
				t.Fatalf("got %+v", got)
			}
		})

		t.Run("wrong password, unknown address and disabled user fail alike", func(t *testing.T) {
			acctUser(t, db, "gone@example.ac.jp", partnerhub.RoleViewer)
			if err := db.DisableUser(ctx, "utokyo", "gone@example.ac.jp"); err != nil {
				t.Fatal(err)
			}
			for _, c := range [][2]string{
				{"sato@example.ac.jp", goodPassword + "!"},
				{"nobody@example.ac.jp", goodPassword},
				{"gone@example.ac.jp", goodPassword},
			} {
				_, err := signIn(ctx, db, c[0], c[1], "192.0.2.2", now)
				wantCode(t, err, partnerhub.EUnauthorized)
				if err.(*partnerhub.Error).Message != "error.signin_failed" {
					t.Fatalf("%s: %v", c[0], err)
				}
				if failures(c[0]) != 1 {
					t.Fatalf("%s: %d failures recorded, want 1", c[0], failures(c[0]))
				}
			}
			// A success forgets the address's failures.
			if _, err := signIn(ctx, db, "sato@example.ac.jp", goodPassword, "192.0.2.2", now); err != nil {
				t.Fatal(err)
			}
			if n := failures("sato@example.ac.jp"); n != 0 {
				t.Fatalf("%d failures left after a success", n)
			}
		})

		// Throttling: throttle_test.go.

		t.Run("hashes with other parameters verify, and are upgraded", func(t *testing.T) {
			old := acctUser(t, db, "old@example.ac.jp", partnerhub.RoleViewer)
			salt := []byte("0123456789abcdef")
			b64 := base64.RawStdEncoding
			oldHash := "$argon2id$v=19$m=8192,t=1,p=1$" + b64.EncodeToString(salt) + "$" +
				b64.EncodeToString(argon2.IDKey([]byte(goodPassword), salt, 1, 8192, 1, 32))
			set := func(h string) {
				if _, err := raw.Exec(rebind(db, `UPDATE users SET password_hash = ? WHERE id = ?`), h, old.ID); err != nil {
					t.Fatal(err)
				}
			}
			stored := func() string {
				var h string
				raw.QueryRow(rebind(db, `SELECT password_hash FROM users WHERE id = ?`), old.ID).Scan(&h)
				return h
			}
			set(oldHash)
			if _, err := signIn(ctx, db, old.Email, goodPassword+"x", "192.0.2.9", now); partnerhub.ErrorCode(err) != partnerhub.EUnauthorized {
				t.Fatalf("wrong password against an old hash: %v", err)
			}
			if stored() != oldHash {
				t.Fatal("a failed sign-in changed the hash")
			}
			if _, err := signIn(ctx, db, old.Email, goodPassword, "192.0.2.9", now); err != nil {
				t.Fatalf("old hash: %v", err)
			}
			if h := stored(); !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
				t.Fatalf("hash not upgraded: %q", h)
			}
			// A damaged hash is a failed sign-in, not a crash.
			for _, h := range []string{"!", "", "$argon2id$v=19$m=99999999,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "$argon2i$v=19$m=8192,t=1,p=1$" + b64.EncodeToString(salt) + "$AAAAAAAAAAAAAAAAAAAAAA"} {
				set(h)
				if _, err := signIn(ctx, db, old.Email, goodPassword, "192.0.2.10", now); partnerhub.ErrorCode(err) != partnerhub.EUnauthorized {
					t.Fatalf("hash %q: %v", h, err)
				}
			}
		})

		t.Run("a new password ends sessions and works; the old one does not", func(t *testing.T) {
			tok, err := db.CreateSession(ctx, u.ID, now, partnerhub.SessionSpec{TTL: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			err = db.SetPassword(ctx, "utokyo", "sato@example.ac.jp", "short", false)
			wantFields(t, err, "password")
			wantCode(t, db.SetPassword(ctx, "utokyo", "nobody@example.ac.jp", "a much better password", false), partnerhub.ENotFound)
			if err := db.SetPassword(ctx, "utokyo", "SATO@example.ac.jp", "a much better password", false); err != nil {
				t.Fatal(err)
			}
			_, err = db.SessionUser(ctx, tok, now)
			wantCode(t, err, partnerhub.EUnauthorized)
			if _, err := signIn(ctx, db, "sato@example.ac.jp", goodPassword, "192.0.2.3", now.Add(3*time.Hour)); partnerhub.ErrorCode(err) != partnerhub.EUnauthorized {
				t.Fatalf("old password: %v", err)
			}
			if _, err := signIn(ctx, db, "sato@example.ac.jp", "a much better password", "192.0.2.3", now.Add(3*time.Hour)); err != nil {
				t.Fatal(err)
			}
		})
	})
}

func TestSessions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, raw := acctDB(t, e)
		u := acctUser(t, db, "s@example.ac.jp", partnerhub.RoleAdmin)
		now := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)

		tok, err := db.CreateSession(ctx, u.ID, now, partnerhub.SessionSpec{TTL: 12 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) < 43 {
			t.Fatalf("token %q is short", tok)
		}
		var stored string
		if err := raw.QueryRow(`SELECT token_hash FROM sessions`).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored == tok || strings.Contains(stored, tok) || len(stored) != 64 {
			t.Fatalf("stored %q for token %q: want its SHA-256 only", stored, tok)
		}
		got, err := db.SessionUser(ctx, tok, now.Add(11*time.Hour))
		if err != nil || got.ID != u.ID {
			t.Fatalf("SessionUser = %v, %v", got, err)
		}
		_, err = db.SessionUser(ctx, tok, now.Add(12*time.Hour))
		wantCode(t, err, partnerhub.EUnauthorized)
		for _, bad := range []string{"", "x", tok + "x", strings.ToUpper(tok)} {
			_, err = db.SessionUser(ctx, bad, now)
			wantCode(t, err, partnerhub.EUnauthorized)
		}

		// A new session cleans up the expired ones.
		tok2, err := db.CreateSession(ctx, u.ID, now.Add(13*time.Hour), partnerhub.SessionSpec{TTL: 12 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		raw.QueryRow(`SELECT count(*) FROM sessions`).Scan(&n)
		if n != 1 {
			t.Fatalf("%d sessions, want the expired one cleaned up", n)
		}
		if err := db.DeleteSession(ctx, tok2); err != nil {
			t.Fatal(err)
		}
		_, err = db.SessionUser(ctx, tok2, now.Add(13*time.Hour))
		wantCode(t, err, partnerhub.EUnauthorized)
		if err := db.DeleteSession(ctx, tok2); err != nil {
			t.Fatalf("deleting twice: %v", err)
		}

		// Disabling a user ends their sessions, and they cannot start one.
		tok3, _ := db.CreateSession(ctx, u.ID, now, partnerhub.SessionSpec{TTL: time.Hour})
		if err := db.DisableUser(ctx, "utokyo", "s@example.ac.jp"); err != nil {
			t.Fatal(err)
		}
		_, err = db.SessionUser(ctx, tok3, now)
		wantCode(t, err, partnerhub.EUnauthorized)
		_, err = db.CreateSession(ctx, u.ID, now, partnerhub.SessionSpec{TTL: time.Hour})
		wantCode(t, err, partnerhub.EUnauthorized)
		got, _ = db.UserByID(ctx, u.ID)
		if !got.Disabled || got.Version != 2 {
			t.Fatalf("after disable: %+v", got)
		}
		wantCode(t, db.DisableUser(ctx, "utokyo", "nobody@example.ac.jp"), partnerhub.ENotFound)
		wantCode(t, db.DisableUser(ctx, "nowhere", "s@example.ac.jp"), partnerhub.ENotFound)
	})
}

func TestAPITokens(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, raw := acctDB(t, e)
		u := acctUser(t, db, "t@example.ac.jp", partnerhub.RoleCoordinator, "sci")
		other := acctUser(t, db, "o@example.ac.jp", partnerhub.RoleViewer)
		now := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)

		_, _, err := db.CreateToken(ctx, u.ID, partnerhub.TokenSpec{Name: "  ", Scope: partnerhub.ScopeWrite}, now)
		wantFields(t, err, "name")
		_, _, err = db.CreateToken(ctx, u.ID, partnerhub.TokenSpec{Name: strings.Repeat("x", 101), Scope: partnerhub.ScopeWrite}, now)
		wantFields(t, err, "name")

		rawTok, tok, err := db.CreateToken(ctx, u.ID, partnerhub.TokenSpec{Name: " CI import ", Scope: partnerhub.ScopeWrite}, now)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(rawTok, "ph_") || len(rawTok) != 46 || tok.Name != "CI import" || tok.ID == 0 || !tok.Active(now) {
			t.Fatalf("CreateToken = %q, %+v", rawTok, tok)
		}
		var stored string
		raw.QueryRow(`SELECT token_hash FROM api_tokens`).Scan(&stored)
		if strings.Contains(stored, rawTok[3:]) || len(stored) != 64 {
			t.Fatalf("stored %q: want a SHA-256 only", stored)
		}

		got, _, err := db.TokenUser(ctx, rawTok, now.Add(time.Minute))
		if err != nil || got.ID != u.ID || !reflect.DeepEqual(got.Units, []string{"sci"}) {
			t.Fatalf("TokenUser = %+v, %v", got, err)
		}
		toks, err := db.Tokens(ctx, u.ID)
		if err != nil || len(toks) != 1 || toks[0].LastUsedAt == nil || !toks[0].LastUsedAt.Equal(now.Add(time.Minute)) {
			t.Fatalf("Tokens = %+v, %v", toks, err)
		}
		if !toks[0].CreatedAt.Equal(now) {
			t.Fatalf("created_at = %v, want %v", toks[0].CreatedAt, now)
		}
		changed := rawTok[:len(rawTok)-1] + "A"
		if changed == rawTok {
			changed = rawTok[:len(rawTok)-1] + "B"
		}
		for _, bad := range []string{"", "ph_", changed, strings.TrimPrefix(rawTok, "ph_")} {
			_, _, err := db.TokenUser(ctx, bad, now)
			wantCode(t, err, partnerhub.EUnauthorized)
		}

		// Only the owner revokes; a revoked token no longer works.
		wantCode(t, db.RevokeToken(ctx, other.ID, tok.ID, now), partnerhub.ENotFound)
		wantCode(t, db.RevokeToken(ctx, u.ID, 999999, now), partnerhub.ENotFound)
		if _, _, err := db.TokenUser(ctx, rawTok, now); err != nil {
			t.Fatalf("someone else's revocation took effect: %v", err)
		}
		if err := db.RevokeToken(ctx, u.ID, tok.ID, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		_, _, err = db.TokenUser(ctx, rawTok, now.Add(2*time.Hour))
		wantCode(t, err, partnerhub.EUnauthorized)
		if err := db.RevokeToken(ctx, u.ID, tok.ID, now.Add(3*time.Hour)); err != nil {
			t.Fatalf("revoking twice: %v", err)
		}
		toks, _ = db.Tokens(ctx, u.ID)
		if len(toks) != 1 || toks[0].Active(now) || !toks[0].RevokedAt.Equal(now.Add(time.Hour)) {
			t.Fatalf("after revoke: %+v", toks)
		}
		if toks, _ := db.Tokens(ctx, other.ID); len(toks) != 0 {
			t.Fatalf("other's tokens: %+v", toks)
		}

		// Disabling the owner revokes every token.
		rawTok2, _, err := db.CreateToken(ctx, u.ID, partnerhub.TokenSpec{Name: "second", Scope: partnerhub.ScopeWrite}, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.DisableUser(ctx, "utokyo", u.Email); err != nil {
			t.Fatal(err)
		}
		_, _, err = db.TokenUser(ctx, rawTok2, now)
		wantCode(t, err, partnerhub.EUnauthorized)
		toks, _ = db.Tokens(ctx, u.ID)
		if toks[1].Active(now) {
			t.Fatal("a disabled user's token is still active")
		}
		_, _, err = db.CreateToken(ctx, u.ID, partnerhub.TokenSpec{Name: "third", Scope: partnerhub.ScopeWrite}, now)
		wantCode(t, err, partnerhub.EUnauthorized)
	})
}

func TestAccountChangesAreAudited(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.Open(t)
		c, err := dataset.Builtin()
		if err != nil {
			t.Fatal(err)
		}
		if err := db.ImportCatalog(ctx, c); err != nil {
			t.Fatal(err)
		}
		const pw = "a long and secret passphrase"
		if _, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "c@example.ac.jp", Name: "C", Role: partnerhub.RoleCoordinator, Units: []string{"agr"}}, pw); err != nil {
			t.Fatal(err)
		}
		if err := db.SetPassword(ctx, "utokyo", "c@example.ac.jp", pw+" again", false); err != nil {
			t.Fatal(err)
		}
		if err := db.DisableUser(ctx, "utokyo", "c@example.ac.jp"); err != nil {
			t.Fatal(err)
		}
		events, err := db.Audit(ctx, "utokyo", partnerhub.AuditFilter{Entity: partnerhub.EntityUser})
		if err != nil || len(events) != 3 {
			t.Fatalf("%d account events (%v)", len(events), err)
		}
		if events[2].Action != partnerhub.ActionCreate || !strings.Contains(string(events[1].After), `"password_changed":true`) ||
			!strings.Contains(string(events[0].After), `"disabled":true`) {
			t.Fatalf("events: %s / %s / %s", events[2].After, events[1].After, events[0].After)
		}
		for _, ev := range events {
			if strings.Contains(string(ev.Before)+string(ev.After), "argon2") || strings.Contains(string(ev.Before)+string(ev.After), pw) {
				t.Fatalf("a password or its hash is in the audit log: %s", ev.After)
			}
		}
	})
}
