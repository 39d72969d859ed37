package main

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"

	"partnerhub"
	"partnerhub/store/storetest"
)

// homeCmd runs "partnerhub home ARGS" and returns what it printed.
func homeCmd(t *testing.T, getenv func(string) string, args ...string) (stdout string, err error) {
	t.Helper()
	var out bytes.Buffer
	err = run(context.Background(), append([]string{"home"}, args...), getenv, &out, io.Discard)
	return out.String(), err
}

// TestHomeCommands: members are added (a university new to the registry,
// and one it holds), listed in both languages, refused with each bad flag
// named, disabled and enabled again, every change in the member's audit
// log; a member's user becomes a network editor.
func TestHomeCommands(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		dbURL := migrated(t, e)
		en, ja := env(), env("LANG", "ja_JP.UTF-8")
		ctx := context.Background()
		out, err := homeCmd(t, en, "add", "-db", dbURL, "-slug", "tohoku", "-name-ja", "東北大学", "-name-en", "Tohoku University",
			"-programme-ja", "戦略的パートナーシップ", "-programme-en", "Strategic Partnerships", "-website", "https://www.tohoku.ac.jp/")
		if err != nil || !strings.Contains(out, "added tohoku (Tohoku University); its portal is at /tohoku/") {
			t.Fatalf("add a new university: %q %v", out, err)
		}
		// The built-in data came first: the registry holds Princeton, and
		// a member may be a university the registry already has.
		if _, err := homeCmd(t, en, "add", "-db", dbURL, "-slug", "pu", "-institution", "princeton",
			"-programme-ja", "提携", "-programme-en", "Partnerships", "-host", "Partners.Example.EDU", "-share-statistics"); err != nil {
			t.Fatalf("add an institution of the registry: %v", err)
		}
		for _, c := range []struct {
			args []string
			want []string
		}{
			{[]string{"-slug", "en", "-institution", "utokyo", "-programme-ja", "x", "-programme-en", "y"}, []string{"-slug: This name is used by the site's own pages"}},
			{[]string{"-slug", "tohoku", "-institution", "utokyo", "-programme-ja", "x", "-programme-en", "y"}, []string{"-slug: This is already in use"}},
			{[]string{"-slug", "kyoto", "-institution", "kyoto-u", "-programme-ja", "x", "-programme-en", "y", "-host", "not a host"},
				[]string{"-host: Enter a host name", "-institution: The registry has no institution kyoto-u"}},
			{[]string{"-slug", "other", "-institution", "utokyo", "-programme-ja", "x", "-programme-en", "y", "-host", "partners.example.edu"}, []string{"-host: Another member already answers"}},
			{[]string{"-slug", "Bad_Slug", "-name-ja", "某大学", "-name-en", "Some University", "-country", "JPN", "-programme-ja", "x", "-programme-en", "y"}, []string{"-slug: Use lower-case letters", "-country:"}},
		} {
			_, err := homeCmd(t, en, append([]string{"add", "-db", dbURL}, c.args...)...)
			for _, w := range c.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("add %v: error %v, want %q", c.args, err, w)
				}
			}
		}
		if _, err := homeCmd(t, en, "add", "-db", dbURL, "-slug", "x"); err == nil || !strings.Contains(err.Error(), "-programme-ja") {
			t.Errorf("add without a programme: %v", err)
		}
		out, err = homeCmd(t, en, "list", "-db", dbURL)
		if err != nil || !regexp.MustCompile(`(?m)^utokyo +The University of Tokyo .* active$`).MatchString(out) ||
			!regexp.MustCompile(`(?m)^tohoku +Tohoku University +Strategic Partnerships +- +active$`).MatchString(out) ||
			!regexp.MustCompile(`(?m)^pu +Princeton University +Partnerships +partners\.example\.edu +active$`).MatchString(out) ||
			strings.Count(out, "\n") != 4 {
			t.Fatalf("list (%v):\n%s", err, out)
		}
		if out, err = homeCmd(t, en, "disable", "-db", dbURL, "-slug", "tohoku"); err != nil || !strings.Contains(out, "disabled tohoku") {
			t.Fatalf("disable: %q %v", out, err)
		}
		out, _ = homeCmd(t, ja, "list", "-db", dbURL)
		if !regexp.MustCompile(`(?m)^tohoku +東北大学 +戦略的パートナーシップ +- +停止中$`).MatchString(out) || !strings.Contains(out, "スラッグ") {
			t.Fatalf("Japanese list after disable:\n%s", out)
		}
		if _, err := homeCmd(t, en, "disable", "-db", dbURL, "-slug", "nowhere"); err == nil {
			t.Error("disable of an unknown member succeeded")
		}
		if _, err := homeCmd(t, en, "enable", "-db", dbURL, "-slug", "tohoku"); err != nil {
			t.Fatal(err)
		}
		// set changes only what its flags name.
		if out, err := homeCmd(t, en, "set", "-db", dbURL, "-slug", "tohoku", "-share-statistics", "-programme-en", "SP Programme"); err != nil || !strings.Contains(out, "saved the settings of tohoku") {
			t.Fatalf("set: %q %v", out, err)
		}
		if _, err := homeCmd(t, en, "set", "-db", dbURL, "-slug", "tohoku", "-host", "partners.example.edu"); err == nil || !strings.Contains(err.Error(), "-host: Another member") {
			t.Fatalf("set a taken host: %v", err)
		}
		if _, err := homeCmd(t, en, "set", "-db", dbURL, "-slug", "tohoku", "-programme-ja", " "); err == nil || !strings.Contains(err.Error(), "-programme-ja") {
			t.Fatalf("set an empty programme: %v", err)
		}
		db := openDB(t, dbURL)
		if m, _ := db.Member(ctx, "tohoku"); m == nil || !m.ShareStatistics || m.Programme.En != "SP Programme" || m.Programme.Ja != "戦略的パートナーシップ" {
			t.Fatalf("after set: %+v", m)
		}
		if _, err := homeCmd(t, en, "set", "-db", dbURL, "-slug", "tohoku", "-share-statistics=false", "-programme-en", "Strategic Partnerships"); err != nil {
			t.Fatal(err)
		}
		m, err := db.Member(ctx, "tohoku")
		if err != nil || m.Disabled || m.Name.Ja != "東北大学" || m.Programme.En != "Strategic Partnerships" {
			t.Fatalf("member: %+v %v", m, err)
		}
		if p, _ := db.Member(ctx, "pu"); p == nil || !p.ShareStatistics || p.Host != "partners.example.edu" {
			t.Fatalf("pu: %+v", p)
		}
		evs, err := db.Audit(ctx, "tohoku", partnerhub.AuditFilter{Entity: partnerhub.EntityMember})
		if err != nil || len(evs) != 5 || evs[0].Actor != "system" {
			t.Fatalf("tohoku's audit: %v %+v", err, evs)
		}
		// A member's user becomes a network editor, and list says so.
		if _, _, err := userCmd(t, en, "", "add", "-db", dbURL, "-home", "tohoku", "-email", "net@tohoku.example.jp", "-name", "Editor", "-role", "viewer"); err != nil {
			t.Fatal(err)
		}
		if out, _, err := userCmd(t, en, "", "network-editor", "-db", dbURL, "-home", "tohoku", "-email", "net@tohoku.example.jp"); err != nil || !strings.Contains(out, "is now a network editor") {
			t.Fatalf("network-editor: %q %v", out, err)
		}
		u, err := db.UserByEmail(ctx, "net@tohoku.example.jp")
		if err != nil || !u.NetworkEditor || u.NetworkAdmin || !partnerhub.IsNetworkEditor(u) || partnerhub.IsNetworkAdmin(u) {
			t.Fatalf("editor: %+v %v", u, err)
		}
		out, _, _ = userCmd(t, ja, "", "list", "-db", dbURL, "-home", "tohoku")
		if !strings.Contains(out, "ネットワーク編集者") {
			t.Fatalf("Japanese user list:\n%s", out)
		}
	})
}
