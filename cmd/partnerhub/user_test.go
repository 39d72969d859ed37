package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/dataset"
	"partnerhub/i18n"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// userCmd runs "partnerhub user args…" with stdin, as run builds the app.
func userCmd(t *testing.T, getenv func(string) string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	msgs, lerr := i18n.Load()
	if lerr != nil {
		t.Fatal(lerr)
	}
	var out, errOut bytes.Buffer
	a := &app{getenv: getenv, stdout: &out, stderr: &errOut, msgs: msgs, p: msgs.Printer(cliLang(getenv)),
		stdin: strings.NewReader(stdin), usageKey: map[*flag.FlagSet]string{}}
	err = a.user(context.Background(), args)
	return out.String(), errOut.String(), err
}

var generatedRE = regexp.MustCompile(`password \(shown only this once\): ([A-Z2-7]{26})\n`)

func openDB(t *testing.T, dbURL string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func signsIn(t *testing.T, db *store.DB, email, pw string) bool {
	t.Helper()
	_, err := authn.NewPasswords(db).Authenticate(context.Background(), "utokyo",
		partnerhub.Credentials{Email: email, Password: pw, IP: "192.0.2.1", At: time.Now()})
	if err != nil && partnerhub.ErrorCode(err) != partnerhub.EUnauthorized {
		t.Fatal(err)
	}
	return err == nil
}

// wantOneLine checks a failure: one line holding want, and whether it is a
// usage error (exit status 2).
func wantOneLine(t *testing.T, err error, want string, usage bool) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to contain %q", err, want)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("error is not one line: %q", err)
	}
	var ue usageError
	if errors.As(err, &ue) != usage {
		t.Fatalf("usage error = %v, want %v (%v)", !usage, usage, err)
	}
}

func TestUserCommands(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		dbURL := migrated(t, e)
		en := env()

		// The first command on a new (migrated) database creates the first admin.
		out, errOut, err := userCmd(t, en, "", "add", "-db", dbURL, "-email", "Office@Example.ac.jp", "-name", "Programme office", "-role", "admin")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(errOut, "loaded the built-in data (utokyo)") {
			t.Fatalf("stderr %q: want the built-in data loaded", errOut)
		}
		if !strings.Contains(out, "created office@example.ac.jp (admin) in utokyo") {
			t.Fatalf("stdout %q", out)
		}
		m := generatedRE.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no generated password in %q", out)
		}
		db := openDB(t, dbURL)
		if !signsIn(t, db, "office@example.ac.jp", m[1]) {
			t.Fatal("the printed password does not sign in")
		}
		if homes, _ := db.Homes(context.Background()); len(homes) != 1 {
			t.Fatalf("homes %v", homes)
		}

		// A password from stdin is used and not printed.
		out, errOut, err = userCmd(t, en, "a passphrase from a vault\r\n", "add", "-db", dbURL, "-email", "sato@example.ac.jp",
			"-name", "佐藤 花子", "-role", "coordinator", "-units", "law, eng", "-password-stdin")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out, "vault") || generatedRE.MatchString(out) || errOut != "" {
			t.Fatalf("stdout %q, stderr %q", out, errOut)
		}
		if !signsIn(t, db, "sato@example.ac.jp", "a passphrase from a vault") {
			t.Fatal("the password from stdin does not sign in")
		}

		// Bad input: one clear line, nothing written.
		_, _, err = userCmd(t, en, "", "add", "-db", dbURL, "-email", "OFFICE@example.ac.jp", "-name", "Again", "-role", "viewer")
		wantOneLine(t, err, "A user with the e-mail address “office@example.ac.jp” already exists.", false)
		_, _, err = userCmd(t, en, "", "add", "-db", dbURL, "-email", "not-an-address", "-name", "X", "-role", "boss")
		wantOneLine(t, err, "-email: Enter an e-mail address", false)
		wantOneLine(t, err, "-role: Must be one of: admin, coordinator, viewer, guest", false)
		_, _, err = userCmd(t, env("LANG", "ja_JP.UTF-8"), "", "add", "-db", dbURL, "-email", "not-an-address", "-name", "X", "-role", "viewer")
		wantOneLine(t, err, "-email: name@example.ac.jp のようなメールアドレスを入力してください。", false)
		_, _, err = userCmd(t, en, "", "add", "-db", dbURL, "-email", "c@example.ac.jp", "-name", "C", "-role", "coordinator", "-units", "eng,nosuch")
		wantOneLine(t, err, "-units: There is no unit “nosuch”.", false)
		_, _, err = userCmd(t, en, "", "add", "-db", dbURL, "-email", "c@example.ac.jp", "-name", "C", "-role", "coordinator")
		wantOneLine(t, err, "-units: A coordinator needs at least one unit.", false)
		_, _, err = userCmd(t, en, "short\n", "add", "-db", dbURL, "-email", "c@example.ac.jp", "-name", "C", "-role", "viewer", "-password-stdin")
		wantOneLine(t, err, "password: Use at least 12 characters.", false)
		_, _, err = userCmd(t, en, "", "add", "-db", dbURL, "-email", "c@example.ac.jp", "-name", "C", "-role", "viewer", "-password-stdin")
		wantOneLine(t, err, "standard input held no password", false)
		_, _, err = userCmd(t, en, "", "add", "-db", dbURL, "-name", "C", "-role", "viewer")
		wantOneLine(t, err, "-email is required", true)
		_, _, err = userCmd(t, en, "", "add", "-db", dbURL, "-email", "c@example.ac.jp", "-name", "C", "-role", "viewer", "-home", "nowhere")
		wantOneLine(t, err, "There is no home institution “nowhere”.", false)
		if _, err := db.UserByEmail(context.Background(), "c@example.ac.jp"); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Fatalf("refused input was written: %v", err)
		}

		// list: a table, wide characters counted as two columns.
		out, _, err = userCmd(t, en, "", "list", "-db", dbURL)
		if err != nil {
			t.Fatal(err)
		}
		want := "" +
			"EMAIL                 NAME              ROLE         UNITS    STATUS\n" +
			"office@example.ac.jp  Programme office  admin        -        active\n" +
			"sato@example.ac.jp    佐藤 花子         coordinator  law,eng  active\n"
		if out != want {
			t.Fatalf("list:\n%s\nwant:\n%s", out, want)
		}

		// reset-password: generated, then from stdin; sessions end.
		u, _ := db.UserByEmail(context.Background(), "sato@example.ac.jp")
		tok, err := db.CreateSession(context.Background(), u.ID, time.Now(), partnerhub.SessionSpec{TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		out, _, err = userCmd(t, en, "", "reset-password", "-db", dbURL, "-email", "SATO@example.ac.jp")
		if err != nil {
			t.Fatal(err)
		}
		m = generatedRE.FindStringSubmatch(out)
		if m == nil || !strings.Contains(out, "set a new password for sato@example.ac.jp") {
			t.Fatalf("reset-password printed %q", out)
		}
		if _, err := db.SessionUser(context.Background(), tok, time.Now()); partnerhub.ErrorCode(err) != partnerhub.EUnauthorized {
			t.Fatalf("the session survived a new password: %v", err)
		}
		if signsIn(t, db, "sato@example.ac.jp", "a passphrase from a vault") || !signsIn(t, db, "sato@example.ac.jp", m[1]) {
			t.Fatal("reset-password did not replace the password")
		}
		if _, _, err = userCmd(t, en, "another long passphrase\n", "reset-password", "-db", dbURL, "-email", "sato@example.ac.jp", "-password-stdin"); err != nil {
			t.Fatal(err)
		}
		if !signsIn(t, db, "sato@example.ac.jp", "another long passphrase") {
			t.Fatal("reset-password -password-stdin did not set the password")
		}
		_, _, err = userCmd(t, en, "tiny\n", "reset-password", "-db", dbURL, "-email", "sato@example.ac.jp", "-password-stdin")
		wantOneLine(t, err, "password: Use at least 12 characters.", false)
		_, _, err = userCmd(t, en, "", "reset-password", "-db", dbURL, "-email", "nobody@example.ac.jp")
		wantOneLine(t, err, "There is no user “nobody@example.ac.jp”.", false)

		// disable.
		out, _, err = userCmd(t, en, "", "disable", "-db", dbURL, "-email", "sato@example.ac.jp")
		if err != nil || !strings.Contains(out, "disabled sato@example.ac.jp") {
			t.Fatalf("disable: %q, %v", out, err)
		}
		if signsIn(t, db, "sato@example.ac.jp", "another long passphrase") {
			t.Fatal("a disabled user signs in")
		}
		out, _, _ = userCmd(t, env("LC_ALL", "ja_JP.UTF-8"), "", "list", "-db", dbURL)
		if !strings.Contains(out, "メールアドレス") || !regexp.MustCompile(`sato@example\.ac\.jp +佐藤 花子 +coordinator +law,eng +無効`).MatchString(out) {
			t.Fatalf("Japanese list:\n%s", out)
		}
		_, _, err = userCmd(t, en, "", "disable", "-db", dbURL, "-email", "nobody@example.ac.jp")
		wantOneLine(t, err, "There is no user “nobody@example.ac.jp”.", false)
		_, _, err = userCmd(t, en, "", "disable", "-db", dbURL)
		wantOneLine(t, err, "-email is required", true)
	})
}

func TestUserCommandLine(t *testing.T) {
	ctx := context.Background()
	fresh := migrated(t, storetest.Engines()[0])
	missing := storetest.Engines()[0].URL(t)
	for _, tc := range []struct {
		name    string
		args    []string
		env     func(string) string
		wantErr string
		usage   bool
		wantOut string
	}{
		{"help lists user", []string{"-h"}, env(), "", false, "partnerhub user"},
		{"help lists user in Japanese", []string{"-h"}, env("LANG", "ja_JP.UTF-8"), "", false, "アカウントを管理"},
		{"user help", []string{"user", "-h"}, env(), "", false, "reset-password"},
		{"user help in Japanese", []string{"user", "help"}, env("LANG", "ja_JP.UTF-8"), "", false, "最初の管理者"},
		{"add help", []string{"user", "add", "-h"}, env(), "", false, "-password-stdin"},
		{"list help", []string{"user", "list", "-h"}, env(), "", false, "-home"},
		{"disable help", []string{"user", "disable", "-h"}, env(), "", false, "-email"},
		{"reset help", []string{"user", "reset-password", "-h"}, env(), "", false, "-password-stdin"},
		{"no subcommand", []string{"user"}, env(), "no user command given", true, ""},
		{"unknown subcommand", []string{"user", "delete"}, env(), "unknown user command “delete”", true, ""},
		{"bad flag", []string{"user", "add", "-admin"}, env(), "partnerhub user add -h", true, ""},
		{"extra argument", []string{"user", "list", "now"}, env(), "unexpected arguments: now", true, ""},
		{"list on an empty database", []string{"user", "list", "-db", fresh}, env(), "has no home institution", false, ""},
		{"a mistyped database path", []string{"user", "add", "-db", missing, "-email", "a@example.ac.jp", "-name", "A", "-role", "admin"}, env(), "does not exist: check -db", false, ""},
		{"unreachable database", []string{"user", "list", "-db", "postgres://u:pw@127.0.0.1:1/x?connect_timeout=2"}, env(), "Cannot reach the database", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(ctx, tc.args, tc.env, &out, io.Discard)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
			} else {
				wantOneLine(t, err, tc.wantErr, tc.usage)
				if strings.Contains(err.Error(), "pw@") {
					t.Fatalf("the error shows a password: %v", err)
				}
			}
			if !strings.Contains(out.String(), tc.wantOut) {
				t.Fatalf("output %q lacks %q", out.String(), tc.wantOut)
			}
		})
	}
}

func TestUserCommandsWithSeveralHomes(t *testing.T) {
	ctx := context.Background()
	dbURL := storetest.Engines()[0].URL(t)
	db := openDB(t, dbURL)
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"utokyo", "other"} {
		c, err := dataset.Builtin()
		if err != nil {
			t.Fatal(err)
		}
		c.Home.Slug = slug
		if err := db.ImportCatalog(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := userCmd(t, env(), "", "list", "-db", dbURL)
	wantOneLine(t, err, "choose one with -home: utokyo, other", true)
	out, _, err := userCmd(t, env(), "", "add", "-db", dbURL, "-home", "other", "-email", "x@other.example", "-name", "X", "-role", "viewer")
	if err != nil || !strings.Contains(out, "in other") {
		t.Fatalf("add -home other: %q, %v", out, err)
	}
	out, _, _ = userCmd(t, env(), "", "list", "-db", dbURL, "-home", "utokyo")
	if !strings.Contains(out, "utokyo has no users yet") {
		t.Fatalf("list -home utokyo: %q", out)
	}
	// Users are kept apart by home.
	_, _, err = userCmd(t, env(), "", "disable", "-db", dbURL, "-home", "utokyo", "-email", "x@other.example")
	wantOneLine(t, err, "There is no user", false)
}

// A guest (someone from outside the office) is made from the command line
// like any other user, listed with their role, and is never a network
// administrator.
func TestUserAddGuest(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		dbURL := migrated(t, e)
		en := env()
		out, _, err := userCmd(t, en, "a passphrase from a vault\n", "add", "-db", dbURL, "-email", "ann@princeton.example.edu",
			"-name", "Ann Smith", "-role", "guest", "-password-stdin")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "created ann@princeton.example.edu (guest) in utokyo") {
			t.Fatalf("stdout %q", out)
		}
		out, _, err = userCmd(t, en, "", "list", "-db", dbURL)
		if err != nil || !strings.Contains(out, "guest") {
			t.Fatalf("list: %q %v", out, err)
		}
		db := openDB(t, dbURL)
		u, err := db.UserByEmail(context.Background(), "ann@princeton.example.edu")
		if err != nil || u.Role != partnerhub.RoleGuest || partnerhub.CanReadDrafts(u) {
			t.Fatalf("the guest: %+v %v", u, err)
		}
		_, _, err = userCmd(t, en, "", "add", "-db", dbURL, "-email", "net@example.org", "-name", "Net", "-role", "guest", "-network-admin")
		wantOneLine(t, err, "A guest cannot be a network administrator.", false)
	})
}
