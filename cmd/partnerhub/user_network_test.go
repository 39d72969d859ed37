package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"partnerhub"
	"partnerhub/store/storetest"
)

// TestUserNetworkAdmin: user add -network-admin makes a network
// administrator, user network-admin grants and -revoke takes back, user
// list shows it, and the help names it in both languages.
func TestUserNetworkAdmin(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		dbURL := migrated(t, e)
		en := env()
		ctx := context.Background()
		if _, _, err := userCmd(t, en, "", "add", "-db", dbURL, "-email", "net@example.ac.jp", "-name", "Network office", "-role", "admin", "-network-admin"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := userCmd(t, en, "", "add", "-db", dbURL, "-email", "office@example.ac.jp", "-name", "Programme office", "-role", "admin"); err != nil {
			t.Fatal(err)
		}
		db := openDB(t, dbURL)
		isNet := func(email string) bool {
			t.Helper()
			u, err := db.UserByEmail(ctx, email)
			if err != nil {
				t.Fatal(err)
			}
			return u.NetworkAdmin
		}
		if !isNet("net@example.ac.jp") || isNet("office@example.ac.jp") {
			t.Fatal("add -network-admin did not set the flag on that user only")
		}
		out, _, err := userCmd(t, en, "", "list", "-db", dbURL)
		if err != nil || !regexp.MustCompile(`net@example\.ac\.jp .* active, network admin\n`).MatchString(out) ||
			strings.Contains(strings.Split(out, "office@example.ac.jp")[1], "network admin") {
			t.Fatalf("list (%v):\n%s", err, out)
		}
		out, _, err = userCmd(t, en, "", "network-admin", "-db", dbURL, "-email", "OFFICE@example.ac.jp")
		if err != nil || !strings.Contains(out, "office@example.ac.jp is now a network administrator") || !isNet("office@example.ac.jp") {
			t.Fatalf("grant: %q, %v", out, err)
		}
		out, _, err = userCmd(t, env("LANG", "ja_JP.UTF-8"), "", "network-admin", "-db", dbURL, "-email", "net@example.ac.jp", "-revoke")
		if err != nil || !strings.Contains(out, "ネットワーク管理者の権限を取り消しました") || isNet("net@example.ac.jp") {
			t.Fatalf("revoke: %q, %v", out, err)
		}
		out, _, _ = userCmd(t, env("LANG", "ja_JP.UTF-8"), "", "list", "-db", dbURL)
		if !regexp.MustCompile(`office@example\.ac\.jp .*有効, ネットワーク管理者`).MatchString(out) {
			t.Fatalf("Japanese list:\n%s", out)
		}
		// Granting and revoking are in the home's audit log.
		evs, err := db.Audit(ctx, "utokyo", partnerhub.AuditFilter{Entity: partnerhub.EntityUser, Key: "net@example.ac.jp"})
		if err != nil || len(evs) != 2 || !strings.Contains(string(evs[0].Before), `"network_admin":true`) {
			t.Fatalf("audit of the revoke: %v %+v", err, evs)
		}
		_, _, err = userCmd(t, en, "", "network-admin", "-db", dbURL, "-email", "nobody@example.ac.jp")
		wantOneLine(t, err, "There is no user “nobody@example.ac.jp”.", false)
		_, _, err = userCmd(t, en, "", "network-admin", "-db", dbURL)
		wantOneLine(t, err, "-email is required", true)
		for _, tc := range []struct {
			lang string
			args []string
			want string
		}{
			{"en", []string{"-h"}, "network-admin"},
			{"ja", []string{"-h"}, "ネットワーク管理者"},
			{"en", []string{"network-admin", "-h"}, "-revoke"},
			{"ja", []string{"network-admin", "-h"}, "取り消します"},
			{"en", []string{"add", "-h"}, "-network-admin"},
		} {
			getenv := env()
			if tc.lang == "ja" {
				getenv = env("LANG", "ja_JP.UTF-8")
			}
			out, errOut, err := userCmd(t, getenv, "", tc.args...)
			if err != nil || !strings.Contains(out+errOut, tc.want) {
				t.Errorf("%s %v: %v, want %q in:\n%s%s", tc.lang, tc.args, err, tc.want, out, errOut)
			}
		}
	})
}
